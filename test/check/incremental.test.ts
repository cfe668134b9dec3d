/**
 * Incremental snapshots (src/check/incremental.ts) equal full ones, on the
 * embedded engine and on a server: after every step of a rehearsal of each
 * fixture set (fixtures/sets, fixtures/lint/sets, the three services, and
 * fixtures/check on the server), and after each of a series of changes chosen because they
 * leave the rows of the objects they affect as they were (a rename printed
 * by a view, a foreign key, a trigger or a default; a dropped index,
 * trigger, policy or comment; OWNED BY NONE; an extension; a renamed
 * schema). The differences computed from the keys an incremental snapshot
 * names are the differences of the full comparison.
 */
import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { diffSchemas } from '../../src/check/diff.js'
import { startEmbedded } from '../../src/check/embedded.js'
import type { CheckEngine } from '../../src/check/engine.js'
import { changesFrom, incrementalSnapshots, type SnapshotOptions, type SnapshotTaker } from '../../src/check/incremental.js'
import { rehearse } from '../../src/check/rehearse.js'
import { adaptForEmbedded } from '../../src/check/rewrite.js'
import { startServer } from '../../src/check/scratch.js'
import { snapshot, type CatalogQuery, type Schema } from '../../src/check/snapshot.js'
import { load, prepareAll } from '../../src/check/steps.js'
import { resolveConnection } from '../../src/config/resolve.js'
import { prepareStep } from '../../src/core/prepare.js'
import { closeAdmin, freshDatabase, type FreshDatabase } from '../helpers/db.js'

const ROOT = path.resolve(import.meta.dirname, '../..')
const dirsIn = (parent: string) =>
  readdirSync(path.join(ROOT, parent), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => path.join(parent, d.name))
const SETS = [
  ...dirsIn('fixtures/sets'),
  ...dirsIn('fixtures/lint/sets'),
  ...dirsIn('fixtures/check')
    .map((d) => path.join(d, 'migrations'))
    .filter((d) => existsSync(path.join(ROOT, d))),
  'fixtures/discovery-svc/migrations',
  'fixtures/ai-svc/migrations',
  'fixtures/chat-svc/migrations',
]

/** Steps that change what others print, or delete rows without touching their owner's. */
const CHANGES = [
  `create schema billing;
   create type mood as enum ('sad', 'ok');
   create domain email as text check (value like '%@%');
   create table accounts (id bigint primary key, email email, mood mood default 'ok', name text, tags mood[]);
   create sequence billing.invoice_seq;
   create table billing.invoices (number integer default nextval('billing.invoice_seq'), account_id bigint references accounts (id));
   alter sequence billing.invoice_seq owned by billing.invoices.number;
   create view rich as select id, email, name from accounts;
   create function touch() returns trigger language plpgsql as $$ begin return new; end $$;
   create trigger accounts_touch before update on accounts for each row execute function touch();
   create index accounts_name_idx on accounts (name);
   alter table accounts enable row level security;
   create policy own on accounts using (name = current_user);
   comment on table accounts is 'Who pays';
   comment on column accounts.name is 'Full name';
   comment on schema billing is 'Money';`,
  'alter table accounts rename to customers',
  'alter table customers rename column name to full_name',
  'alter type mood rename to feeling',
  'alter function touch() rename to touched',
  'alter sequence billing.invoice_seq rename to invoice_number_seq',
  'alter sequence billing.invoice_number_seq owned by none',
  'drop index accounts_name_idx',
  'drop trigger accounts_touch on customers',
  'drop policy own on customers',
  'comment on table customers is null',
  'comment on column customers.full_name is null',
  'alter type feeling add value \'happy\'',
  'alter domain email rename to mail',
  'alter table customers alter column full_name set not null',
  'alter table customers drop column tags',
  'create extension if not exists pg_trgm',
  'create index customers_trgm on customers using gin (full_name gin_trgm_ops)',
  'drop index customers_trgm; drop extension pg_trgm',
  'alter schema billing rename to money',
  'comment on schema money is null',
  'alter table money.invoices rename column account_id to customer_id',
  'drop view rich; drop table money.invoices; drop table customers; drop sequence money.invoice_number_seq; drop schema money',
]

/**
 * Steps a scoped take reads from what they name (scope.ts): what each makes
 * or removes without naming it (a serial's sequence, an unnamed index, the
 * partitions' indexes, the partitions a DROP removes, an owned sequence, a
 * same-named table in another schema), between unscoped steps that set the
 * stage. [sql, scoped]
 */
