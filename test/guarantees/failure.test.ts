// SPEC 5, failures, with the BUILT CLI: a migration that fails half-way is
// rolled back whole with its bookkeeping and stops the run; --timeout cancels
// a long migration; --lock-timeout gives up and names the lock's holder.
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import postgres from 'postgres'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { lockKeys } from '../../src/db/keys.js'
import { closeAdmin, freshDatabase, type FreshDatabase } from '../helpers/db.js'
import { spawnCli } from '../helpers/cli.js'
import { migrationsDir } from '../helpers/tmp.js'
import { lines, readable, runTimed, show, waitFor } from './util.js'

const failSuite = suite('a failing migration')
const fail = readable(failSuite)
const F: { db?: FreshDatabase } = {}
failSuite.before(async () => {
  F.db = await freshDatabase('failure')
})
failSuite.after(async () => {
  await F.db?.drop()
  await closeAdmin()
})

async function state(db: FreshDatabase, service: string, tables: string[]) {
  const sql = db.sql
  const [has] = await sql<{ ok: boolean }[]>`select to_regclass('migration_records') is not null and to_regclass('schema_versions') is not null as ok`
  const records = has!.ok
    ? await sql<{ version: number }[]>`select version::int as version from migration_records where service = ${service} order by version, id`
    : []
  const [v] = has!.ok ? await sql<{ version: number }[]>`select version::int as version from schema_versions where service = ${service}` : []
  const exists: Record<string, boolean> = {}
  for (const t of tables) {
    const [row] = await sql<{ ok: boolean }[]>`select to_regclass(${t}) is not null as ok`
    exists[t] = row!.ok
  }
  return { records: records.map((r) => r.version), version: v?.version ?? null, exists }
}

fail('the 2nd of 3 fails at runtime (after creating a table): exit 1, 1 stays applied, 2 left nothing, 3 did not run; fixed, a rerun applies all', async () => {
  const broken =
    'create table fail_two (id int primary key, ratio int not null);\n' +
    'insert into fail_two values (1, 10);\n' +
    '-- a runtime error, not a syntax error: the statements above did run\n' +
    'update fail_two set ratio = ratio / (select count(*) from fail_two where id > 1);\n'
  const dir = await migrationsDir({
    '001_create_fail_one.up.sql': 'create table fail_one (id int primary key);\ninsert into fail_one values (1), (2);\n',
    '001_create_fail_one.down.sql': 'drop table fail_one;\n',
    '002_create_fail_two.up.sql': broken,
    '002_create_fail_two.down.sql': 'drop table fail_two;\n',
    '003_create_fail_three.up.sql': 'create table fail_three (id int);\n',
    '003_create_fail_three.down.sql': 'drop table fail_three;\n',
  })
  const args = ['up', '--dir', dir, '--service', 'fail-svc', '--database-url', F.db!.url]
  const r = await runTimed(args)
  assert.is(r.code, 1, show(r))
  assert.is(lines(r, /Successfully applied migration 001_create_fail_one/).length, 1, show(r))
  assert.equal(lines(r, /Successfully applied migration 00[23]/), [], show(r))
  assert.match(r.stderr, /\[fail-svc-migrations\] Error: 002_create_fail_two\.up\.sql(:\d+:\d+)?: division by zero/, show(r))
  assert.not.match(r.stdout + r.stderr, /All migrations completed successfully/)

  assert.equal(await state(F.db!, 'fail-svc', ['fail_one', 'fail_two', 'fail_three']), {
    records: [1],
    version: 1,
    exists: { fail_one: true, fail_two: false, fail_three: false },
  })
  const [one] = await F.db!.sql<{ n: number }[]>`select count(*)::int as n from fail_one`
  assert.is(one!.n, 2)

  // The fix: the rerun applies 2 and 3 (and not 1 again).
  await writeFile(path.join(dir, '002_create_fail_two.up.sql'), broken.replace('where id > 1', 'where id >= 1'))
  const again = await runTimed(args)
  assert.is(again.code, 0, show(again))
  assert.equal(
    lines(again, /Successfully applied migration/).map((l) => l.replace(/.*migration /, '')),
    ['002_create_fail_two', '003_create_fail_three'],
  )
  assert.equal(await state(F.db!, 'fail-svc', ['fail_one', 'fail_two', 'fail_three']), {
    records: [1, 2, 3],
    version: 3,
    exists: { fail_one: true, fail_two: true, fail_three: true },
  })
})

