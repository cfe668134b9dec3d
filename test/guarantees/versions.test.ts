// Issue 19 point 2: what depends on the server's major, proven on whichever
// server the run gives (`npm run test:matrix` runs this file on PostgreSQL
// 14, 15, 16, 17 and 18; `npm test` on Debian's 15):
//  - the no-transaction decisions: ALTER TYPE ... ADD VALUE runs inside the
//    migration's transaction (12+), so a later failure takes it back; every
//    CONCURRENTLY form runs statement by statement and succeeds;
//  - the lock setup: the lock's transaction switches off
//    idle_in_transaction_session_timeout, and transaction_timeout only where
//    that setting exists (17+), so database-level timeouts shorter than a run
//    do not end it;
//  - check's catalog snapshot sees a major's own index options (NULLS NOT
//    DISTINCT, 15+; on 14 the file is the migration's failure).
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { check, createMigrator } from '../../src/index.js'
import { closeAdmin, freshDatabase, type FreshDatabase } from '../helpers/db.js'
import { migrationsDir } from '../helpers/tmp.js'
import { failureOf, lines, readable, runTimed, show } from './util.js'

const test = suite('version-aware behaviour')
const it = readable(test)
const V: { major: number; version: string; dbs: FreshDatabase[] } = { major: 0, version: '', dbs: [] }

async function fresh(prefix: string): Promise<FreshDatabase> {
  const db = await freshDatabase(prefix)
  V.dbs.push(db)
  return db
}

test.before(async () => {
  const db = await fresh('versions')
  const [row] = await db.sql<{ num: number; v: string }[]>`select current_setting('server_version_num')::int as num, current_setting('server_version') as v`
  V.major = Math.floor(row!.num / 10000)
  V.version = row!.v
  console.log(`    on PostgreSQL ${V.version}`)
})
test.after(async () => {
  for (const db of V.dbs) await db.drop()
  await closeAdmin()
})

const enumValues = async (db: FreshDatabase) =>
  (await db.sql<{ v: string }[]>`select e.enumlabel as v from pg_enum e join pg_type t on t.oid = e.enumtypid where t.typname = 'mood' order by e.enumsortorder`).map((r) => r.v)

it('ALTER TYPE ... ADD VALUE runs in the migration\'s transaction: applied with its bookkeeping, or taken back whole', async () => {
  const db = await fresh('versions_enum')
  const dir = await migrationsDir({
    '001_mood.up.sql': "create type mood as enum ('happy');\n",
    '001_mood.down.sql': 'drop type mood;\n',
    '002_sad.up.sql': "alter type mood add value 'sad';\ncreate table feelings (m mood not null);\n",
    '002_sad.down.sql': 'drop table feelings;\n',
    // Using a value added in the same transaction is refused (55P04) on every major since 12.
    '003_meh.up.sql': "alter type mood add value 'meh';\ncreate table moods_default (m mood default 'meh');\n",
    '003_meh.down.sql': 'drop table moods_default;\n',
  })
  const m = createMigrator({ url: db.url, service: 'enum-svc', dir })
  try {
    const first = await m.up({ to: 2 })
    assert.equal(
      first.plan.map((s) => [s.name, s.transactional, s.noTransactionReason]),
      [
        ['001_mood', true, undefined],
        ['002_sad', true, undefined],
      ],
    )
    assert.equal(await enumValues(db), ['happy', 'sad'])
    const err = await failureOf(m.up())
    assert.is(err?.code, 'MIGRATION_FAILED', String(err?.message))
    assert.is(err?.sqlState, '55P04', String(err?.message))
    assert.match(String(err?.message), /^003_meh\.up\.sql:2:\d+: unsafe use of new value "meh" of enum type mood/)
    // The failed file is taken back whole: no 'meh', no table, version still 2.
    assert.equal(await enumValues(db), ['happy', 'sad'])
    const [t] = await db.sql<{ n: string | null }[]>`select to_regclass('moods_default')::text as n`
    assert.is(t!.n, null)
    assert.is((await m.status()).currentVersion, 2)
  } finally {
    await m.close()
  }
})

it('every CONCURRENTLY form runs statement by statement, outside a transaction, and succeeds', async () => {
  const db = await fresh('versions_cic')
  await db.sql.unsafe(`
    create table items (id int primary key, n int not null);
    insert into items select g, g % 10 from generate_series(1, 200) g;
    create materialized view item_counts as select n, count(*) as c from items group by n;
    create unique index item_counts_n on item_counts (n);
    create table events (at date not null, what text) partition by range (at);
    create table events_2026 partition of events for values from ('2026-01-01') to ('2027-01-01');
  `)
  const dir = await migrationsDir({
    '001_concurrently.up.sql': [
      'create index concurrently items_n_idx on items (n);',
      'create unique index concurrently if not exists items_id_n_idx on items (id, n);',
      'reindex index concurrently items_n_idx;',
      'refresh materialized view concurrently item_counts;',
      'alter table events detach partition events_2026 concurrently;',
      'drop index concurrently items_id_n_idx;',
      '',
    ].join('\n'),
    '001_concurrently.down.sql': 'drop index concurrently if exists items_n_idx;\n',
  })
  const m = createMigrator({ url: db.url, service: 'cic-forms-svc', dir })
  try {
    const r = await m.up()
    assert.equal(
      r.plan.map((s) => [s.transactional, s.noTransactionReason, s.statements?.length]),
      [[false, r.plan[0]!.noTransactionReason, 6]],
    )
    assert.match(String(r.plan[0]!.noTransactionReason), /CONCURRENTLY/i)
    assert.equal(r.results.map((x) => [x.name, x.status]), [['001_concurrently', 'applied']])
    const idx = await db.sql<{ name: string; valid: boolean }[]>`
      select c.relname as name, i.indisvalid as valid from pg_index i join pg_class c on c.oid = i.indexrelid
       where c.relname in ('items_n_idx', 'items_id_n_idx') order by 1`
    assert.equal(idx.map((x) => [x.name, x.valid]), [['items_n_idx', true]])
    const [p] = await db.sql<{ attached: boolean }[]>`select exists (select 1 from pg_inherits where inhrelid = 'events_2026'::regclass) as attached`
    assert.is(p!.attached, false, 'the partition is detached')
  } finally {
    await m.close()
  }
})

