/**
 * `link-migrate check` end to end, on the built bundle: alone in an empty
 * directory with no server (the README's first command), --json and
 * --format github, on a server through --database-url, Ctrl-C (SIGINT) and
 * SIGTERM during a server check leave no scratch database, --drift, usage
 * errors. Exit codes, stdout and stderr are asserted whole, with durations
 * replaced by `T`.
 */
import { spawnSync } from 'node:child_process'
import { copyFile, cp } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { CheckResult } from '../../src/check/types.js'
import { binPath, runCli, spawnCli } from '../helpers/cli.js'
import { adminSql, closeAdmin, freshDatabase, type FreshDatabase } from '../helpers/db.js'
import { migrationsDir, tmpDir } from '../helpers/tmp.js'

const ROOT = resolve('.')
/** Durations vary: `727ms`, `1.4s` -> `T`. */
const timeless = (text: string) => text.replace(/\b\d+(\.\d+)?(ms|s|m)\b/g, 'T')

const test = suite('check (CLI)')
let db: FreshDatabase
test.before(async () => {
  db = await freshDatabase('check_cli')
})
test.after(async () => {
  await db.drop()
  await closeAdmin()
})

test('the bundle alone in an empty directory checks a fixture service with no server', async () => {
  const dir = await tmpDir('lm-check-alone-')
  await copyFile(binPath(), join(dir, 'link-migrate.cjs'))
  await cp(join(ROOT, 'fixtures/discovery-svc'), join(dir, 'discovery-svc'), { recursive: true })
  // Nothing else: no node_modules, no PGlite files, no server, no connection settings.
  const res = spawnSync(process.execPath, [join(dir, 'link-migrate.cjs'), 'check', '--dir', 'discovery-svc/migrations'], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', CI: 'true' },
    encoding: 'utf8',
  })
  {
    assert.is(res.stderr, '')
    assert.is(res.status, 0)
    const lines = timeless(res.stdout).split('\n')
    const p = '[discovery-svc-migrations] '
    assert.equal(lines.slice(1, -3), [
      `${p}[1/7] 001_enable_uuid_ossp: ok (up T, down T, up again T, snapshots T)`,
      `${p}[2/7] 002_create_providers: ok (up T, down T, up again T, snapshots T)`,
      `${p}[3/7] 003_create_listings: ok (up T, down T, up again T, snapshots T)`,
      `${p}[4/7] 004_add_availability_columns: ok (up T, down T, up again T, snapshots T)`,
      `${p}[5/7] 005_2.10.0_schema: ok (up T, down T, up again T, snapshots T)`,
      `${p}[6/7] 006_add_listing_search_document: ok (up T, down T, up again T, snapshots T)`,
      `${p}[7/7] 007_add_listing_search_index: ok (up T, down T, up again T, snapshots T)`,
      `${p}Rolling back every migration: ok (T)`,
      `${p}Applying every migration again: ok (T)`,
    ])
    assert.is(lines[0], `${p}Checking on the embedded engine (PostgreSQL 18.6, in-process; no server needed); started in T`)
    assert.match(lines.at(-3)!, /^\[discovery-svc-migrations\] Timings: engine T \(decode T, compile T, (initdb|start from cached data directory) T(, cache write T)?\); migrations T; round trip T; snapshots T of that; total T$/)
    assert.is(lines.at(-2), `${p}Check passed: every down restores the schema its up started from (7 migrations)`)
    assert.is(lines.at(-1), '')
  }
})

