// SPEC 5 / issue 7 point 2: while one runner applies a CREATE INDEX
// CONCURRENTLY on a table with live writes, nine waiting runners (started
// after it took the lock) do not block it. The index build waits for every
// transaction that holds a snapshot or a lock on the table; a waiter that
// blocked inside a transaction (Flyway's design) would hang it. Here the
// index build is sampled while it runs: no link-migrate connection (the nine
// waiters nor the holder's own lock connection) ever appears among the
// backends blocking it, it finishes in bounded time, all ten exit 0, the
// index is valid and recorded once.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import postgres from 'postgres'
import { lockKeys } from '../../src/db/keys.js'
import { closeAdmin, freshDatabase, type FreshDatabase } from '../helpers/db.js'
import { migrationsDir } from '../helpers/tmp.js'
import { lines, readable, runTimed, show, waitFor, WAITING, type TimedResult } from './util.js'

const test = suite('CREATE INDEX CONCURRENTLY with nine waiting runners and live writes')
const it = readable(test)
const S: { db?: FreshDatabase; writer?: postgres.Sql; gate?: postgres.Sql; stop?: () => void } = {}
const GATE = 4_242_424

test.before(async () => {
  S.db = await freshDatabase('concurrently')
  // 2000 rows and an index expression that takes 1 ms a row: the index build
  // runs for seconds once it may start. It starts behind a gate (a shared
  // advisory lock the test holds exclusively until all nine waiters are seen
  // waiting), so a slow machine cannot let the holder finish before a waiter
  // had to wait: the test orders events, it does not race them.
  await S.db.sql.unsafe(`
    create table cic_items (id serial primary key, n int not null, note text);
    insert into cic_items (n, note) select g, md5(g::text) from generate_series(1, 2000) g;
    create function lm_slow(i int) returns int language plpgsql immutable as $$
      begin perform pg_advisory_xact_lock_shared(${GATE}); perform pg_sleep(0.001); return i; end $$;
  `)
})
test.after(async () => {
  S.stop?.()
  await S.writer?.end({ timeout: 5 }).catch(() => undefined)
  await S.gate?.end({ timeout: 5 }).catch(() => undefined)
  await S.db?.drop()
  await closeAdmin()
})

