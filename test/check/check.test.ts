/**
 * check() beyond the fixtures, on both engines: a failing up or down points
 * at file:line:col as `up` does and stops the check; a migration without a
 * down; an extension the embedded engine lacks (skipped, never a pass);
 * unusable files refused before any engine starts; aborting drops the
 * scratch database; which engine runs when nothing is said.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { databaseConfigured } from '../../src/check/engine.js'
import { check, type CheckOptions } from '../../src/check/index.js'
import type { CheckResult, MigrationCheck } from '../../src/check/types.js'
import { resolveConnection } from '../../src/config/resolve.js'
import { isMigrateError } from '../../src/errors.js'
import { adminSql, closeAdmin, freshDatabase, type FreshDatabase } from '../helpers/db.js'
import { migrationsDir } from '../helpers/tmp.js'

type Engine = 'embedded' | 'server'
const ZERO = { upMs: 0, downMs: 0, reupMs: 0, snapshotMs: 0 }

let target: FreshDatabase | undefined
async function run(engine: Engine, dir: string, extra: Partial<CheckOptions> = {}): Promise<CheckResult> {
  const options: CheckOptions = { dir, engine, env: {}, service: 'check-behaviour', ...extra }
  if (engine === 'server') options.url = (target ??= await freshDatabase('check_behaviour')).url
  const r = await check(options)
  return { ...r, migrations: r.migrations.map((m) => ({ ...m, timings: ZERO })) }
}

const USERS_UP = 'create table users (id bigint primary key, email text not null);\n'
const USERS_DOWN = 'drop table users;\n'

function ok(version: number, name: string): MigrationCheck {
  return { version, name, upFile: `${name}.up.sql`, downFile: `${name}.down.sql`, status: 'ok', differences: [], rewrites: [], timings: ZERO }
}
function notRun(version: number, name: string, reason: string, down = true): MigrationCheck {
  return { version, name, upFile: `${name}.up.sql`, ...(down ? { downFile: `${name}.down.sql` } : {}), status: 'not-run', differences: [], reason, rewrites: [], timings: ZERO }
}
const NOT_RUN_RT = (reason: string) => ({ down: { status: 'not-run', differences: [], reason, ms: 0 }, up: { status: 'not-run', differences: [], reason, ms: 0 } })

for (const engine of ['embedded', 'server'] as const) {
  const test = suite(`check on the ${engine} engine: failures`)
  test.after(async () => {
    if (engine !== 'server') return
    await target?.drop()
    target = undefined
    await closeAdmin()
  })

  test('a failing up names file:line:col with the source line; later migrations are not run', async () => {
    const dir = await migrationsDir({
      '001_users.up.sql': USERS_UP,
      '001_users.down.sql': USERS_DOWN,
      '002_bad.up.sql': '-- typo below\nalter table users\n  add column nick text,\n  add column bio txt;\n',
      '002_bad.down.sql': 'alter table users drop column nick;\n',
      '003_later.up.sql': 'create table later (id int);\n',
      '003_later.down.sql': 'drop table later;\n',
    })
    const r = await run(engine, dir)
    assert.equal(r.migrations, [
      ok(1, '001_users'),
      {
        version: 2,
        name: '002_bad',
        upFile: '002_bad.up.sql',
        downFile: '002_bad.down.sql',
        status: 'failed',
        differences: [],
        failedAt: 'up',
        error: {
          code: 'MIGRATION_FAILED',
          message: '002_bad.up.sql:4:18: type "txt" does not exist',
          file: '002_bad.up.sql',
          line: 4,
          column: 18,
          sqlState: '42704',
          details: ['4 |   add column bio txt;', '  |                  ^', 'SQLSTATE: 42704'],
        },
        rewrites: [],
        timings: ZERO,
      },
      notRun(3, '003_later', 'not run: the up of 002 failed'),
    ])
    assert.equal([r.ok, r.complete], [false, false])
    assert.equal(r.roundTrip, NOT_RUN_RT('not run: the up of 002 failed'))
  })

  test('a failing down (a no-transaction file) names its statement; the check stops there', async () => {
    const dir = await migrationsDir({
      '001_users.up.sql': USERS_UP,
      '001_users.down.sql': USERS_DOWN,
      '002_index.up.sql': 'create index concurrently users_email_idx on users (email);\n',
      '002_index.down.sql': 'drop index concurrently if exists users_email_idx;\ndrop index concurrently users_missing_idx;\n',
    })
    const r = await run(engine, dir)
    const rewrites =
      engine === 'embedded'
        ? [
            { file: '002_index.up.sql', line: 1, column: 14, from: 'CREATE INDEX CONCURRENTLY', to: 'CREATE INDEX', reason: 'one session: nothing to wait for, and the result is the same' },
            { file: '002_index.down.sql', line: 1, column: 12, from: 'DROP INDEX CONCURRENTLY', to: 'DROP INDEX', reason: 'one session: nothing to wait for, and the result is the same' },
            { file: '002_index.down.sql', line: 2, column: 12, from: 'DROP INDEX CONCURRENTLY', to: 'DROP INDEX', reason: 'one session: nothing to wait for, and the result is the same' },
          ]
        : []
    assert.equal(r.migrations[1], {
      version: 2,
      name: '002_index',
      upFile: '002_index.up.sql',
      downFile: '002_index.down.sql',
      status: 'failed',
      differences: [],
      failedAt: 'down',
      error: {
        code: 'MIGRATION_FAILED',
        message: '002_index.down.sql:2:1: index "users_missing_idx" does not exist',
        file: '002_index.down.sql',
        line: 2,
        column: 1,
        sqlState: '42704',
        details: engine === 'embedded'
          ? ['SQLSTATE: 42704', '1 statement(s) ran before this one (no transaction):', '  line 1: drop index if exists users_email_idx']
          : [
              'SQLSTATE: 42704',
              '1 statement(s) ran before this one and stay in effect (no transaction); nothing was recorded, so the next up runs the file again:',
              '  line 1: drop index concurrently if exists users_email_idx',
            ],
      },
      rewrites,
      timings: ZERO,
    })
    assert.equal(r.roundTrip, NOT_RUN_RT('not run: the down of 002 failed'))
  })

  test('a migration without a down file: reported, the rest still checked, no round trip', async () => {
    const dir = await migrationsDir({
      '001_users.up.sql': USERS_UP,
      '002_seed.up.sql': "insert into users values (1, 'a@b.c');\n",
      '003_later.up.sql': 'create table later (id int);\n',
      '003_later.down.sql': 'drop table later;\n',
    })
    const r = await run(engine, dir)
    assert.equal(r.migrations, [
      { ...notRun(1, '001_users', '', false), status: 'no-down', reason: '001_users.up.sql has no down file: it cannot be rolled back, so it cannot be checked' },
      { ...notRun(2, '002_seed', '', false), status: 'no-down', reason: '002_seed.up.sql has no down file: it cannot be rolled back, so it cannot be checked' },
      ok(3, '003_later'),
    ])
    assert.equal([r.ok, r.complete], [false, true])
    assert.equal(r.roundTrip, NOT_RUN_RT('not run: 001 has no down file'))
  })

  test('an extension the engine does not have', async () => {
    const dir = await migrationsDir({
      '001_users.up.sql': USERS_UP,
      '001_users.down.sql': USERS_DOWN,
      '002_postgis.up.sql': 'create extension if not exists postgis;\n',
      '002_postgis.down.sql': 'drop extension if exists postgis;\n',
    })
    const r = await run(engine, dir)
    const m = r.migrations[1]!
    if (engine === 'embedded') {
      // Skipped with the reason, never passed; the check is incomplete.
      assert.equal(m, {
        ...notRun(2, '002_postgis', ''),
        status: 'skipped',
        reason:
          '002_postgis.up.sql:1:1: extension "postgis" is not available in the embedded engine (PGlite 0.5.16); ' +
          'check this migration on a server that has it (check --database-url URL)',
      })
      assert.equal([r.ok, r.complete], [false, false])
      assert.equal(r.roundTrip, NOT_RUN_RT('not run: 002 was skipped'))
    } else {
      // On a server it is the migration's failure (PostgreSQL 15 and 18 word it differently;
      // 14 answers 58P01, could not open extension control file, where 15+ answer 0A000).
      assert.is(m.status, 'failed')
      assert.is(m.error?.sqlState, Number.parseInt(r.serverVersion, 10) >= 15 ? '0A000' : '58P01')
      assert.match(m.error!.message, /^002_postgis\.up\.sql: (extension "postgis" is not available|could not open extension control file .*postgis\.control)/)
      assert.equal([r.ok, r.complete], [false, true])
    }
  })

  test.run()
}

const roles = suite('check: roles the embedded engine lacks')

roles('are created (NOLOGIN) on demand and noted; on a server a missing role is the migration\'s failure', async () => {
  const dir = await migrationsDir({
    '001_users.up.sql': USERS_UP + 'grant select on users to reporting;\nalter table users owner to app_owner;\n',
    '001_users.down.sql': USERS_DOWN,
  })
  const r = await run('embedded', dir)
  assert.equal(r.migrations, [
    {
      ...ok(1, '001_users'),
      notes: [
        'created role "reporting" (NOLOGIN) in the embedded engine, which has no roles but its superuser',
        'created role "app_owner" (NOLOGIN) in the embedded engine, which has no roles but its superuser',
      ],
    },
  ])
  assert.is(r.ok, true)
  const s = await run('server', dir, { service: 'check-roles' })
  assert.is(s.migrations[0]!.status, 'failed')
  assert.is(s.migrations[0]!.error?.message, '001_users.up.sql: role "reporting" does not exist')
  await target?.drop()
  target = undefined
  await closeAdmin()
})

roles.run()

const refuse = suite('check: refused before any engine starts')

refuse('unusable files: one FileError naming every problem', async () => {
  const dir = await migrationsDir({
    '001_a.up.sql': 'create table a (id int);\ncommit;\n',
    '001_a.down.sql': "select 'unterminated;\n",
  })
  try {
    await check({ dir, engine: 'embedded', env: {} })
    assert.unreachable('must throw')
  } catch (e) {
    assert.ok(isMigrateError(e))
    assert.is(e.code, 'FILES_INVALID')
    assert.is(
      e.message,
      '2 problems in migration files:\n' +
        '  001_a.up.sql:2:1: COMMIT controls the transaction; link-migrate runs each migration in its own transaction with its bookkeeping: remove it\n' +
        '  001_a.down.sql:1:8: unterminated quoted string',
    )
  }
})

refuse.run()

const abort = suite('check: aborting')

abort('aborting a server check drops its scratch database and rejects with the reason', async () => {
  const db = await freshDatabase('check_abort')
  const dir = await migrationsDir({
    // pg_sleep(300) outlasts the bound below: a rejection in time means the migration was ended, not waited for.
    '001_slow.up.sql': 'create table t (id int);\nselect pg_sleep(300);\n',
    '001_slow.down.sql': 'drop table t;\n',
  })
  const controller = new AbortController()
  const reason = new Error('stop')
  let scratch: string | undefined
  const running = check({
    dir,
    url: db.url,
    env: {},
    service: 'abort-test',
    signal: controller.signal,
    onEvent: (e) => {
      if (e.type === 'engine-ready') {
        scratch = e.scratchDatabase
        setTimeout(() => controller.abort(reason), 300)
      }
    },
  })
  let bound: NodeJS.Timeout | undefined
  try {
    await Promise.race([running, new Promise((_, reject) => (bound = setTimeout(() => reject(new Error('check() still running 120 s after the abort')), 120_000)))])
    assert.unreachable('must reject')
  } catch (e) {
    assert.is(e, reason)
  } finally {
    clearTimeout(bound)
  }
  assert.match(scratch ?? '', /^link_migrate_check_abort_test_[0-9a-f]{8}$/)
  const left = await adminSql()<{ n: number }[]>`select count(*)::int as n from pg_database where datname = ${scratch!}`
  assert.is(left[0]!.n, 0)
  await db.drop()
  await closeAdmin()
})

abort.run()

const choose = suite('which engine')

choose('a server only when one is configured: a URL, DB_*, PGHOST; not PGUSER alone or the defaults', () => {
  const configured = (env: Record<string, string>, databaseUrl?: string) =>
    databaseConfigured(resolveConnection({ databaseUrl, env, osUser: 'me' }), env)
  assert.is(configured({}), false)
  assert.is(configured({ PGUSER: 'me', PGPASSWORD: 'x', PGDATABASE: 'db' }), false)
  assert.is(configured({}, 'postgres://u@h/db'), true)
  assert.is(configured({ DATABASE_URL: 'postgres://u@h/db' }), true)
  assert.is(configured({ DB_HOST: 'db' }), true)
  assert.is(configured({ DB_PASSWORD: 'x' }), true)
  assert.is(configured({ PGHOST: '/var/run/postgresql' }), true)
  assert.is(configured({ PGHOSTADDR: '10.0.0.1' }), true)
})

choose('no database configured: the embedded engine', async () => {
  const dir = await migrationsDir({ '001_users.up.sql': USERS_UP, '001_users.down.sql': USERS_DOWN })
  const r = await check({ dir, env: { PGUSER: 'nobody' } })
  assert.equal([r.ok, r.engine, r.scratchDatabase], [true, 'embedded', undefined])
  assert.match(r.serverVersion, /^18\./)
})

choose.run()