const SCOPED: [string, boolean][] = [
  [`create schema s;
    create table o (id int primary key);
    create table parent (a int, b text) partition by list (a);
    create table parent_1 partition of parent for values in (1);
    create table parent_2 partition of parent for values in (2);`, false],
  ['create table t (id serial primary key, o_id int references o (id), v text default \'x\')', true],
  ['create table s.t (id int, v text)', true],
  ['create index on t (v)', true],
  ['create index t_o_idx on t (o_id) include (v)', true],
  ['create index parent_b_idx on parent (b)', true],
  ['drop index t_o_idx', true],
  ['create table child () inherits (t)', true],
  ['create table l (like t including all)', true],
  ['create view tv as select id, v from t', false],
  ['drop view tv', true],
  ['drop table parent', true],
  ['drop table l, child', true],
  ['create unique index concurrently t_v_key on s.t (v)', true],
  ['drop index concurrently s.t_v_key', true],
  ['drop table t', true],
  ['create sequence counter', false],
  ['drop sequence counter', true],
  ['drop table if exists nothing_here, s.t', true],
  ['create table if not exists o (id int)', true],
  ['comment on table o is null', false],
  ['drop table o; drop schema s', false],
]

let fresh: FreshDatabase | undefined
/** Snapshots compared so far. */
let compared = 0

async function start(kind: 'embedded' | 'server'): Promise<{ engine: CheckEngine; adapt?: Parameters<typeof rehearse>[0]['adapt'] }> {
  if (kind === 'embedded') {
    const e = await startEmbedded({ extensions: ['pg_trgm', 'uuid-ossp', 'pgcrypto', 'citext', 'btree_gist'] })
    return { engine: e, adapt: (s) => adaptForEmbedded(s, e.available, e.label) }
  }
  fresh ??= await freshDatabase('check_incremental')
  return { engine: await startServer({ connection: resolveConnection({ databaseUrl: fresh.url, env: {} }), service: 'incremental-test' }) }
}

/** The objects that differ, as `key: incremental -> full`. */
function mismatched(incremental: Schema, full: Schema): string[] {
  const keys = new Set([...Object.keys(full.objects), ...Object.keys(incremental.objects)])
  const json = (s: Schema, k: string) => JSON.stringify(s.objects[k]?.attributes ?? null)
  return [...keys].filter((k) => json(incremental, k) !== json(full, k)).map((k) => `${k}: ${json(incremental, k)} -> ${json(full, k)}`)
}

/**
 * The snapshot taken after `sql` equals a full read, and the differences
 * computed from the changed keys (against `before`) equal the full
 * comparison's (against `copy`, an explicit copy of `before`).
 */
async function assertAsFullRead(engine: CheckEngine, before: Schema, copy: Schema, after: Schema, sql: string): Promise<void> {
  const full = await snapshot(engine.catalog)
  assert.equal(mismatched(after, full), [], `after: ${sql}`)
  assert.equal(after, full)
  const c = changesFrom(before, after)
  assert.ok(c)
  assert.equal(diffSchemas(c.before, after, c.keys), diffSchemas(copy, full), `differences after: ${sql}`)
}

/**
 * An incremental taker that also reads the whole schema each time and
 * records where the two differ (and where the differences computed from
 * the changed keys are not the full comparison's).
 */
function comparing(mismatches: string[], where: () => string, counts?: SnapshotTaker['counts'][]): (q: CatalogQuery, opts: SnapshotOptions) => SnapshotTaker {
  return (q, opts) => {
    const take = incrementalSnapshots(q, opts)
    counts?.push(take.counts)
    let last: { live: Schema; copy: Schema } | undefined
    const compare = async () => {
      const incremental = await take()
      compared++
      const full = await snapshot(q)
      const wrong = mismatched(incremental, full)
      if (wrong.length > 0) mismatches.push(`${where()}: ${wrong.slice(0, 5).join('; ')}`)
      if (last) {
        const c = changesFrom(last.live, incremental)
        if (!c) mismatches.push(`${where()}: no changes from the snapshot before`)
        else if (JSON.stringify(diffSchemas(c.before, incremental, c.keys)) !== JSON.stringify(diffSchemas(last.copy, incremental))) {
          mismatches.push(`${where()}: the differences from the changed keys are not the full comparison's`)
        }
      }
      last = { live: incremental, copy: { objects: { ...incremental.objects } } }
      return incremental
    }
    return Object.assign(compare, { expect: take.expect, counts: take.counts })
  }
}