fail('a constraint violation points at file:line:col; a syntax error too; nothing of the file stays', async () => {
  const dir = await migrationsDir({
    '001_ok.up.sql': 'create table cv_parent (id int primary key);\n',
    '002_violates.up.sql':
      'create table cv_child (id int primary key, parent int not null references cv_parent (id));\n' +
      '\n' +
      'insert into cv_child values (1, 42);\n',
  })
  const args = ['up', '--dir', dir, '--service', 'cv-svc', '--database-url', F.db!.url]
  const r = await runTimed(args)
  assert.is(r.code, 1, show(r))
  assert.match(r.stderr, /002_violates\.up\.sql(:\d+:\d+)?: insert or update on table "cv_child" violates foreign key constraint/, show(r))
  assert.match(r.stderr, /DETAIL: Key \(parent\)=\(42\) is not present in table "cv_parent"/, show(r))
  assert.equal(await state(F.db!, 'cv-svc', ['cv_parent', 'cv_child']), {
    records: [1],
    version: 1,
    exists: { cv_parent: true, cv_child: false },
  })

  await writeFile(path.join(dir, '002_violates.up.sql'), 'create table cv_child (id int);\n\ninsert into cv_child valuez (1);\n')
  const s = await runTimed(args)
  assert.is(s.code, 1, show(s))
  assert.match(s.stderr, /\[cv-svc-migrations\] Error: 002_violates\.up\.sql:3:22: syntax error at or near "valuez"/, show(s))
  assert.match(s.stderr, /3 \| insert into cv_child valuez \(1\);\n {4}\| {22}\^/, show(s))
  assert.equal((await state(F.db!, 'cv-svc', ['cv_child'])).exists, { cv_child: false })
})

failSuite.run()

// ======================================================= --timeout

const timeoutSuite = suite('--timeout')
const timeout = readable(timeoutSuite)
const T: { db?: FreshDatabase } = {}
timeoutSuite.before(async () => {
  T.db = await freshDatabase('timeout')
})
timeoutSuite.after(async () => {
  await T.db?.drop()
  await closeAdmin()
})

timeout('--timeout 1s on `select pg_sleep(5)`: exit 1 within a few seconds, names the file and the limit, nothing recorded', async () => {
  const dir = await migrationsDir({
    '001_sleepy.up.sql': 'create table sleepy (id int);\ninsert into sleepy values (1);\nselect pg_sleep(5);\n',
    '001_sleepy.down.sql': 'drop table sleepy;\n',
  })
  const r = await runTimed(['up', '--dir', dir, '--service', 'sleepy-svc', '--database-url', T.db!.url, '--timeout', '1s'], {
    timeoutMs: 20_000,
  })
  const took = r.endedAt - r.startedAt
  assert.is(r.code, 1, show(r))
  assert.ok(took < 4000, `exited after ${Math.round(took)} ms, well before pg_sleep(5) would end`)
  assert.match(r.stderr, /001_sleepy\.up\.sql/, show(r))
  assert.match(r.stderr, /1s/, show(r))
  assert.match(r.stderr, /timeout/i, show(r))
  assert.equal(await state(T.db!, 'sleepy-svc', ['sleepy']), { records: [], version: null, exists: { sleepy: false } })
  // Cancelled on the server too, not just abandoned by the client.
  const [active] = await T.db!.sql<{ n: number }[]>`
    select count(*)::int as n from pg_stat_activity
     where datname = current_database() and query like '%pg_sleep(5)%' and pid <> pg_backend_pid()`
  assert.is(active!.n, 0)
  console.log(`    measured: --timeout 1s run exited 1 after ${Math.round(took)} ms`)
})

timeoutSuite.run()

// ======================================================= --lock-timeout

const lockSuite = suite('--lock-timeout')
const lock = readable(lockSuite)
const K: { db?: FreshDatabase; holder?: postgres.Sql; otherDb?: FreshDatabase; otherHolder?: postgres.Sql } = {}
lockSuite.before(async () => {
  K.db = await freshDatabase('locktimeout')
  K.holder = postgres(K.db.url, { max: 1, onnotice: () => {}, connection: { application_name: 'lm-test-lock-holder' } })
  // Another database of the same server, where the same service's lock is held too: a different lock.
  K.otherDb = await freshDatabase('locktimeout_other')
  K.otherHolder = postgres(K.otherDb.url, { max: 1, onnotice: () => {}, connection: { application_name: 'lm-other-database' } })
})
lockSuite.after(async () => {
  await K.holder?.end({ timeout: 5 })
  await K.otherHolder?.end({ timeout: 5 })
  await K.db?.drop()
  await K.otherDb?.drop()
  await closeAdmin()
})

