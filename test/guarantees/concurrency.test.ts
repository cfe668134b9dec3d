// SPEC 5, concurrency, with the BUILT CLI as separate OS processes:
//  - ten replicas of one service starting at once apply each migration exactly
//    once and all exit 0; the ones that waited say so;
//  - ten processes on a database without bookkeeping tables create them safely;
//  - different services never wait for each other.
import { suite } from 'uvu'
import postgres from 'postgres'
import * as assert from 'uvu/assert'
import { lockKeys } from '../../src/db/keys.js'
import { closeAdmin, freshDatabase, type FreshDatabase } from '../helpers/db.js'
import { migrationsDir } from '../helpers/tmp.js'
import { lines, readable, runTimed, show, waitFor, WAITING, type TimedResult } from './util.js'

const pad = (n: number) => String(n).padStart(3, '0')

/** `count` migrations that each do a little work and bump a side-effect counter. */
function workMigrations(count: number, table: string): Record<string, string> {
  const files: Record<string, string> = {
    [`001_create_${table}_effects.up.sql`]:
      `create table ${table}_effects (version int primary key, n int not null);\n` +
      `insert into ${table}_effects values (1, 1) on conflict (version) do update set n = ${table}_effects.n + 1;\n`,
    [`001_create_${table}_effects.down.sql`]: `drop table ${table}_effects;\n`,
  }
  for (let v = 2; v <= count; v++) {
    files[`${pad(v)}_create_${table}_${v}.up.sql`] =
      `create table ${table}_${v} (id int primary key, payload text not null);\n` +
      `insert into ${table}_${v} select g, md5(g::text) from generate_series(1, 500) g;\n` +
      `select pg_sleep(0.05);\n` +
      `insert into ${table}_effects values (${v}, 1) on conflict (version) do update set n = ${table}_effects.n + 1;\n`
    files[`${pad(v)}_create_${table}_${v}.down.sql`] = `drop table ${table}_${v};\n`
  }
  return files
}

const ms = (x: number) => `${Math.round(x)} ms`

// ======================================================= ten replicas

const replicasSuite = suite('ten replicas of one service')
const replicas = readable(replicasSuite)
const R: { db?: FreshDatabase } = {}
replicasSuite.before(async () => {
  R.db = await freshDatabase('conc_replicas')
})
replicasSuite.after(async () => {
  await R.db?.drop()
})

