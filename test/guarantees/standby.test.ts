// Issue 13, point 9: a server that cannot take writes says so once, before
// any file. A real hot standby (pg_basebackup -R of a private cluster,
// streaming, on its own port) and a database whose sessions are read-only
// by default (default_transaction_read_only = on, on the shared test server).
// `status` works on both; `up` ends with exit 1 and one error line, and no
// file is tried.
import postgres from 'postgres'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createMigrator, isMigrateError } from '../../src/index.js'
import { closeAdmin, freshDatabase, withUrlDatabase, type FreshDatabase } from '../helpers/db.js'
import { migrationsDir, writeMigrations } from '../helpers/tmp.js'
import { startCluster, startStandby, type Cluster, type Standby } from './servers.js'
import { lines, readable, runTimed, show, waitFor } from './util.js'

const standby = suite('a hot standby')
const test = readable(standby)
const S: { primary?: Cluster; standby?: Standby; dir?: string; ro?: FreshDatabase } = {}
const SERVICE = 'standby-svc'

standby.before(async () => {
  S.primary = await startCluster({ hba: ['host all all 127.0.0.1/32 scram-sha-256', 'local replication all trust'] })
  S.dir = await migrationsDir({ '001_sb_widgets.up.sql': 'create table sb_widgets (id int primary key);\n' })
  // Applied on the primary (bookkeeping tables included), then copied by the base backup.
  const r = await runTimed(['up', '--dir', S.dir, '--service', SERVICE, '--database-url', S.primary.url])
  assert.is(r.code, 0, show(r))
  S.standby = await startStandby(S.primary)
  await writeMigrations(S.dir, { '002_sb_gadgets.up.sql': 'create table sb_gadgets (id int primary key);\n' })
  S.ro = await freshDatabase('readonly_default')
  await S.ro.sql.unsafe(`alter database ${S.ro.name} set default_transaction_read_only = on`)
})
standby.after(async () => {
  S.standby?.stop()
  S.primary?.stop()
  await S.ro?.drop()
  await closeAdmin()
})

const readOnly = (port: number) =>
  new RegExp(`^\\[${SERVICE}-migrations\\] Error: 127\\.0\\.0\\.1:${port} is a read-only standby \\(a hot standby in recovery\\): migrations run on the primary; point the connection at it$`)

test('status on the standby works: 001 applied, 002 pending, exit 0', async () => {
  const r = await runTimed(['status', '--dir', S.dir!, '--service', SERVICE, '--database-url', S.standby!.url, '--json'])
  assert.is(r.code, 0, show(r))
  const doc = JSON.parse(r.stdout) as { migrations: { version: number; state: string }[] }
  assert.equal(doc.migrations.map((m) => [m.version, m.state]), [[1, 'applied'], [2, 'pending']])
})

test('up on the standby: exit 1, "read-only standby" once, before any file; nothing tried', async () => {
  const r = await runTimed(['up', '--dir', S.dir!, '--service', SERVICE, '--database-url', S.standby!.url])
  assert.is(r.code, 1, show(r))
  const errors = lines(r, /Error:/)
  assert.is(errors.length, 1, show(r))
  assert.match(errors[0]!, readOnly(S.standby!.port), show(r))
  assert.not.match(r.stdout + r.stderr, /002_sb_gadgets|read-only transaction|Successfully/, show(r))
})

test('up on a standby database without the bookkeeping tables: the same message, not a permission error', async () => {
  const primary = postgres(S.primary!.url, { max: 1, onnotice: () => {} })
  try {
    await primary.unsafe('create database sb_empty')
    await primary.end()
    // Replayed on the standby: a login there proves the database arrived.
    const url = withUrlDatabase(S.standby!.url, 'sb_empty')
    await waitFor('sb_empty on the standby', async () => {
      const s = postgres(url, { max: 1, connect_timeout: 5, onnotice: () => {} })
      try {
        await s`select 1`
        return true
      } catch {
        return false
      } finally {
        await s.end({ timeout: 1 }).catch(() => {})
      }
    }, 30_000, 200)
    const r = await runTimed(['up', '--dir', S.dir!, '--service', SERVICE, '--database-url', url])
    assert.is(r.code, 1, show(r))
    const errors = lines(r, /Error:/)
    assert.is(errors.length, 1, show(r))
    assert.match(errors[0]!, readOnly(S.standby!.port), show(r))
  } finally {
    await primary.end({ timeout: 1 }).catch(() => {})
  }
})

test('the library: up() rejects with READ_ONLY (exit code 1), down() too', async () => {
  const m = createMigrator({ url: S.standby!.url, dir: S.dir!, service: SERVICE })
  try {
    for (const run of [() => m.up(), () => m.down({ steps: 1 }), () => m.mark(2)]) {
      const e = await run().then(
        () => undefined,
        (x: unknown) => x,
      )
      assert.ok(isMigrateError(e), String(e))
      assert.equal([e.code, e.exitCode], ['READ_ONLY', 1])
    }
  } finally {
    await m.close()
  }
})

test('a database whose sessions are read-only by default: exit 1 naming default_transaction_read_only, nothing created', async () => {
  const r = await runTimed(['up', '--dir', S.dir!, '--service', SERVICE, '--database-url', S.ro!.url])
  assert.is(r.code, 1, show(r))
  const errors = lines(r, /Error:/)
  assert.is(errors.length, 1, show(r))
  assert.match(errors[0]!, /Error: the session on 127\.0\.0\.1:\d+ is read-only \(default_transaction_read_only is on for this user or database\): migrations need a read-write session$/, show(r))
  const [row] = await S.ro!.sql<{ n: number }[]>`select count(*)::int as n from pg_class where relname in ('migration_records', 'schema_versions', 'sb_widgets')`
  assert.is(row!.n, 0)
})

standby.run()