lock("--lock-timeout 500ms while another session holds the service's lock: exit 1 naming the holder's pid and application", async () => {
  const dir = await migrationsDir({ '001_locked.up.sql': 'create table locked_out (id int);\n' })
  const [k1, k2] = lockKeys.session('locked-svc')
  await K.otherHolder!`select pg_advisory_lock(${k1}, ${k2})`
  const [me] = await K.holder!<{ pid: number }[]>`select pg_backend_pid() as pid`
  await K.holder!`select pg_advisory_lock(${k1}, ${k2})`
  const args = ['up', '--dir', dir, '--service', 'locked-svc', '--database-url', K.db!.url]
  const r = await runTimed([...args, '--lock-timeout', '500ms'], { timeoutMs: 20_000 })
  const took = r.endedAt - r.startedAt
  assert.is(r.code, 1, show(r))
  assert.ok(took < 5000, `gave up after ${Math.round(took)} ms`)
  assert.match(r.stderr, /could not take the migration lock of service locked-svc within 500ms/, show(r))
  assert.match(
    r.stderr,
    new RegExp(`held by pid ${me!.pid} \\(application "lm-test-lock-holder" from 127\\.0\\.0\\.1\\) since \\d{4}-\\d\\d-\\d\\dT`),
    show(r),
  )
  assert.not.match(r.stderr, /lm-other-database/, 'the holder of the same key in another database is not named')
  assert.equal(await state(K.db!, 'locked-svc', ['locked_out']), { records: [], version: null, exists: { locked_out: false } })

  // A different service is not held up by that lock.
  const other = await migrationsDir({ '001_free.up.sql': 'create table free_to_go (id int);\n' })
  const o = await runTimed(['up', '--dir', other, '--service', 'other-svc', '--database-url', K.db!.url, '--lock-timeout', '500ms'])
  assert.is(o.code, 0, show(o))

  // Released here: the run goes through, although the other database still holds the same key.
  await K.holder!`select pg_advisory_unlock(${k1}, ${k2})`
  const ok = await runTimed([...args, '--lock-timeout', '500ms'])
  assert.is(ok.code, 0, show(ok))
  assert.equal(await state(K.db!, 'locked-svc', ['locked_out']), { records: [1], version: 1, exists: { locked_out: true } })
  console.log(`    measured: --lock-timeout 500ms run exited 1 after ${Math.round(took)} ms`)
})

lockSuite.run()

// ======================================================= SIGKILL

const killSuite = suite('a runner killed with SIGKILL')
const kill = readable(killSuite)
const X: { db?: FreshDatabase } = {}
killSuite.before(async () => {
  X.db = await freshDatabase('sigkill')
})
killSuite.after(async () => {
  await X.db?.drop()
  await closeAdmin()
})

kill('killed inside a migration: no stuck lock, no half-applied migration; an immediate rerun exits 0 and the migration exists once', async () => {
  const dir = await migrationsDir({
    '001_killed.up.sql': 'create table killed (id int primary key);\ninsert into killed values (1);\nselect pg_sleep(2);\n',
    '002_after.up.sql': 'create table killed_after (id int);\n',
  })
  const args = ['up', '--dir', dir, '--service', 'killed-svc', '--database-url', X.db!.url]
  const sql = X.db!.sql
  const child = spawnCli(args)
  child.stdin?.end()
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, sig) => resolve(sig)))
  await waitFor(
    'the runner inside pg_sleep(2)',
    async () => {
      const [row] = await sql<{ n: number }[]>`
        select count(*)::int as n from pg_stat_activity
         where datname = current_database() and state = 'active' and query like '%pg_sleep(2)%' and pid <> pg_backend_pid()`
      return row!.n === 1
    },
    20_000,
  )
  child.kill('SIGKILL')
  assert.is(await exited, 'SIGKILL')

  const r = await runTimed([...args, '--lock-timeout', '10s'], { timeoutMs: 30_000 })
  assert.is(r.code, 0, show(r))
  // Either the orphaned transaction committed whole (the rerun skips 001) or it was rolled back whole (the rerun applies it).
  const done = lines(r, /(Successfully applied|Skipped) migration 001_killed/)
  assert.is(done.length, 1, show(r))
  assert.is(lines(r, /Successfully applied migration 002_after/).length, 1, show(r))
  assert.equal(await state(X.db!, 'killed-svc', ['killed', 'killed_after']), {
    records: [1, 2],
    version: 2,
    exists: { killed: true, killed_after: true },
  })
  const [rows] = await sql<{ n: number }[]>`select count(*)::int as n from killed`
  assert.is(rows!.n, 1)
  const [locks] = await sql<{ n: number }[]>`select count(*)::int as n from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())`
  assert.is(locks!.n, 0)
  console.log(`    measured: rerun after SIGKILL exited 0 in ${Math.round(r.endedAt - r.startedAt)} ms (${done[0]!.replace(/.*\] /, '')})`)
})

killSuite.run()