test('--json: one document on stdout, exit 1 for a down that does not restore', async () => {
  const r = await runCli(['check', '--json', '--dir', 'fixtures/check/forgotten-default/migrations'], { cwd: ROOT })
  assert.is(r.code, 1)
  const doc = JSON.parse(r.stdout) as CheckResult
  assert.equal(
    { ...doc, serverVersion: 'V', migrations: doc.migrations.map((m) => ({ ...m, timings: 0 })), roundTrip: { down: { ...doc.roundTrip.down, ms: 0 }, up: { ...doc.roundTrip.up, ms: 0 } }, timings: 0 },
    {
      schemaVersion: 1,
      ok: false,
      complete: true,
      forwardOnly: false,
      service: 'forgotten-default',
      engine: 'embedded',
      serverVersion: 'V',
      migrations: [
        { version: 1, name: '001_create_users', upFile: '001_create_users.up.sql', downFile: '001_create_users.down.sql', status: 'ok', differences: [], rewrites: [], timings: 0 },
        {
          version: 2,
          name: '002_default_status_active',
          upFile: '002_default_status_active.up.sql',
          downFile: '002_default_status_active.down.sql',
          status: 'not-restored',
          differences: [
            {
              change: 'changed',
              kind: 'column',
              name: 'users.status',
              attribute: 'default',
              before: null,
              after: "'active'::text",
              message: "down of 002 leaves default 'active'::text on column users.status",
            },
          ],
          rewrites: [],
          timings: 0,
        },
      ],
      roundTrip: { down: { status: 'ok', differences: [], ms: 0 }, up: { status: 'ok', differences: [], ms: 0 } },
      timings: 0,
    },
  )
  // Human progress goes to stderr.
  assert.ok(r.stderr.includes('[forgotten-default-migrations] [2/2] 002_default_status_active: down does not restore the schema'))
})

test('--format github: annotations at the down file, failures at the file that failed', async () => {
  const r = await runCli(['check', '--format', 'github', '--dir', 'fixtures/check/forgotten-index/migrations'], { cwd: ROOT })
  assert.is(r.code, 1)
  assert.is(r.stderr, '')
  const p = '[forgotten-index-migrations] '
  assert.equal(timeless(r.stdout).split('\n').slice(1), [
    `${p}[1/2] 001_create_users: ok (up T, down T, up again T, snapshots T)`,
    `${p}[2/2] 002_add_email_index: down does not restore the schema (up T, down T, up again T, snapshots T)`,
    `${p}  down of 002 leaves index users_email_idx`,
    `${p}  up again: 002_add_email_index.up.sql: relation "users_email_idx" already exists`,
    `${p}    SQLSTATE: 42P07`,
    '::error file=fixtures/check/forgotten-index/migrations/002_add_email_index.down.sql::down of 002 leaves index users_email_idx',
    '::error file=fixtures/check/forgotten-index/migrations/002_add_email_index.up.sql::002_add_email_index.up.sql: relation "users_email_idx" already exists',
    `${p}Round trip (all down, all up again): not run: the up run again after the down of 002 failed`,
    timeless(r.stdout).split('\n').at(-3)!,
    `${p}Check failed: 1 down does not restore its up`,
    '',
  ])
})