replicas('10 concurrent `up` processes on 30 migrations (fresh database): all exit 0, each migration applied exactly once', async () => {
  const N = 10
  const M = 30
  const dir = await migrationsDir(workMigrations(M, 'rep'))
  const args = ['up', '--dir', dir, '--service', 'replica-svc', '--database-url', R.db!.url]
  const t0 = performance.now()
  const runs = await Promise.all(Array.from({ length: N }, () => runTimed(args, { timeoutMs: 50_000 })))
  const wall = performance.now() - t0

  for (const r of runs) assert.is(r.code, 0, show(r))
  for (const r of runs) assert.not.match(r.stderr, /error/i, show(r))

  // Output: the applied lines add up to each migration once, across all processes.
  const appliedLines = runs.flatMap((r) => lines(r, /Successfully applied migration /))
  assert.is(appliedLines.length, M, appliedLines.join('\n'))
  const names = appliedLines.map((l) => l.replace(/.*Successfully applied migration (\S+).*/, '$1')).sort()
  assert.equal(names, Object.keys(workMigrations(M, 'rep')).filter((f) => f.endsWith('.up.sql')).map((f) => f.replace('.up.sql', '')).sort())
  assert.equal(runs.flatMap((r) => lines(r, /Skipped migration/)), [], 'the session lock serialised the runs (the in-transaction guard never had to fire)')

  // Every process either applied, or waited and then found nothing, or started after all was done.
  const appliers = runs.filter((r) => lines(r, /Successfully applied migration /).length > 0)
  const waited = runs.filter((r) => lines(r, WAITING).length > 0)
  for (const r of runs) {
    if (appliers.includes(r)) continue
    assert.ok(lines(r, /Found 0 pending migrations/).length === 1, show(r))
    assert.ok(lines(r, /All migrations completed successfully/).length === 1, show(r))
  }
  assert.ok(waited.length >= 1, `at least one replica waited for the lock (${waited.length} did)`)
  for (const r of waited) {
    const [line] = lines(r, WAITING)
    assert.match(line!, /^\[replica-svc-migrations\] Waiting for another migration of service replica-svc to finish: lock /)
    // Who holds it: pid and application, unless the holder let go between the try and the look-up.
    assert.ok(/held by pid \d+ \(application "link-migrate replica-svc"/.test(line!) || /not visible/.test(line!), line)
    assert.is(lines(r, /Acquired the migration lock after waiting /).length, 1, show(r))
  }

  // The database: one record per version, every table, every side effect once.
  const sql = R.db!.sql
  const perVersion = await sql<{ version: number; n: number }[]>`
    select version::int as version, count(*)::int as n from migration_records where service = 'replica-svc' group by version order by version`
  assert.equal(
    perVersion.map((r) => [r.version, r.n]),
    Array.from({ length: M }, (_, i) => [i + 1, 1]),
  )
  const effects = await sql<{ version: number; n: number }[]>`select version, n from rep_effects order by version`
  assert.equal(
    effects.map((r) => [r.version, r.n]),
    Array.from({ length: M }, (_, i) => [i + 1, 1]),
  )
  const [tables] = await sql<{ n: number }[]>`
    select count(*)::int as n from information_schema.tables where table_schema = 'public' and table_name ~ '^rep_[0-9]+$'`
  assert.is(tables!.n, M - 1)
  const [rows] = await sql<{ n: number }[]>`select count(*)::int as n from rep_17`
  assert.is(rows!.n, 500)
  const versions = await sql`select service, version::int as version, description from schema_versions`
  assert.equal([...versions], [{ service: 'replica-svc', version: M, description: `${pad(M)}_create_rep_${M}` }])
  const [left] = await sql<{ locks: number; conns: number }[]>`
    select (select count(*)::int from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())) as locks,
           (select count(*)::int from pg_stat_activity where datname = current_database() and application_name like 'link-migrate%') as conns`
  assert.equal({ ...left }, { locks: 0, conns: 0 }, 'no lock and no connection left behind')

  console.log(
    `    measured: ${N} processes x ${M} migrations in ${ms(wall)}; ${appliers.length} applied, ${waited.length} waited; ` +
      `slowest process ${ms(Math.max(...runs.map((r) => r.endedAt - r.startedAt)))}`,
  )
})

replicasSuite.run()

// ======================================================= bookkeeping creation

const setupSuite = suite('bookkeeping tables created by many processes at once')
const setup = readable(setupSuite)
const S: { db?: FreshDatabase } = {}
setupSuite.before(async () => {
  S.db = await freshDatabase('conc_setup')
})
setupSuite.after(async () => {
  await S.db?.drop()
})

setup('10 processes of 10 different services start at once on a database without bookkeeping tables: no error', async () => {
  const N = 10
  const t0 = performance.now()
  const runs = await Promise.all(
    Array.from({ length: N }, async (_, i) => {
      const dir = await migrationsDir({
        '001_one.up.sql': `create table setup_${i}_a (id int);\n`,
        '001_one.down.sql': `drop table setup_${i}_a;\n`,
        '002_two.up.sql': `create table setup_${i}_b (id int);\n`,
        '002_two.down.sql': `drop table setup_${i}_b;\n`,
      })
      return runTimed(['up', '--dir', dir, '--service', `setup-svc-${i}`, '--database-url', S.db!.url], { timeoutMs: 40_000 })
    }),
  )
  const wall = performance.now() - t0
  for (const r of runs) {
    assert.is(r.code, 0, show(r))
    assert.is(r.stderr, '', show(r))
    assert.is(lines(r, /Successfully applied migration/).length, 2, show(r))
  }
  const sql = S.db!.sql
  const [counts] = await sql<{ records: number; services: number; versions: number }[]>`
    select (select count(*)::int from migration_records) as records,
           (select count(distinct service)::int from migration_records) as services,
           (select count(*)::int from schema_versions where version = 2) as versions`
  assert.equal({ ...counts }, { records: 2 * N, services: N, versions: N })
  const objects = await sql<{ relname: string; relkind: string }[]>`
    select c.relname, c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relname in ('migration_records', 'schema_versions', 'migration_records_service_version_key')
     order by c.relname`
  assert.equal(
    objects.map((o) => `${o.relname}:${o.relkind}`),
    ['migration_records:r', 'migration_records_service_version_key:i', 'schema_versions:r'],
  )
  console.log(`    measured: ${N} services' first runs at once in ${ms(wall)}`)
})

setup('10 replicas of one service start at once on a database without bookkeeping tables: no error', async () => {
  const db = await freshDatabase('conc_setup_same')
  try {
    const dir = await migrationsDir({ '001_one.up.sql': 'create table same_one (id int);\n' })
    const runs = await Promise.all(
      Array.from({ length: 10 }, () => runTimed(['up', '--dir', dir, '--service', 'same-svc', '--database-url', db.url], { timeoutMs: 40_000 })),
    )
    for (const r of runs) assert.is(r.code, 0, show(r))
    for (const r of runs) assert.not.match(r.stderr, /error/i, show(r))
    assert.is(runs.flatMap((r) => lines(r, /Successfully applied migration 001_one/)).length, 1)
    const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from migration_records`
    assert.is(row!.n, 1)
  } finally {
    await db.drop()
  }
})

setupSuite.run()

// ======================================================= services in parallel

const servicesSuite = suite('different services never wait for each other')
const services = readable(servicesSuite)
const P: { db?: FreshDatabase } = {}
servicesSuite.before(async () => {
  P.db = await freshDatabase('conc_services')
})
servicesSuite.after(async () => {
  await P.db?.drop()
  await closeAdmin()
})

services('service A is held inside a migration; B and C, started while A runs, finish before A without waiting', async () => {
  const sql = P.db!.sql
  const url = P.db!.url
  // A's migration waits behind a gate the test holds (not a sleep): B and C run
  // while A is provably inside its migration, however slow the machine.
  const GATE = 7_373_737
  const gate = postgres(url, { max: 1, onnotice: () => {}, connection: { application_name: 'lm-test-gate' } })
  await gate`select pg_advisory_lock(${GATE})`
  const aDir = await migrationsDir({
    '001_slow.up.sql': `create table svc_a_slow (id int primary key);\ninsert into svc_a_slow values (1);\nselect pg_advisory_xact_lock_shared(${GATE});\n`,
    '001_slow.down.sql': 'drop table svc_a_slow;\n',
  })
  const fast = (p: string) => {
    const f: Record<string, string> = {}
    for (let v = 1; v <= 5; v++) {
      f[`${pad(v)}_fast_${v}.up.sql`] = `create table ${p}_fast_${v} (id int primary key);\ninsert into ${p}_fast_${v} values (${v});\n`
      f[`${pad(v)}_fast_${v}.down.sql`] = `drop table ${p}_fast_${v};\n`
    }
    return f
  }
  const bDir = await migrationsDir(fast('svc_b'))
  const cDir = await migrationsDir(fast('svc_c'))

  const a = runTimed(['up', '--dir', aDir, '--service', 'svc-a', '--database-url', url], { timeoutMs: 40_000 })
  let aEnded = false
  void a.then(() => (aEnded = true))
  // Start B and C only once A holds its lock and waits at the gate inside its migration.
  const [k1, k2] = lockKeys.session('svc-a')
  const seenAt = await waitFor(
    "A's migration running",
    async () => {
      const [row] = await sql<{ locked: boolean; sleeping: boolean }[]>`
        select exists (select 1 from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database()) and granted
                        and classid = ${k1}::int8::oid and objid = ${k2}::int8::oid and objsubid = 2) as locked,
               exists (select 1 from pg_stat_activity where datname = current_database() and state = 'active'
                        and query like ${`%pg_advisory_xact_lock_shared(${GATE})%`} and pid <> pg_backend_pid()) as sleeping`
      return row!.locked && row!.sleeping ? performance.now() : false
    },
    20_000,
  )
  const [b, c] = await Promise.all([
    runTimed(['up', '--dir', bDir, '--service', 'svc-b', '--database-url', url], { timeoutMs: 40_000 }),
    runTimed(['up', '--dir', cDir, '--service', 'svc-c', '--database-url', url], { timeoutMs: 40_000 }),
  ])
  const aStillRunning = !aEnded
  await gate`select pg_advisory_unlock(${GATE})`
  await gate.end({ timeout: 5 })
  const ra: TimedResult = await a
  assert.ok(aStillRunning, 'A was still inside its migration when B and C had finished')

  for (const r of [ra, b, c]) assert.is(r.code, 0, show(r))
  for (const r of [b, c]) {
    assert.ok(r.endedAt < ra.endedAt, `B/C ended (${ms(r.endedAt)}) before A (${ms(ra.endedAt)})`)
    assert.ok(r.startedAt > seenAt - 1, 'started while A was inside its migration')
    assert.equal(lines(r, WAITING), [], show(r))
    assert.equal(lines(r, /Acquired the migration lock/), [], show(r))
    assert.is(lines(r, /Successfully applied migration/).length, 5, show(r))
  }
  assert.equal(lines(ra, WAITING), [])
  assert.is(lines(ra, /Successfully applied migration 001_slow/).length, 1, show(ra))
  const rows = await sql<{ service: string; version: number }[]>`select service, version::int as version from schema_versions order by service`
  assert.equal(
    rows.map((r) => [r.service, r.version]),
    [
      ['svc-a', 1],
      ['svc-b', 5],
      ['svc-c', 5],
    ],
  )
  console.log(
    `    measured: A took ${ms(ra.endedAt - ra.startedAt)}; B took ${ms(b.endedAt - b.startedAt)} and C ${ms(c.endedAt - c.startedAt)}, ` +
      `both ending ${ms(ra.endedAt - Math.max(b.endedAt, c.endedAt))} before A`,
  )
})

servicesSuite.run()
