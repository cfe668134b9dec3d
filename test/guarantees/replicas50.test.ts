// SPEC 5 / issue 7 point 1, at scale: 50 replicas of one service (the BUILT
// CLI, 50 separate OS processes) run `up` at once on 30 migrations. Every
// migration is applied exactly once (one record per version, each side-effect
// counter row at 1), all 50 exit 0, and the ones that waited say so.
// (test/guarantees/concurrency.test.ts does the same with 10.)
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { closeAdmin, freshDatabase, type FreshDatabase } from '../helpers/db.js'
import { migrationsDir } from '../helpers/tmp.js'
import { lines, readable, runTimed, show, WAITING } from './util.js'

const pad = (n: number) => String(n).padStart(3, '0')
const ms = (x: number) => `${Math.round(x)} ms`

/** `count` migrations; each creates a table and bumps its row of a side-effect counter. */
function workMigrations(count: number): Record<string, string> {
  const files: Record<string, string> = {
    '001_create_effects.up.sql':
      'create table r50_effects (version int primary key, n int not null);\n' +
      'insert into r50_effects values (1, 1) on conflict (version) do update set n = r50_effects.n + 1;\n',
  }
  for (let v = 2; v <= count; v++) {
    files[`${pad(v)}_create_r50_${v}.up.sql`] =
      `create table r50_${v} (id int primary key, payload text not null);\n` +
      `insert into r50_${v} select g, md5(g::text) from generate_series(1, 200) g;\n` +
      'select pg_sleep(0.15);\n' +
      `insert into r50_effects values (${v}, 1) on conflict (version) do update set n = r50_effects.n + 1;\n`
  }
  return files
}

const test = suite('fifty replicas of one service')
const it = readable(test)
const S: { db?: FreshDatabase } = {}
test.before(async () => {
  S.db = await freshDatabase('replicas50')
})
test.after(async () => {
  await S.db?.drop()
  await closeAdmin()
})

it('50 concurrent `up` processes on 30 migrations: all exit 0, every migration exactly once, the waiters say so', async () => {
  const N = 50
  const M = 30
  const files = workMigrations(M)
  const dir = await migrationsDir(files)
  const args = ['up', '--dir', dir, '--service', 'r50-svc', '--database-url', S.db!.url]
  const t0 = performance.now()
  const runs = await Promise.all(Array.from({ length: N }, () => runTimed(args, { timeoutMs: 75_000 })))
  const wall = performance.now() - t0

  for (const r of runs) assert.is(r.code, 0, show(r))
  for (const r of runs) assert.not.match(r.stderr, /error/i, show(r))

  // Across all 50 outputs, each migration is reported applied once.
  const applied = runs.flatMap((r) => lines(r, /Successfully applied migration /)).map((l) => l.replace(/.*Successfully applied migration (\S+).*/, '$1'))
  assert.equal(applied.sort(), Object.keys(files).map((f) => f.replace('.up.sql', '')).sort())

  const waited = runs.filter((r) => lines(r, WAITING).length > 0)
  assert.ok(waited.length >= 5, `most replicas found the lock busy (${waited.length} did)`)
  for (const r of waited) {
    const [line] = lines(r, WAITING)
    assert.match(line!, /^\[r50-svc-migrations\] Waiting for another migration of service r50-svc to finish: lock (held by pid \d+ \(application "link-migrate r50-svc"|held by a session that is not visible)/)
    assert.is(lines(r, /Acquired the migration lock after waiting /).length, 1, show(r))
  }
  // Those that did not apply anything say there was nothing left.
  for (const r of runs) {
    if (lines(r, /Successfully applied migration /).length > 0) continue
    assert.is(lines(r, /Found 0 pending migrations/).length, 1, show(r))
  }
  for (const r of runs) assert.is(lines(r, /All migrations completed successfully/).length, 1, show(r))

  const sql = S.db!.sql
  const perVersion = await sql<{ version: number; n: number }[]>`
    select version::int as version, count(*)::int as n from migration_records where service = 'r50-svc' group by version order by version`
  assert.equal(perVersion.map((r) => [r.version, r.n]), Array.from({ length: M }, (_, i) => [i + 1, 1]))
  const effects = await sql<{ version: number; n: number }[]>`select version, n from r50_effects order by version`
  assert.equal(effects.map((r) => [r.version, r.n]), Array.from({ length: M }, (_, i) => [i + 1, 1]))
  const [v] = await sql<{ version: number }[]>`select version::int as version from schema_versions where service = 'r50-svc'`
  assert.is(v!.version, M)
  const [left] = await sql<{ locks: number; conns: number }[]>`
    select (select count(*)::int from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())) as locks,
           (select count(*)::int from pg_stat_activity where datname = current_database() and application_name like 'link-migrate%') as conns`
  assert.equal({ ...left }, { locks: 0, conns: 0 }, 'no lock and no connection left behind')

  const appliers = runs.filter((r) => lines(r, /Successfully applied migration /).length > 0).length
  console.log(
    `    measured: ${N} processes x ${M} migrations in ${ms(wall)}; ${appliers} applied, ${waited.length} waited, ` +
      `${N - appliers - waited.length} found nothing pending without waiting; slowest process ${ms(Math.max(...runs.map((r) => r.endedAt - r.startedAt)))}`,
  )
})

test.run()
