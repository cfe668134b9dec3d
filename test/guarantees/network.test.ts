// Issue 13, points 1-3, with the BUILT CLI behind a TCP fault proxy: a
// network that goes silent (bytes dropped, nothing refused) at connect, in
// the lock wait or in the middle of a migration never hangs the run;
// connect_timeout and --wait are honoured; a lost lock or work connection
// stops the run and says whether the migration in flight committed.
// Waits are bounded and the assertions are on outcomes, never on races; the
// time bounds asserted are loose upper limits (several seconds of slack).
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { lockKeys } from '../../src/db/keys.js'
import { spawnCli } from '../helpers/cli.js'
import { closeAdmin, freshDatabase, type FreshDatabase } from '../helpers/db.js'
import { startFaultProxy, type FaultProxy } from '../helpers/proxy.js'
import { migrationsDir } from '../helpers/tmp.js'
import { advisoryGate, readable, runTimed, show, terminateBackends, waitFor } from './util.js'

const net = suite('a silent or broken network')
const test = readable(net)
const N: { db?: FreshDatabase; proxy?: FaultProxy } = {}
net.before(async () => {
  N.db = await freshDatabase('network')
})
net.after.each(async () => {
  await N.proxy?.close()
  N.proxy = undefined
})
net.after(async () => {
  await N.db?.drop()
  await closeAdmin()
})

async function proxy(): Promise<FaultProxy> {
  const u = new URL(N.db!.url)
  N.proxy = await startFaultProxy({ host: u.hostname, port: Number(u.port) })
  return N.proxy
}

async function recorded(service: string): Promise<number[]> {
  const rows = await N.db!.sql<{ v: number }[]>`
    select version::int as v from migration_records where service = ${service} order by version`.catch(() => [])
  return rows.map((r) => r.v)
}

const target = (p: FaultProxy) => `127.0.0.1:${p.port}`

test('connect: a server that accepts TCP and says nothing; ?connect_timeout=2 ends the try (exit 1, names host and reason)', async () => {
  const p = await proxy()
  p.blackhole()
  const dir = await migrationsDir({ '001_a.up.sql': 'create table net_a (id int);\n' })
  const url = p.url(N.db!.url) + '?connect_timeout=2'
  const r = await runTimed(['up', '--dir', dir, '--service', 'net-connect', '--database-url', url], { timeoutMs: 30_000 })
  assert.is(r.code, 1, show(r))
  assert.match(r.stderr, new RegExp(`cannot connect to database "${N.db!.name}" on 127\\.0\\.0\\.1:${p.port}.*did not answer \\(connect_timeout 2s\\)`), show(r))
  // Hard-coded 10 s before: 2 s plus generous slack for a loaded machine.
  assert.ok(r.endedAt - r.startedAt < 8000, `took ${Math.round(r.endedAt - r.startedAt)} ms\n${show(r)}`)
})

test('connect: PGCONNECT_TIMEOUT is honoured too', async () => {
  const p = await proxy()
  p.blackhole()
  const dir = await migrationsDir({ '001_a.up.sql': 'create table net_a (id int);\n' })
  const r = await runTimed(['up', '--dir', dir, '--service', 'net-connect', '--database-url', p.url(N.db!.url)], {
    timeoutMs: 30_000,
    env: { PGCONNECT_TIMEOUT: '1' },
  })
  assert.is(r.code, 1, show(r))
  assert.match(r.stderr, /did not answer \(connect_timeout 1s\)/, show(r))
})

test('--wait 2 never waits past 2 s, even when one try would take connect_timeout (10 s)', async () => {
  const p = await proxy()
  p.blackhole()
  const dir = await migrationsDir({ '001_a.up.sql': 'create table net_a (id int);\n' })
  const r = await runTimed(['up', '--dir', dir, '--service', 'net-wait', '--wait', '2', '--database-url', p.url(N.db!.url)], { timeoutMs: 30_000 })
  assert.is(r.code, 1, show(r))
  assert.match(r.stderr, /cannot connect to .*\(waited 2s\)/, show(r))
  assert.ok(r.endedAt - r.startedAt < 8000, `took ${Math.round(r.endedAt - r.startedAt)} ms\n${show(r)}`)
})

test('mid-migration, the answer is lost after the server got the file: exit 1 past --timeout + margin, names host and file, says it committed', async () => {
  const p = await proxy()
  const dir = await migrationsDir({
    '001_first.up.sql': 'create table net_one (id int);\n',
    // The marker is in the statement itself: comments outside statements are not sent.
    '002_second.up.sql': "create table net_two (id int, tag text default 'STALL-HERE');\n",
    '003_third.up.sql': 'create table net_three (id int);\n',
  })
  const fired = p.blackholeOn('STALL-HERE', 'after')
  const r = await runTimed(['up', '--dir', dir, '--service', 'net-mid', '--timeout', '1s', '--database-url', p.url(N.db!.url)], { timeoutMs: 60_000 })
  await fired
  assert.is(r.code, 1, show(r))
  // Migrations are pipelined: the chunk that carried 002 may have carried 001
  // and 003 too, and the server runs all it received. The run stops at the
  // first answer it misses, and says what committed: exactly the records.
  const stalled = new RegExp(`no answer from ${target(p)} within 11s while running 00([12])_\\w+\\.up\\.sql`).exec(r.stderr)
  assert.ok(stalled, show(r))
  const said = /(\w+) committed before the connection was lost(?:; so did ([\w, ]+), sent behind it in the same pipeline)?/.exec(r.stderr)
  assert.ok(said, show(r))
  const claimed = [said![1]!, ...(said![2]?.split(', ') ?? [])].map((n) => parseInt(n, 10))
  assert.is(claimed[0], Number(stalled![1]), show(r))
  assert.ok(claimed.includes(2), show(r))
  assert.not.match(r.stdout + r.stderr, /TypeError|Successfully applied migration 00[23]/, show(r))
  assert.equal(await recorded('net-mid'), [...(claimed[0] === 2 ? [1] : []), ...claimed])
})

