// Issue 13, point 9: clear one-line messages for a multi-host URL, a newline
// in an environment value, an over-long --tracking-schema (usage errors:
// exit 2) and odd entries in the migrations directory (a FIFO, a device, a
// directory symlink named like a migration: exit 1, before connecting). No
// server needed: the URLs point at a port nobody listens on.
import { execFileSync } from 'node:child_process'
import { mkdir, symlink } from 'node:fs/promises'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createMigrator, isMigrateError } from '../../src/index.js'
import { closeAdmin, freshDatabase } from '../helpers/db.js'
import { migrationsDir, tmpDir } from '../helpers/tmp.js'
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
  assert.match(r.stderr, /--tracking-schema is 70 bytes long; PostgreSQL names are at most 63 bytes/, show(r))
})

test('a line break in the database name of the URL is escaped in the connection error: one line', async () => {
  const forged = '[msg-svc-migrations] All migrations completed successfully'
  const r = await up({ DATABASE_URL: `postgres://u@127.0.0.1:1/app\n${forged}` })
  assert.is(r.code, 1, show(r))
  const all = errorLines(r.stderr)
  assert.is(all.length, 1, show(r))
  assert.ok(all[0]!.includes(`cannot connect to database "app\\n${forged}" on 127.0.0.1:1`), show(r))
  assert.not.match(r.stdout + r.stderr, /^\[msg-svc-migrations\] All migrations completed/m, show(r))
})

test('the library: a trackingSchema over 63 bytes is refused at once, naming the limit in bytes', () => {
  try {
    createMigrator({ url: 'postgres://u@127.0.0.1:1/app', dir: '.', service: 'msg-svc', trackingSchema: 'é'.repeat(40) })
    assert.unreachable('should throw')
  } catch (e) {
    assert.ok(isMigrateError(e), String(e))
    assert.equal([e.code, e.message], ['CONFIG_INVALID', 'trackingSchema is 80 bytes long; PostgreSQL names are at most 63 bytes'])
  }
})

test('a FIFO, a device and a directory symlink named like migrations: up and lint name each, exit 1, never open them', async () => {
  const dir = await migrationsDir({ '001_a.up.sql': 'select 1;\n' })
  execFileSync('mkfifo', [join(dir, '002_pipe.up.sql')])
  await symlink(await tmpDir(), join(dir, '003_linked_dir.up.sql'))
  const root = process.getuid?.() === 0
  if (root) execFileSync('mknod', [join(dir, '004_null.up.sql'), 'c', '1', '3'])
  await mkdir(join(dir, 'archive.sql'))
  const must = '; a migration must be a regular file (or a symlink to one)'
  const expected = [
    `002_pipe.up.sql: is a FIFO (named pipe)${must}`,
    `003_linked_dir.up.sql: is a symlink to a directory${must}`,
    ...(root ? [`004_null.up.sql: is a character device${must}`] : []),
  ]
  const r = await runTimed(['up', '--dir', dir, '--service', 'msg-svc', '--database-url', 'postgres://u@127.0.0.1:1/app'], { timeoutMs: 30_000 })
  assert.is(r.code, 1, show(r))
  assert.match(r.stderr, new RegExp(`Error: ${expected.length} problems in migration files:`), show(r))
  for (const line of expected) assert.ok(r.stderr.includes(line), `${line}\n${show(r)}`)
  assert.not.match(r.stderr, /cannot connect/, show(r))
  const l = await runTimed(['lint', '--dir', dir], { timeoutMs: 30_000 })
  assert.is(l.code, 1, show(l))
  for (const line of expected) {
    const [file, message] = line.split(': ')
    assert.match(l.stdout, new RegExp(`${file!.replace(/\./g, '\\.')}:1:1  error  unreadable-file  ${message!.replace(/[().]/g, '\\$&')}`), show(l))
  }
})

test('up and down say which .sql files they ignore (-1_x.up.sql, 002_b.UP.sql), once each', async () => {
  const db = await freshDatabase('ignored_files')
  try {
    const dir = await migrationsDir({
      '001_a.up.sql': 'create table ign_a (id int);\n',
      '001_a.down.sql': 'drop table ign_a;\n',
      '-1_x.up.sql': 'select 1;\n',
      '002_b.UP.sql': 'create table ign_b (id int);\n',
    })
    const expected = [
      '[msg-svc-migrations] Warning: -1_x.up.sql is not a migration file name: a version is digits only, without a sign; ignored',
      '[msg-svc-migrations] Warning: 002_b.UP.sql is not a migration file name: the suffix must be lower case (.up.sql, .down.sql, _up.sql, _down.sql); ignored',
    ]
    for (const command of ['up', 'down']) {
      const r = await runTimed([command, '--dir', dir, '--service', 'msg-svc', '--database-url', db.url], { timeoutMs: 30_000 })
      assert.is(r.code, 0, show(r))
      const all = errorLines(r.stdout + r.stderr)
      assert.equal(all.filter((l) => / Warning: /.test(l)), expected, show(r))
      assert.match(r.stdout, /Successfully (applied|rolled back) migration 001_a/, show(r))
    }
  } finally {
    await db.drop()
    await closeAdmin()
  }
})

messages.run()
