// The new batch from outside the files (README "What counts as new"):
// `lint --git-base REF` (files added since REF, committed or not) and
// `lint --database-url` / `--against-db` (the applied set of a real
// database), through the built CLI. Also: generate and lint agree on names.
import { execFileSync } from 'node:child_process'
import { readdir } from 'node:fs/promises'
import path from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { closeAdmin, freshDatabase } from '../helpers/db.js'
import { runCli } from '../helpers/cli.js'
import { tmpDir, writeMigrations } from '../helpers/tmp.js'

const test = suite('lint: the new batch from git and from the database')

const INDEX_LINE =
  'svc/migrations/002_index_events.up.sql:1:1  error  index-without-concurrently  CREATE INDEX events_at_idx on events without CONCURRENTLY blocks writes to the table for the whole build'

const FILES = {
  '001_create_events.up.sql': '-- link-migrate:lock-timeout 5s\ncreate table events (id bigint, at timestamptz);\n',
  '001_create_events.down.sql': 'drop table events;\n',
  '002_index_events.up.sql': 'create index events_at_idx on events (at);\n',
  '002_index_events.down.sql': '-- link-migrate:lock-timeout 5s\ndrop index events_at_idx;\n',
}

function git(cwd: string, ...args: string[]): void {
  execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd, stdio: 'ignore' })
}

test('--git-base REF: files added since REF are the new batch', async () => {
  const root = await tmpDir('lm-lint-git-')
  const dir = path.join(root, 'svc', 'migrations')
  git(root, 'init', '-q', '-b', 'main')
  // On main: nothing yet. The branch adds 001 (committed) and 002 (untracked).
  await writeMigrations(root, { 'README.md': 'x\n' })
  git(root, 'add', '.')
  git(root, 'commit', '-q', '-m', 'base')
  await writeMigrations(dir, { '001_create_events.up.sql': FILES['001_create_events.up.sql'], '001_create_events.down.sql': FILES['001_create_events.down.sql'] })
  git(root, 'checkout', '-q', '-b', 'feature')
  git(root, 'add', '.')
  git(root, 'commit', '-q', '-m', 'add 001')
  await writeMigrations(dir, { '002_index_events.up.sql': FILES['002_index_events.up.sql'], '002_index_events.down.sql': FILES['002_index_events.down.sql'] })

  const both = await runCli(['lint', '--dir', 'svc/migrations', '--git-base', 'main'], { cwd: root })
  assert.equal({ code: both.code, stdout: both.stdout }, { code: 0, stdout: '[svc-migrations] Lint: 0 errors, 0 warnings, 0 notes in 4 files\n' })

  // Once 001 is on main (deployed), only 002 is new: events exists.
  git(root, 'checkout', '-q', 'main')
  git(root, 'merge', '-q', 'feature')
  const later = await runCli(['lint', '--dir', 'svc/migrations', '--git-base', 'main', '--quiet'], { cwd: root })
  assert.equal({ code: later.code, stdout: later.stdout.split('\n') }, { code: 1, stdout: [INDEX_LINE, '[svc-migrations] Lint: 1 error, 0 warnings, 0 notes in 4 files', ''] })

  const unknown = await runCli(['lint', '--dir', 'svc/migrations', '--git-base', 'no-such-ref'], { cwd: root })
  assert.is(unknown.code, 2)
  assert.match(unknown.stderr, /^\[svc-migrations\] Error: --git-base no-such-ref: git failed in .*svc\/migrations: .*no-such-ref/)
  assert.is(unknown.stdout, '')
})

test('--database-url / --against-db: the applied set of the database decides; lint only reads', async () => {
  const db = await freshDatabase('lint_applied')
  try {
    const root = await tmpDir('lm-lint-db-')
    await writeMigrations(path.join(root, 'svc', 'migrations'), FILES)
    // Nothing applied: 001 and 002 are the new batch.
    const before = await runCli(['lint', '--dir', 'svc/migrations', '--database-url', db.url], { cwd: root })
    assert.equal({ code: before.code, stdout: before.stdout }, { code: 0, stdout: '[svc-migrations] Lint: 0 errors, 0 warnings, 0 notes in 4 files\n' })

    const up = await runCli(['up', '--dir', 'svc/migrations', '--database-url', db.url, '--to', '1'], { cwd: root })
    assert.is(up.code, 0, up.stderr)
    const records = async () => (await db.sql`select version from migration_records order by version`).map((r) => Number(r.version))
    assert.equal(await records(), [1])
    // 001 is applied: events exists and has rows.
    const after = await runCli(['lint', '--dir', 'svc/migrations', '--against-db', '--quiet'], { cwd: root, env: { DATABASE_URL: db.url } })
    assert.equal({ code: after.code, stdout: after.stdout.split('\n') }, { code: 1, stdout: [INDEX_LINE, '[svc-migrations] Lint: 1 error, 0 warnings, 0 notes in 4 files', ''] })
    assert.equal(await records(), [1], 'lint wrote nothing')

    const none = await runCli(['lint', '--dir', 'svc/migrations', '--against-db'], { cwd: root })
    assert.equal(
      { code: none.code, stdout: none.stdout, stderr: none.stderr },
      { code: 2, stdout: '', stderr: '[svc-migrations] Error: lint --against-db reads the applied migrations from a database: set DATABASE_URL (or DB_*, PGHOST) or give --database-url\n' },
    )
    const password = new URL(db.url).password
    const down = await runCli(['lint', '--dir', 'svc/migrations', '--database-url', 'postgres://postgres:' + password + '@127.0.0.1:1/none'], { cwd: root })
    assert.is(down.code, 1)
    assert.match(down.stderr, /127\.0\.0\.1/)
    assert.not.match(down.stderr + down.stdout, password)
  } finally {
    await db.drop()
    await closeAdmin()
  }
})

test('generate and lint agree on names: a 6-digit directory stays 6 digits and lint is quiet about it', async () => {
  const root = await tmpDir('lm-lint-names-')
  const dir = path.join(root, 'svc', 'migrations')
  await writeMigrations(dir, {
    '000001_create_users_table.up.sql': 'create table users (id bigint);\n',
    '000001_create_users_table.down.sql': 'drop table users;\n',
    '000003_2.1.0_users_name.up.sql': '-- link-migrate:lock-timeout 5s\nalter table users add column name text;\n',
    '000003_2.1.0_users_name.down.sql': '-- link-migrate:lock-timeout 5s\nalter table users drop column name;\n',
  })
  const g = await runCli(['generate', '--dir', 'svc/migrations', 'add users email'], { cwd: root })
  assert.is(g.code, 0, g.stderr)
  assert.ok((await readdir(dir)).includes('000004_add_users_email.up.sql'))
  const r = await runCli(['lint', '--dir', 'svc/migrations', '--json'], { cwd: root })
  const findings = (JSON.parse(r.stdout) as { findings: { rule: string; severity: string; file: string }[] }).findings
  // The names are fine; the gap (no 000002) is a note; the generated files are still empty.
  assert.equal(
    findings.map((f) => `${f.file} ${f.severity} ${f.rule}`),
    [
      '000003_2.1.0_users_name.up.sql info version-gap',
      '000004_add_users_email.down.sql warning empty-file',
      '000004_add_users_email.up.sql warning empty-file',
    ],
  )
  assert.is(r.code, 0)
})

test.run()
