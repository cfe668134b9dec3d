// Issue 13, points 5 and 7: what a migration does to its session (SET ROLE,
// SET SESSION AUTHORIZATION, search_path, lock_timeout) never reaches the
// next migration; and a migration cannot forge the tool's guard (raise its
// SQLSTATE, release the lock with pg_advisory_unlock_all()) to be reported
// "skipped" or to let a migration run twice.
import postgres from 'postgres'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createMigrator } from '../../src/index.js'
import { closeAdmin, freshDatabase, type FreshDatabase } from '../helpers/db.js'
import { migrationsDir } from '../helpers/tmp.js'
import { failureOf, lines, readable, runTimed, show } from './util.js'

const session = suite('session state and the guard')
const test = readable(session)
const S: { db?: FreshDatabase; role?: string } = {}
session.before(async () => {
  S.db = await freshDatabase('session')
  S.role = `lm_sess_${S.db.name.slice(-10)}`
  await S.db.sql.unsafe(`create role ${S.role} nologin`)
})
session.after(async () => {
  await S.db?.drop()
  if (S.role) await S.db?.sql.unsafe(`drop role if exists ${S.role}`).catch(() => {})
  await closeAdmin()
})

const cli = (dir: string, service: string, extra: string[] = []) =>
  runTimed(['up', '--dir', dir, '--service', service, '--database-url', S.db!.url, ...extra], { timeoutMs: 60_000 })

test('SET ROLE, SET SESSION AUTHORIZATION, search_path and lock_timeout of 001 do not reach 002', async () => {
  const dir = await migrationsDir({
    '001_settings.up.sql':
      `create schema sess_other;\nset session authorization ${S.role};\nset role ${S.role};\n` +
      "set search_path = sess_other;\nset lock_timeout = '1234ms';\nselect 1;\n",
    '002_probe.up.sql':
      'create table public.sess_probe as\n' +
      "  select current_user::text as usr, session_user::text as sess, current_setting('search_path') as path,\n" +
      "         current_setting('lock_timeout') as lt;\n",
  })
  const r = await cli(dir, 'sess-reset')
  assert.is(r.code, 0, show(r))
  const [row] = await S.db!.sql<{ usr: string; sess: string; path: string; lt: string; owner: string }[]>`
    select p.*, t.tableowner as owner from public.sess_probe p, pg_tables t where t.tablename = 'sess_probe'`
  assert.equal(row, { usr: 'postgres', sess: 'postgres', path: '"$user", public', lt: '0', owner: 'postgres' })
})

test('a migration raising the guard SQLSTATE itself is a failure, never "skipped" (exit 1, rolled back)', async () => {
  const dir = await migrationsDir({
    '001_forge.up.sql': "create table sess_forged (id int);\ndo $$ begin raise exception 'gotcha' using errcode = 'LMA01'; end $$;\n",
    '002_after.up.sql': 'create table sess_after (id int);\n',
  })
  const r = await cli(dir, 'sess-forge')
  assert.is(r.code, 1, show(r))
  assert.equal(lines(r, /Skipped|Successfully applied/), [], show(r))
  assert.match(r.stderr, /001_forge\.up\.sql: raised link-migrate's own guard error, but no other runner applied version 1/, show(r))
  const [t] = await S.db!.sql<{ ok: boolean }[]>`
    select to_regclass('sess_forged') is null and to_regclass('sess_after') is null
       and not exists (select 1 from migration_records where service = 'sess-forge') as ok`
  assert.ok(t!.ok)
})

test('library, pool of one: a file calling pg_advisory_unlock_all() releases the lock; the run stops before the next file (LOCK_LOST)', async () => {
  const dir = await migrationsDir({
    '001_unlock.up.sql': 'create table sess_unlock (id int);\nselect pg_advisory_unlock_all();\n',
    '002_next.up.sql': 'create table sess_next (id int);\n',
  })
  const sql = postgres(S.db!.url, { max: 1, onnotice: () => {} })
  const m = createMigrator({ dir, service: 'sess-unlock', sql })
  try {
    const err = await failureOf(m.up())
    assert.ok(err, 'up must fail')
    assert.is(err!.code, 'LOCK_LOST')
    assert.match(err!.message!, /002_next and the migrations after it were not started/)
    assert.equal(err!.completed?.map((c) => c.version), [1])
    const [t] = await sql<{ ok: boolean }[]>`select to_regclass('sess_next') is null as ok`
    assert.ok(t!.ok)
    // The connection is still usable, and a second run applies 002 once.
    const again = await m.up()
    assert.equal(again.results.map((x) => [x.version, x.status]), [[2, 'applied']])
  } finally {
    await m.close()
    await sql.end({ timeout: 5 })
  }
})

session.run()
