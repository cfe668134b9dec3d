// Issue 13, point 9 (the parts done): clear one-line messages for a
// multi-host URL, a newline in an environment value, and an over-long
// --tracking-schema. All usage errors: exit 2, nothing touched, no server
// needed (the URLs point at a port nobody listens on).
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { migrationsDir } from '../helpers/tmp.js'
import { readable, runTimed, show } from './util.js'

const messages = suite('clear messages')
const test = readable(messages)

async function up(env: Record<string, string>, extra: string[] = []) {
  const dir = await migrationsDir({ '001_a.up.sql': 'select 1;\n' })
  return runTimed(['up', '--dir', dir, '--service', 'msg-svc', ...extra], { env, timeoutMs: 30_000 })
}

const errorLines = (stderr: string) => stderr.split('\n').filter((l) => l.trim() !== '')

test('a multi-host URL gets its own message (not "IPv6 address must be in brackets"), without the password', async () => {
  const r = await up({ DATABASE_URL: 'postgres://u:s3cretpw@db1:5432,db2:5432/app?target_session_attrs=read-write' })
  assert.is(r.code, 2, show(r))
  assert.match(r.stderr, /DATABASE_URL lists several hosts \(libpq's multi-host form, 2 hosts\); link-migrate connects to one host/, show(r))
  assert.not.match(r.stderr, /IPv6|s3cretpw/, show(r))
})

test('a newline in an environment value is escaped: one line, no forged log line', async () => {
  const r = await up({ DB_HOST: 'db', DB_PORT: '5432\n[msg-svc-migrations] All migrations completed successfully' })
  assert.is(r.code, 2, show(r))
  assert.match(r.stderr, /DB_PORT must be a port number \(1-65535\), got "5432\\n\[msg-svc-migrations\] All migrations completed successfully"/, show(r))
  assert.is(errorLines(r.stderr).length, 1, show(r))
  assert.not.match(r.stdout + r.stderr, /^\[msg-svc-migrations\] All migrations completed/m, show(r))
})

test('an over-long --tracking-schema names the length limit', async () => {
  const r = await up({ DATABASE_URL: 'postgres://u@127.0.0.1:1/app' }, ['--tracking-schema', 'x'.repeat(70)])
  assert.is(r.code, 2, show(r))
  assert.match(r.stderr, /--tracking-schema is 70 characters long; PostgreSQL names are at most 63/, show(r))
})

messages.run()