for (const kind of ['embedded', 'server'] as const) {
  const test = suite(`incremental snapshots on the ${kind} engine`)
  test.after(async () => {
    if (kind === 'server') {
      await fresh?.drop()
      await closeAdmin()
    }
  })

  test('renames, drops and comments seen as a full read sees them', async () => {
    const { engine } = await start(kind)
    try {
      const take = incrementalSnapshots(engine.catalog)
      let before = await take()
      let copy: Schema = { objects: { ...before.objects } }
      assert.equal(before, await snapshot(engine.catalog))
      for (const [i, sql] of CHANGES.entries()) {
        const step = prepareStep({ version: i + 1, name: `00${i}_x`, direction: 'up', file: `00${i}_x.up.sql`, checksum: 'c', content: sql })
        // (uvu does not print the engine's errors: their message is what matters)
        await engine.run(step).catch((e: Error) => assert.unreachable(`${sql}: ${e.message}`))
        const after = await take()
        await assertAsFullRead(engine, before, copy, after, sql)
        before = after
        copy = { objects: { ...after.objects } }
      }
    } finally {
      await engine.close()
    }
  })

  test('steps read from what they name, seen as a full read sees them', async () => {
    const { engine } = await start(kind)
    try {
      const take = incrementalSnapshots(engine.catalog, { scoped: true })
      let before = await take()
      let copy: Schema = { objects: { ...before.objects } }
      for (const [i, [sql, scoped]] of SCOPED.entries()) {
        const step = prepareStep({ version: i + 1, name: `00${i}_x`, direction: 'up', file: `00${i}_x.up.sql`, checksum: 'c', content: sql })
        const counted = take.counts.scoped
        // (the embedded engine's periodic VACUUM of the catalogs changes nothing a snapshot reads)
        if (i === 11) await engine.tidy?.()
        await take.expect!(step)
        await engine.run(step).catch((e: Error) => assert.unreachable(`${sql}: ${e.message}`))
        const after = await take()
        assert.is(take.counts.scoped - counted, scoped ? 1 : 0, `read from its names: ${sql}`)
        await assertAsFullRead(engine, before, copy, after, sql)
        before = after
        copy = { objects: { ...after.objects } }
      }
    } finally {
      await engine.close()
    }
  })

  test('every step of the rehearsal of every fixture set', async () => {
    const mismatches: string[] = []
    const refused: string[] = []
    const counts: SnapshotTaker['counts'][] = []
    compared = 0
    // (fixtures/check/* on the server only, to keep this file's time: their
    // verdicts are asserted whole on both engines by fixtures.test.ts)
    for (const dir of SETS.filter((d) => kind === 'server' || !d.startsWith('fixtures/check/'))) {
      const { migrations, downs } = await load(path.join(ROOT, dir))
      try {
        prepareAll(migrations, downs, undefined)
      } catch {
        refused.push(dir)
        continue
      }
      const { engine, adapt } = await start(kind)
      try {
        let n = 0
        await rehearse({
          engine,
          steps: prepareAll(migrations, downs, engine.serverMajor),
          adapt,
          snapshots: comparing(mismatches, () => `${dir}, snapshot ${compared}`, counts),
          onEvent: (e) => {
            if (e.type === 'migration-checked') n++
          },
        })
        assert.equal(n, migrations.length, dir)
      } catch (e) {
        assert.unreachable(`${dir}: ${(e as Error).message}`)
      } finally {
        await engine.close()
      }
    }
    assert.equal(mismatches, [])
    // (each set's snapshots: before, and two per migration that has a down)
    assert.ok(compared > 150, `${compared} snapshots compared`)
    // both ways of reading a step ran: from its names, and by scanning
    const sum = (k: 'scoped' | 'scans') => counts.reduce((n, c) => n + c[k], 0)
    assert.ok(sum('scoped') > 50 && sum('scans') > 50, `${sum('scoped')} scoped, ${sum('scans')} scans`)
    // check refuses this one as `up` does (BEGIN/COMMIT in the files)
    assert.equal(refused, ['fixtures/sets/tx-blocks'])
  })

  test.run()
}