it('the holder finishes its CREATE INDEX CONCURRENTLY while 9 runners wait; all exit 0; index valid; applied once', async () => {
  const sql = S.db!.sql
  const dir = await migrationsDir({
    '001_cic_items_slow_idx.up.sql': 'create index concurrently if not exists cic_items_slow_idx on cic_items (lm_slow(n));\n',
    '001_cic_items_slow_idx.down.sql': 'drop index concurrently if exists cic_items_slow_idx;\n',
    '002_cic_items_flag.up.sql': 'alter table cic_items add column flag boolean not null default false;\n',
    '002_cic_items_flag.down.sql': 'alter table cic_items drop column flag;\n',
  })
  const args = ['up', '--dir', dir, '--service', 'cic-svc', '--database-url', S.db!.url]

  // Live writes through their own connection: a row every 10 ms, at most 3000 rows or 60 s.
  S.writer = postgres(S.db!.url, { max: 1, onnotice: () => {}, connection: { application_name: 'lm-test-writer' } })
  let writing = true
  S.stop = () => (writing = false)
  const writes: number[] = []
  const writer = (async () => {
    const until = Date.now() + 60_000
    for (let i = 0; writing && i < 3000 && Date.now() < until; i++) {
      await S.writer!`insert into cic_items (n, note) values (${100_000 + i}, 'live')`
      writes.push(performance.now())
      await new Promise((r) => setTimeout(r, 10))
    }
  })()

  // The gate: held on an idle session (no transaction, no snapshot) until the waiters wait.
  S.gate = postgres(S.db!.url, { max: 1, onnotice: () => {}, connection: { application_name: 'lm-test-gate' } })
  await S.gate`select pg_advisory_lock(${GATE})`

  const t0 = performance.now()
  const holder = runTimed(args, { timeoutMs: 120_000 })
  const [k1, k2] = lockKeys.session('cic-svc')
  const cicSeenAt = await waitFor(
    'the holder to run CREATE INDEX CONCURRENTLY under the lock',
    async () => {
      const [row] = await sql<{ locked: boolean; cic: boolean }[]>`
        select exists (select 1 from pg_locks where locktype = 'advisory' and granted and classid = ${k1}::int8::oid
                        and objid = ${k2}::int8::oid and objsubid = 2
                        and database = (select oid from pg_database where datname = current_database())) as locked,
               exists (select 1 from pg_stat_activity where datname = current_database() and state = 'active'
                        and query ilike 'create index concurrently%') as cic`
      return row!.locked && row!.cic ? performance.now() : false
    },
    30_000,
  )

  // Sample the index build: who blocks it, and is it still running.
  const blockers = new Map<number, string>()
  let samples = 0
  let cicEndedAt = 0
  let sampling = true
  const sampler = (async () => {
    while (sampling) {
      const rows = await sql<{ pid: number; blocked_by: number[] }[]>`
        select pid, pg_blocking_pids(pid) as blocked_by from pg_stat_activity
         where datname = current_database() and state = 'active' and query ilike 'create index concurrently%'`
      if (rows.length === 0) {
        if (!cicEndedAt) cicEndedAt = performance.now()
      } else {
        samples++
        const ids = rows.flatMap((r) => r.blocked_by)
        if (ids.length) {
          const apps = await sql<{ pid: number; app: string }[]>`
            select pid, application_name as app from pg_stat_activity where pid = any(${ids}::int[])`
          for (const a of apps) blockers.set(a.pid, a.app)
        }
      }
      await new Promise((r) => setTimeout(r, 25))
    }
  })()

  // The gate opens once every waiter has said that it waits.
  let saidWaiting = 0
  const waiting = Promise.all(
    Array.from({ length: 9 }, () => {
      let said = false
      let seen = ''
      return runTimed(args, {
        timeoutMs: 120_000,
        onOutput: (chunk) => {
          seen += chunk
          if (!said && WAITING.test(seen)) {
            said = true
            saidWaiting++
          }
        },
      })
    }),
  )
  await waitFor('the nine waiters to say that they wait', async () => saidWaiting >= 9, 45_000)
  await S.gate`select pg_advisory_unlock(${GATE})`
  const gateOpenedAt = performance.now()
  const waiters = await waiting
  const h: TimedResult = await holder
  sampling = false
  await sampler
  writing = false
  await writer

  assert.is(h.code, 0, show(h))
  assert.equal(
    lines(h, /Successfully applied migration/).map((l) => l.replace(/.*migration /, '')),
    ['001_cic_items_slow_idx', '002_cic_items_flag'],
    show(h),
  )
  for (const w of waiters) {
    assert.is(w.code, 0, show(w))
    assert.ok(w.startedAt > cicSeenAt, 'started after the holder took the lock and began the index build')
    assert.is(lines(w, WAITING).length >= 1, true, `waited:\n${show(w)}`)
    assert.is(lines(w, /Successfully applied migration/).length, 0, show(w))
    assert.is(lines(w, /Found 0 pending migrations/).length, 1, show(w))
  }
  assert.ok(samples >= 3, `the index build was seen running while the waiters polled (${samples} samples)`)
  const ours = [...blockers].filter(([, app]) => app.startsWith('link-migrate'))
  assert.equal(ours, [], `no link-migrate connection ever blocked the index build (blockers seen: ${JSON.stringify([...blockers])})`)

  const took = h.endedAt - h.startedAt
  const afterGate = h.endedAt - gateOpenedAt
  assert.ok(afterGate < 45_000, `the holder finished ${Math.round(afterGate)} ms after the gate opened`)
  const duringBuild = writes.filter((t) => t > cicSeenAt && (!cicEndedAt || t < cicEndedAt)).length
  assert.ok(duringBuild >= 10, `rows were written while the index was built (${duringBuild})`)

  const [idx] = await sql<{ valid: boolean; ready: boolean }[]>`
    select i.indisvalid as valid, i.indisready as ready from pg_index i where i.indexrelid = to_regclass('cic_items_slow_idx')`
  assert.equal({ ...idx }, { valid: true, ready: true }, 'the index is valid')
  const recs = await sql<{ version: number; n: number }[]>`
    select version::int as version, count(*)::int as n from migration_records where service = 'cic-svc' group by version order by version`
  assert.equal(recs.map((r) => [r.version, r.n]), [[1, 1], [2, 1]])
  const [rows] = await sql<{ n: number; live: number }[]>`select count(*)::int as n, count(*) filter (where note = 'live')::int as live from cic_items`
  assert.is(rows!.live, writes.length, 'every live write landed')
  // The index answers for rows written during its build too.
  const [found] = await sql<{ n: number }[]>`
    select count(*)::int as n from cic_items where lm_slow(n) = ${100_000 + writes.length - 1}`
  assert.is(found!.n, 1)
  console.log(
    `    measured: holder ${Math.round(took)} ms (index build ~${Math.round((cicEndedAt || h.endedAt) - cicSeenAt)} ms, ${samples} samples); ` +
      `9 waiters, ${writes.length} live writes (${duringBuild} during the build); blockers seen: ${JSON.stringify([...new Set(blockers.values())])}`,
  )
})

test.run()
