/**
 * "Who is blocking me" end to end: `up` waits for a lock another session
 * holds; after 2 s a side connection names that session once (pid,
 * application name, client address, state, transaction age, the first 80
 * characters of its query), as a log line and as a `blocked` JSON event,
 * also across a lock_timeout retry. Ordered by events: the blocker holds
 * its lock until `up` has exited.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { shortQuery } from '../../src/db/blockers.js'
import { runCli } from '../helpers/cli.js'
import { closeAdmin, freshDatabase, type FreshDatabase } from '../helpers/db.js'
import { migrationsDir } from '../helpers/tmp.js'

const test = suite('up: who is blocking')
let db: FreshDatabase
test.before(async () => {
  db = await freshDatabase('blocked')
})
test.after(async () => {
  await db.drop()
  await closeAdmin()
})

const LONG = "select 'a literal that goes on and on, well past the eighty characters shown: s3cr3t-tail' as x"

test('a migration waiting 2 s for a lock names its blocker once, across a lock_timeout retry', async () => {
  await db.sql.unsafe('create table accounts (id int)')
  const dir = await migrationsDir({ '001_add_plan.up.sql': 'ALTER TABLE accounts ADD COLUMN plan text;\n', '001_add_plan.down.sql': 'ALTER TABLE accounts DROP COLUMN plan;\n' })
  const blocker = await db.sql.reserve()
  try {
    await blocker.unsafe("set application_name = 'report-job'")
    await blocker.unsafe('begin')
    await blocker.unsafe('lock table accounts in access share mode')
    const [row] = await blocker.unsafe<{ pid: number }[]>('select pg_backend_pid() as pid')
    const pid = Number(row!.pid)
    await blocker.unsafe(LONG)
    const r = await runCli(['up', '--json', '--ddl-lock-timeout', '4s', '--retries', '1', '--database-url', db.url, '--dir', dir], { timeoutMs: 60_000 })
    assert.is(r.code, 1, r.stderr)
    const events = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; [k: string]: unknown })
    const blocked = events.filter((e) => e.type === 'blocked')
    assert.is(blocked.length, 1, r.stdout)
    const e = blocked[0] as unknown as { file: string; reason: string; waitedMs: number; blocker: { pid: number; applicationName: string; clientAddr: string | null; state: string; transactionAgeMs: number; query: string } }
    assert.is(e.file, '001_add_plan.up.sql')
    assert.is(e.reason, 'waiting')
    assert.ok(e.waitedMs >= 2000)
    assert.is(e.blocker.pid, pid)
    assert.is(e.blocker.applicationName, 'report-job')
    assert.is(e.blocker.state, 'idle in transaction')
    assert.ok(e.blocker.transactionAgeMs >= 2000)
    assert.is(e.blocker.query, LONG.slice(0, 80))
    assert.not.match(r.stdout + r.stderr, 's3cr3t-tail')
    // The retry happened (and waited again) without naming the blocker twice.
    assert.ok(events.some((x) => x.type === 'warning' && String(x.message).includes('retry 1 of 1')), r.stdout)

    const human = await runCli(['up', '--ddl-lock-timeout', '3s', '--database-url', db.url, '--dir', dir], { timeoutMs: 60_000 })
    assert.is(human.code, 1)
    const line = (human.stdout + human.stderr).split('\n').find((l) => l.includes('held by pid'))
    assert.ok(line, human.stdout + human.stderr)
    assert.match(line!, new RegExp(`001_add_plan\\.up\\.sql has waited \\d.*s for a lock held by pid ${pid} \\(report-job, [^,]+, idle in transaction, transaction open [^)]+\\): select 'a literal`))
  } finally {
    await blocker.unsafe('rollback').catch(() => {})
    blocker.release()
  }
})

test('a blocker query: one line, 80 characters, a password literal masked', () => {
  assert.is(shortQuery("ALTER ROLE app\n  PASSWORD 'hunter2' VALID UNTIL 'infinity'"), "ALTER ROLE app PASSWORD '***' VALID UNTIL 'infinity'")
  assert.is(shortQuery("create user x with password = 'it''s secret'"), "create user x with password = '***'")
  assert.is(shortQuery('x'.repeat(100)).length, 80)
})

test.run()
