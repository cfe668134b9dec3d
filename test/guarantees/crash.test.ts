// SPEC 5 / issue 7 point 3: crashes. On a PRIVATE PostgreSQL cluster (it is
// restarted here; the shared test server is never touched):
//  - SIGKILL of a runner in the middle of a long transactional migration,
//  - SIGKILL between the two CONCURRENTLY statements of a no-transaction file,
//  - pg_ctl restart -m fast while a runner is inside a migration,
//  - pg_terminate_backend of the runner's backend,
// then: no half-applied migration, no lock of ours left once the server has
// noticed the dead connection, bookkeeping neither lost nor doubled, and the
// next `up` finishes the job.
//
// "Once the server has noticed": a backend busy with a statement (pg_sleep, a
// lock wait) does not look at its client socket unless
// client_connection_check_interval (PostgreSQL 14+) is set; these databases
// set it to 1 s. Without it the dead runner's last message runs on to its end
// and commits or rolls back whole (its transaction is one message), and the
// next runner's per-migration guard waits for it and then skips the
// migration: tested in the first case below.
import { spawn } from 'node:child_process'
import postgres from 'postgres'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { lockKeys } from '../../src/db/keys.js'
import { cliCommand, cliEnv, type CliResult } from '../helpers/cli.js'
import { migrationsDir } from '../helpers/tmp.js'
import { startCluster, type Cluster } from './servers.js'
import { lines, readable, runTimed, show, waitFor } from './util.js'

const test = suite('crashes: SIGKILL, server restart, terminated backend')
const it = readable(test)
const S: { pg?: Cluster; admin?: postgres.Sql; dbs: postgres.Sql[] } = { dbs: [] }

test.before(async () => {
  S.pg = await startCluster()
  S.admin = postgres(S.pg.url, { max: 2, onnotice: () => {} })
})
test.after(async () => {
  for (const d of S.dbs) await d.end({ timeout: 5 }).catch(() => undefined)
  await S.admin?.end({ timeout: 5 }).catch(() => undefined)
  S.pg?.stop()
})

let n = 0
/** A new database on the private cluster: its URL and a pool on it. */
async function database(checkInterval: boolean): Promise<{ url: string; sql: postgres.Sql; name: string }> {
  const name = `crash_${++n}`
  await S.admin!.unsafe(`create database ${name}`)
  if (checkInterval) await S.admin!.unsafe(`alter database ${name} set client_connection_check_interval = '1s'`)
  const u = new URL(S.pg!.url)
  u.pathname = '/' + name
  const sql = postgres(u.toString(), { max: 3, onnotice: () => {} })
  S.dbs.push(sql)
  return { url: u.toString(), sql, name }
}

/** A running CLI whose output is collected; `done` resolves when it exits. */
function start(args: string[]): { pid: number; kill: (sig: NodeJS.Signals) => void; done: Promise<CliResult> } {
  const { command, args: argv } = cliCommand(args)
  const child = spawn(command, argv, { env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  const done = new Promise<CliResult>((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr, timedOut: false })
    }),
  )
  return { pid: child.pid!, kill: (sig) => child.kill(sig), done }
}