test('mid-migration, the file never reached the server: "was not applied", nothing after it ran', async () => {
  const p = await proxy()
  const dir = await migrationsDir({
    '001_first.up.sql': 'create table net_b1 (id int);\n',
    '002_second.up.sql': "create table net_b2 (id int, tag text default 'STALL-BEFORE');\n",
  })
  const fired = p.blackholeOn('STALL-BEFORE', 'before')
  const r = await runTimed(['up', '--dir', dir, '--service', 'net-before', '--timeout', '1s', '--database-url', p.url(N.db!.url)], { timeoutMs: 60_000 })
  await fired
  assert.is(r.code, 1, show(r))
  assert.match(r.stderr, /while running 002_second\.up\.sql; 002_second was not applied/, show(r))
  assert.equal(await recorded('net-before'), [1])
})

test('in the lock wait: the network goes silent while another runner holds the lock; the wait ends (exit 1, says what it was doing)', async () => {
  const p = await proxy()
  const service = 'net-lockwait'
  const dir = await migrationsDir({ '001_a.up.sql': 'create table net_lw (id int);\n' })
  const [k1, k2] = lockKeys.session(service)
  const holder = await N.db!.sql.reserve()
  try {
    await holder`select pg_advisory_lock(${k1}, ${k2})`
    const child = spawnCli(['up', '--dir', dir, '--service', service, '--timeout', '1s', '--database-url', p.url(N.db!.url)])
    let stderr = ''
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)))
    await waitFor('the runner to wait for the lock', async () => /Waiting for another migration/.test(stderr), 20_000)
    p.blackhole()
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    const code = await exited
    clearTimeout(killer)
    assert.is(code, 1, stderr)
    assert.match(stderr, new RegExp(`no answer from ${target(p)} within 11s while waiting for the migration lock of service ${service}`), stderr)
  } finally {
    await holder`select pg_advisory_unlock_all()`
    holder.release()
  }
})

const gate = (key: number) => advisoryGate(N.db!.sql, key)
const terminate = (where: string) => terminateBackends(N.db!.sql, where)

test('pg_terminate_backend of the lock connection: the migration in flight commits, no further one starts (exit 1, LOCK_LOST)', async () => {
  const service = 'net-lostlock'
  const g = await gate(913001)
  const dir = await migrationsDir({
    '001_first.up.sql': 'create table net_ll1 (id int);\nselect pg_advisory_xact_lock(913001);\n',
    '002_second.up.sql': 'create table net_ll2 (id int);\n',
  })
  const run = runTimed(['up', '--dir', dir, '--service', service, '--database-url', N.db!.url], { timeoutMs: 60_000 })
  await g.waiting()
  assert.is(await terminate(`application_name = 'link-migrate ${service}'`), 1)
  await g.open()
  const r = await run
  assert.is(r.code, 1, show(r))
  assert.match(r.stderr, /the migration lock of service net-lostlock was lost .*; 002_second and the migrations after it were not started/, show(r))
  assert.not.match(r.stderr, /TypeError/, show(r))
  assert.equal(await recorded(service), [1])
})

test('pg_terminate_backend of the work connection mid-migration: exit 1, "002_second was not applied", 003 not run', async () => {
  const service = 'net-lostwork'
  const g = await gate(913002)
  const dir = await migrationsDir({
    '001_first.up.sql': 'create table net_lw1 (id int);\n',
    '002_second.up.sql': 'create table net_lw2 (id int);\nselect pg_advisory_xact_lock(913002);\n',
    '003_third.up.sql': 'create table net_lw3 (id int);\n',
  })
  const run = runTimed(['up', '--dir', dir, '--service', service, '--database-url', N.db!.url], { timeoutMs: 60_000 })
  await g.waiting()
  assert.is(await terminate(`wait_event_type = 'Lock' and query like '%913002%' and pid <> pg_backend_pid()`), 1)
  await g.open()
  const r = await run
  assert.is(r.code, 1, show(r))
  assert.match(r.stderr, /the connection to .* was lost while running 002_second\.up\.sql .*; 002_second was not applied/, show(r))
  assert.not.match(r.stderr, /TypeError/, show(r))
  assert.equal(await recorded(service), [1])
  const [t] = await N.db!.sql<{ ok: boolean }[]>`select to_regclass('net_lw2') is null and to_regclass('net_lw3') is null as ok`
  assert.ok(t!.ok)
})

net.run()