test('--database-url: a scratch database on the server, dropped afterwards', async () => {
  const r = await runCli(['check', '--database-url', db.url, '--dir', 'fixtures/chat-svc/migrations'], { cwd: ROOT })
  assert.is(r.stderr, '')
  assert.is(r.code, 0)
  const first = r.stdout.split('\n')[0]!
  const m = /^\[chat-svc-migrations\] Checking on a scratch database (link_migrate_check_chat_svc_[0-9a-f]{8}) \(PostgreSQL \d+\.\d+\), dropped afterwards; started in \S+$/.exec(first)
  assert.ok(m, first)
  assert.match(r.stdout, /Timings: engine \S+ \(connect \S+, create database \S+\); migrations/)
  assert.match(r.stdout, /Check passed: every down restores the schema its up started from \(6 migrations\)\n$/)
  const left = await adminSql()`select 1 from pg_database where datname = ${m![1]!}`
  assert.is(left.length, 0)
})

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal} during a server check: the scratch database is dropped, exit ${signal === 'SIGINT' ? 130 : 143}`, async () => {
    const service = `sig_${signal.toLowerCase()}_${Math.random().toString(16).slice(2, 8)}`
    const dir = await migrationsDir({
      // pg_sleep(300) outlasts the bound below: an exit in time means the check stopped, not waited.
      '001_slow.up.sql': 'create table t (id int);\nselect pg_sleep(300);\n',
      '001_slow.down.sql': 'drop table t;\n',
    })
    const child = spawnCli(['check', '--database-url', db.url, '--dir', dir, '--service', service])
    child.stdin?.end()
    let stderr = ''
    let stdout = ''
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const exited = new Promise<number | null>((res) => child.on('close', (code) => res(code)))
    const scratch = async () => (await adminSql()<{ datname: string }[]>`select datname from pg_database where datname like ${`link_migrate_check_${service}_%`}`).map((x) => x.datname)
    // Wait for the scratch database, and for the slow migration to be running in it.
    const deadline = Date.now() + 30_000
    let name: string | undefined
    while (Date.now() < deadline) {
      ;[name] = await scratch()
      if (name) {
        const busy = await adminSql()`select 1 from pg_stat_activity where datname = ${name} and query like '%pg_sleep%'`
        if (busy.length > 0) break
      }
      await new Promise((r) => setTimeout(r, 25))
    }
    assert.ok(name, 'the scratch database appeared')
    child.kill(signal)
    const bound = setTimeout(() => child.kill('SIGKILL'), 120_000)
    const code = await exited.finally(() => clearTimeout(bound))
    assert.is(code, signal === 'SIGINT' ? 130 : 143)
    assert.equal(await scratch(), [])
    assert.ok(stdout.includes(`Interrupted (${signal}): cleaning up`), stdout)
    assert.ok(stdout.includes('Check interrupted; nothing is left behind'), stdout)
    assert.is(stderr, '')
  })
}

test('--drift: none on a database migrated by up; a hand-made index is named, exit 1', async () => {
  const up = await runCli(['up', '--database-url', db.url, '--dir', 'fixtures/ai-svc/migrations'], { cwd: ROOT })
  assert.is(up.code, 0, up.stderr)
  const clean = await runCli(['check', '--drift', '--database-url', db.url, '--dir', 'fixtures/ai-svc/migrations'], { cwd: ROOT })
  assert.is(clean.code, 0, clean.stderr)
  assert.match(clean.stdout, /\[ai-svc-migrations\] No drift: the live database matches its 6 applied migrations\n$/)
  await db.sql`create index ai_model_runs_hotfix_idx on ai_model_runs (created_at)`
  const drifted = await runCli(['check', '--drift', '--database-url', db.url, '--dir', 'fixtures/ai-svc/migrations'], { cwd: ROOT })
  assert.is(drifted.code, 1)
  assert.ok(drifted.stdout.includes('[ai-svc-migrations]   the live database has extra index ai_model_runs_hotfix_idx\n'), drifted.stdout)
  assert.match(drifted.stdout, /\[ai-svc-migrations\] Drift: 1 difference between the live database and its 6 applied migrations\n$/)
})

test('usage errors: exit 2 before anything runs', async () => {
  const cases: [string[], string][] = [
    [['check', '--engine', 'pglite'], 'Error: --engine must be embedded, server or postgres, got "pglite"'],
    [['check', '--drift', '--engine', 'embedded'], 'Error: check --drift compares a live database: it cannot use --engine embedded'],
    [['check', '--drift'], 'Error: check --drift compares a live database: give --database-url (or DATABASE_URL, DB_*, PGHOST)'],
    // Refused while the options are read, before the service prefix is known.
    [['check', '--dry-run'], 'Error: --dry-run is not an option of check; it is for up, down, mark, repair (see link-migrate check --help)'],
  ]
  for (const [args, message] of cases) {
    const r = await runCli([...args, '--dir', 'fixtures/ai-svc/migrations'], { cwd: ROOT })
    assert.is(r.code, 2, args.join(' '))
    assert.is(r.stdout, '')
    assert.is(r.stderr, `${args.includes('--dry-run') ? '' : '[ai-svc-migrations] '}${message}\n`)
  }
})

test.run()