/** Our advisory locks (the service's run lock and its per-migration lock) still held on the server. */
async function ourLocks(sql: postgres.Sql, service: string): Promise<number> {
  const [, key] = lockKeys.session(service)
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from pg_locks where locktype = 'advisory' and objid = ${key}::int8::oid
       and database = (select oid from pg_database where datname = current_database())`
  return row!.n
}

async function records(sql: postgres.Sql, service: string): Promise<number[][]> {
  const [has] = await sql<{ ok: boolean }[]>`select to_regclass('migration_records') is not null as ok`
  if (!has!.ok) return []
  const rows = await sql<{ version: number; n: number }[]>`
    select version::int as version, count(*)::int as n from migration_records where service = ${service} group by version order by version`
  return rows.map((r) => [r.version, r.n])
}

const exists = async (sql: postgres.Sql, rel: string) => (await sql<{ ok: boolean }[]>`select to_regclass(${rel}) is not null as ok`)[0]!.ok

/** Polls until the server shows a backend running `like`. */
const running = (sql: postgres.Sql, like: string, what: string) =>
  waitFor(
    what,
    async () => {
      const [row] = await sql<{ pid: number | null }[]>`
        select (select pid from pg_stat_activity where datname = current_database() and state = 'active'
                 and query like ${like} and pid <> pg_backend_pid() limit 1) as pid`
      return row!.pid ?? false
    },
    20_000,
  )

/**
 * The one error line of a run cut off by the server: it names the file, says
 * the connection was lost and whether the migration committed (looked up on
 * a new connection), never a TypeError (issue 13: postgres.js crashed when
 * link-migrate sent a ROLLBACK or the lock release on a closed connection).
 */
function clearMessage(res: CliResult, service: string): string {
  const err = res.stderr.split('\n').filter((l) => /Error:/.test(l))
  assert.not.match(res.stderr, /TypeError/, show(res))
  assert.is(err.length, 1, show(res))
  assert.match(
    err[0]!,
    new RegExp(`^\\[${service}-migrations\\] Error: the connection to \\S+ was lost while running 002_crash_tx\\.up\\.sql .*; 002_crash_tx was not applied$`),
    show(res),
  )
  return err[0]!
}

const TX_FILES = {
  '001_crash_one.up.sql': 'create table crash_one (id int primary key);\ncreate table crash_gate (closed boolean not null);\ninsert into crash_gate values (true);\n',
  // Long while the gate is closed; instant once the test opens it.
  '002_crash_tx.up.sql':
    'create table crash_tx (id int primary key);\ninsert into crash_tx values (1), (2);\n' +
    'select pg_sleep(30) from crash_gate where closed;\ninsert into crash_tx values (3);\n',
  '003_crash_three.up.sql': 'create table crash_three (id int primary key);\n',
}

it('SIGKILL inside a long transactional migration: table absent, 002 not recorded, no lock once noticed; the next up applies 002 and 003 once', async () => {
  const db = await database(true)
  const dir = await migrationsDir(TX_FILES)
  const args = ['up', '--dir', dir, '--service', 'crash-svc', '--database-url', db.url]
  const r = start(args)
  await running(db.sql, 'select pg_sleep(30)%', 'the runner inside 002')
  r.kill('SIGKILL')
  const killed = await r.done
  assert.is(killed.signal, 'SIGKILL')
  const t0 = performance.now()
  await waitFor('the server to drop the dead runner and its locks', async () => (await ourLocks(db.sql, 'crash-svc')) === 0, 10_000, 100)
  const noticed = performance.now() - t0
  assert.not.ok(await exists(db.sql, 'crash_tx'), 'no half-applied migration: crash_tx does not exist')
  assert.equal(await records(db.sql, 'crash-svc'), [[1, 1]])
  const [sv] = await db.sql<{ version: number }[]>`select version::int as version from schema_versions where service = 'crash-svc'`
  assert.is(sv!.version, 1)

  await db.sql`update crash_gate set closed = false`
  const next = await runTimed(args, { timeoutMs: 30_000 })
  assert.is(next.code, 0, show(next))
  assert.equal(lines(next, /Successfully applied migration/).map((l) => l.replace(/.*migration /, '')), ['002_crash_tx', '003_crash_three'])
  assert.equal(await records(db.sql, 'crash-svc'), [[1, 1], [2, 1], [3, 1]])
  assert.equal((await db.sql<{ id: number }[]>`select id from crash_tx order by id`).map((x) => x.id), [1, 2, 3])
  assert.is(await ourLocks(db.sql, 'crash-svc'), 0)
  console.log(`    measured: locks gone ${Math.round(noticed)} ms after the SIGKILL`)
})

it('without client_connection_check_interval: the dead runner\'s last migration completes whole or not at all, and the next runner waits for it, then skips or applies it: exactly once', async () => {
  const db = await database(false)
  const GATE = 424242
  const dir = await migrationsDir({
    '001_crash_one.up.sql': 'create table crash_one (id int primary key);\n',
    // Waits on a lock the test holds: the dead runner's backend keeps waiting (it does not look at its socket).
    '002_crash_tx.up.sql': `create table crash_tx (id int primary key);\ninsert into crash_tx values (1), (2);\nselect pg_advisory_xact_lock(${GATE});\ninsert into crash_tx values (3);\n`,
    '003_crash_three.up.sql': 'create table crash_three (id int primary key);\n',
  })
  const gate = await db.sql.reserve()
  await gate`select pg_advisory_lock(${GATE})`
  const args = ['up', '--dir', dir, '--service', 'zombie-svc', '--database-url', db.url]
  const r = start(args)
  const zombie = await running(db.sql, `%pg_advisory_xact_lock(${GATE})%`, 'the runner inside 002')
  r.kill('SIGKILL')
  await r.done
  // Its lock connection was idle: gone at once, so the run lock is free.
  const [k1, k2] = lockKeys.session('zombie-svc')
  await waitFor(
    'the run lock to go with the lock connection',
    async () => {
      const [row] = await db.sql<{ n: number }[]>`
        select count(*)::int as n from pg_locks where locktype = 'advisory' and classid = ${k1}::int8::oid and objid = ${k2}::int8::oid`
      return row!.n === 0
    },
    10_000,
    100,
  )
  // The dead runner's backend still waits inside 002, its transaction open: nothing of it is visible.
  assert.not.ok(await exists(db.sql, 'crash_tx'))
  assert.equal(await records(db.sql, 'zombie-svc'), [[1, 1]])
  const next = start(args)
  // The next runner gets the run lock and waits in 002's guard for the dead runner's transaction.
  await waitFor(
    'the next runner waiting in the guard',
    async () => {
      const [row] = await db.sql<{ n: number }[]>`
        select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event = 'advisory'
           and query like 'begin;%' and pid <> ${zombie}`
      return row!.n === 1
    },
    20_000,
  )
  await gate`select pg_advisory_unlock(${GATE})`
  gate.release()
  const done = await next.done
  assert.is(done.code, 0, show(done))
  // The dead runner's statements go pipelined: its backend may commit 002
  // (all of it was received) or die when it answers the dead socket and roll
  // 002 back; either way the next runner does the right thing.
  const said = lines(done, /Successfully applied migration|Skipped migration/).map((l) => l.replace(/.*\] /, ''))
  assert.ok(
    ['Skipped migration 002_crash_tx: another runner already applied it', 'Successfully applied migration 002_crash_tx'].includes(said[0]!),
    show(done),
  )
  assert.equal(said.slice(1), ['Successfully applied migration 003_crash_three'], show(done))
  console.log(`    measured: the next runner said "${said[0]}"`)
  assert.equal(await records(db.sql, 'zombie-svc'), [[1, 1], [2, 1], [3, 1]], 'bookkeeping neither lost nor doubled')
  assert.equal((await db.sql<{ id: number }[]>`select id from crash_tx order by id`).map((x) => x.id), [1, 2, 3], '002 applied whole, once')
  assert.is(await ourLocks(db.sql, 'zombie-svc'), 0)
})

it('SIGKILL between the two CONCURRENTLY statements of a no-transaction file: nothing recorded, no lock once noticed; the next up drops the INVALID index and applies it once', async () => {
  const db = await database(true)
  await db.sql.unsafe(`
    create table notx_a (id int primary key, a int);
    create table notx_b (id int primary key, b int);
    insert into notx_a select g, g from generate_series(1, 1000) g;
    insert into notx_b select g, g from generate_series(1, 1000) g;`)
  const dir = await migrationsDir({
    '001_notx_seed.up.sql': 'create table notx_effects (k text primary key);\n',
    '002_notx_indexes.up.sql':
      'create index concurrently if not exists notx_a_idx on notx_a (a);\n' +
      'create index concurrently if not exists notx_b_idx on notx_b (b);\n',
  })
  // The second index build waits for this transaction's lock on notx_b.
  const blocker = await db.sql.reserve()
  await blocker.unsafe('begin; lock table notx_b in row exclusive mode')
  const args = ['up', '--dir', dir, '--service', 'notx-crash-svc', '--database-url', db.url]
  const r = start(args)
  await waitFor(
    'the second CREATE INDEX CONCURRENTLY waiting',
    async () => {
      const [row] = await db.sql<{ ok: boolean }[]>`
        select exists (select 1 from pg_stat_activity where datname = current_database() and query like 'create index concurrently if not exists notx_b_idx%'
                        and wait_event_type = 'Lock') as ok`
      return row!.ok
    },
    20_000,
  )
  r.kill('SIGKILL')
  await r.done
  await waitFor('the server to drop the dead runner and its locks', async () => (await ourLocks(db.sql, 'notx-crash-svc')) === 0, 10_000, 100)
  await waitFor(
    'the index build to be cancelled',
    async () => {
      const [row] = await db.sql<{ n: number }[]>`
        select count(*)::int as n from pg_stat_activity where datname = current_database() and query like 'create index concurrently%'`
      return row!.n === 0
    },
    10_000,
    100,
  )
  assert.equal(await records(db.sql, 'notx-crash-svc'), [[1, 1]], 'the no-transaction file is not recorded')
  const [a] = await db.sql<{ valid: boolean }[]>`select indisvalid as valid from pg_index where indexrelid = to_regclass('notx_a_idx')`
  assert.is(a?.valid, true, 'the first statement did run (no transaction)')
  const [b] = await db.sql<{ valid: boolean }[]>`select indisvalid as valid from pg_index where indexrelid = to_regclass('notx_b_idx')`
  assert.ok(!b || b.valid === false, 'the second index is absent or INVALID')
  await blocker.unsafe('commit')
  blocker.release()

  const next = await runTimed(args, { timeoutMs: 30_000 })
  assert.is(next.code, 0, show(next))
  if (b) assert.is(lines(next, /dropping INVALID index notx_b_idx/).length, 1, show(next))
  assert.is(lines(next, /Successfully applied migration 002_notx_indexes/).length, 1, show(next))
  assert.equal(await records(db.sql, 'notx-crash-svc'), [[1, 1], [2, 1]])
  const valid = await db.sql<{ name: string; valid: boolean }[]>`
    select c.relname as name, i.indisvalid as valid from pg_index i join pg_class c on c.oid = i.indexrelid
     where c.relname in ('notx_a_idx', 'notx_b_idx') order by 1`
  assert.equal(valid.map((x) => [x.name, x.valid]), [['notx_a_idx', true], ['notx_b_idx', true]])
  assert.is(await ourLocks(db.sql, 'notx-crash-svc'), 0)
})

it('pg_terminate_backend of the runner\'s backend inside a migration: exit 1 with a clear message; nothing half-applied; the next up finishes', async () => {
  const db = await database(true)
  const dir = await migrationsDir(TX_FILES)
  const args = ['up', '--dir', dir, '--service', 'term-svc', '--database-url', db.url]
  const r = start(args)
  const pid = await running(db.sql, 'select pg_sleep(30)%', 'the runner inside 002')
  await db.sql`select pg_terminate_backend(${pid})`
  const res = await r.done
  assert.is(res.code, 1, show(res))
  assert.not.match(res.stdout + res.stderr, /All migrations completed successfully|Successfully applied migration 002/)
  const message = clearMessage(res, 'term-svc')
  assert.not.ok(await exists(db.sql, 'crash_tx'))
  assert.equal(await records(db.sql, 'term-svc'), [[1, 1]])
  await waitFor('no lock left', async () => (await ourLocks(db.sql, 'term-svc')) === 0, 10_000, 100)

  await db.sql`update crash_gate set closed = false`
  const next = await runTimed(args, { timeoutMs: 30_000 })
  assert.is(next.code, 0, show(next))
  assert.equal(await records(db.sql, 'term-svc'), [[1, 1], [2, 1], [3, 1]])
  console.log(`    message: ${message}`)
})

it('pg_ctl restart -m fast while a runner is inside a migration: exit 1 with a clear message; after the restart nothing is half-applied and the next up finishes', async () => {
  const db = await database(true)
  const dir = await migrationsDir(TX_FILES)
  const args = ['up', '--dir', dir, '--service', 'restart-svc', '--database-url', db.url]
  const r = start(args)
  await running(db.sql, 'select pg_sleep(30)%', 'the runner inside 002')
  const t0 = performance.now()
  await S.pg!.restart('fast')
  const restartMs = performance.now() - t0
  const res = await r.done
  assert.is(res.code, 1, show(res))
  assert.not.match(res.stdout + res.stderr, /All migrations completed successfully|Successfully applied migration 002/)
  const message = clearMessage(res, 'restart-svc')

  // A new pool: the old one's connections died with the restart.
  const sql = postgres(db.url, { max: 2, onnotice: () => {} })
  S.dbs.push(sql)
  assert.not.ok(await exists(sql, 'crash_tx'))
  assert.equal(await records(sql, 'restart-svc'), [[1, 1]])
  assert.is(await ourLocks(sql, 'restart-svc'), 0)
  await sql`update crash_gate set closed = false`
  const next = await runTimed(args, { timeoutMs: 30_000 })
  assert.is(next.code, 0, show(next))
  assert.equal(await records(sql, 'restart-svc'), [[1, 1], [2, 1], [3, 1]])
  assert.equal((await sql<{ id: number }[]>`select id from crash_tx order by id`).map((x) => x.id), [1, 2, 3])
  console.log(`    measured: restart took ${Math.round(restartMs)} ms; message: ${message}`)
})

test.run()