it('the lock outlives database-level idle_in_transaction_session_timeout and (17+) transaction_timeout', async () => {
  const db = await fresh('versions_timeouts')
  const hasTransactionTimeout = V.major >= 17
  const [s] = await db.sql<{ n: number }[]>`select count(*)::int as n from pg_settings where name = 'transaction_timeout'`
  assert.is(s!.n, hasTransactionTimeout ? 1 : 0, `transaction_timeout exists on PostgreSQL ${V.version}: ${hasTransactionTimeout}`)
  await db.sql.unsafe(`alter database ${db.name} set idle_in_transaction_session_timeout = '2s'`)
  const tt = await db.sql.unsafe(`alter database ${db.name} set transaction_timeout = '2s'`).then(
    () => 'set',
    (e: { code?: string }) => e.code,
  )
  assert.is(tt, hasTransactionTimeout ? 'set' : '42704', 'transaction_timeout is unknown before 17')
  // Four statements of 1 s each, no transaction: the run lasts ~4 s, twice
  // the timeouts, and the lock's transaction stays open (idle) all along.
  const dir = await migrationsDir({
    '001_slow.up.sql': '-- link-migrate:no-transaction\nselect pg_sleep(1);\nselect pg_sleep(1);\nselect pg_sleep(1);\nselect pg_sleep(1);\n',
    '001_slow.down.sql': 'select 1;\n',
    '002_after.up.sql': 'create table after_slow (id int);\n',
    '002_after.down.sql': 'drop table after_slow;\n',
  })
  const r = await runTimed(['up', '--dir', dir, '--service', 'timeouts-svc', '--database-url', db.url], { timeoutMs: 60_000 })
  assert.is(r.code, 0, show(r))
  assert.equal(
    lines(r, /Successfully applied/).map((l) => l.replace(/.*migration /, '')),
    ['001_slow', '002_after'],
    show(r),
  )
})

it("check's snapshot sees NULLS NOT DISTINCT (15+); on 14 the file is the migration's failure", async () => {
  const db = await fresh('versions_check')
  const dir = await migrationsDir({
    '001_users.up.sql': 'create table users (id int primary key, email text);\ncreate unique index users_email on users (email);\n',
    '001_users.down.sql': 'drop table users;\n',
    // The down rebuilds the index without NULLS NOT DISTINCT: not restored.
    '002_email_nulls.up.sql': 'drop index users_email;\ncreate unique index users_email on users (email) nulls not distinct;\n',
    '002_email_nulls.down.sql': 'drop index users_email;\ncreate unique index users_email on users (email) nulls distinct;\n',
  })
  const r = await check({ dir, service: 'nulls', url: db.url, env: {} })
  assert.is(r.engine, 'server')
  assert.is(r.serverVersion, V.version.split(' ')[0])
  const m = r.migrations[1]!
  if (V.major >= 15) {
    // NULLS DISTINCT is the default: the down does restore it.
    assert.is(m.status, 'ok', JSON.stringify(m))
    assert.is(r.ok, true)
  } else {
    assert.is(m.status, 'failed')
    assert.is(m.error?.sqlState, '42601')
    assert.match(m.error!.message, /^002_email_nulls\.up\.sql:2:\d+: syntax error at or near "nulls"/)
  }
  const broken = await migrationsDir({
    '001_users.up.sql': 'create table users (id int primary key, email text);\ncreate unique index users_email on users (email);\n',
    '001_users.down.sql': 'drop table users;\n',
    '002_email_nulls.up.sql': V.major >= 15 ? 'drop index users_email;\ncreate unique index users_email on users (email) nulls not distinct;\n' : 'alter table users add column note text;\n',
    '002_email_nulls.down.sql': 'select 1;\n',
  })
  const b = await check({ dir: broken, service: 'nulls', url: db.url, env: {} })
  assert.equal(
    b.migrations[1]!.differences.map((d) => d.message),
    V.major >= 15
      ? ['down of 002 changes definition of index users_email: CREATE UNIQUE INDEX users_email ON public.users USING btree (email) -> CREATE UNIQUE INDEX users_email ON public.users USING btree (email) NULLS NOT DISTINCT']
      : ['down of 002 leaves column users.note'],
  )
})

test.run()
