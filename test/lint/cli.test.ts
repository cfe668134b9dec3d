// `lint` through the built CLI (dist/link-migrate.cjs): exit codes, the
// three output formats, files as arguments, and no database or
// configuration needed. The environment is clean (test/helpers/cli.ts): no
// DATABASE_URL, no PG*.
import { spawnSync } from 'node:child_process'
import { copyFile, mkdir } from 'node:fs/promises'
import path from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { RULES } from '../../src/lint/index.js'
import { binPath, runCli } from '../helpers/cli.js'
import { tmpDir, writeMigrations } from '../helpers/tmp.js'

const test = suite('lint CLI')

/** The advice line text output prints once per rule after the findings. */
const advice = (id: string) => `  ${id}: ${RULES.find((r) => r.id === id)!.docs} (README.md#${id}; lint --explain ${id})`

const CLEAN = {
  '001_create_users.up.sql': '-- link-migrate:lock-timeout 5s\ncreate table users (id bigint primary key, email text);\n',
  '001_create_users.down.sql': 'drop table users;\n',
  '002_index_users.up.sql': 'create index concurrently if not exists users_email_idx on users (email);\n',
  '002_index_users.down.sql': 'drop index concurrently if exists users_email_idx;\n',
}

const BAD = {
  '001_add_token.up.sql': 'alter table accounts\n  add column token uuid default gen_random_uuid(),\n  drop column legacy;\n',
  '001_add_token.down.sql': '-- link-migrate:lock-timeout 5s\nalter table accounts drop column token;\n',
  '002_index.up.sql': '-- link-migrate:lock-timeout 5s\nBEGIN;\nCREATE INDEX CONCURRENTLY accounts_token_idx ON accounts (token);\nCOMMIT;\n',
  '002_index.down.sql': 'DROP INDEX CONCURRENTLY IF EXISTS accounts_token_idx;\n',
  '003_typo.up.sql': 'select 1;\ncreate tablee x (id int);\n',
  '003_typo.down.sql': 'select 1;\n',
}

/** A project directory with `svc/migrations` holding `files`; returns the project root. */
async function project(files: Record<string, string>): Promise<string> {
  const root = await tmpDir('lm-lint-cli-')
  await writeMigrations(path.join(root, 'svc', 'migrations'), files)
  return root
}

const BAD_LINES = [
  'svc/migrations/001_add_token.up.sql:1:1  warning  missing-lock-timeout  ALTER TABLE accounts takes an ACCESS EXCLUSIVE lock with no lock_timeout: while it waits behind a long query, every query on the table queues behind it',
  'svc/migrations/001_add_token.up.sql:2:3  error  volatile-default  ADD COLUMN accounts.token with the volatile default gen_random_uuid(): every row gets its own value, so the whole table is rewritten under an ACCESS EXCLUSIVE lock',
  'svc/migrations/001_add_token.up.sql:3:3  error  drop-column  DROP COLUMN accounts.legacy: the running version fails as soon as the column is gone; stop using it in a release before this one',
  "svc/migrations/002_index.up.sql:3:1  error  concurrently-in-wrapped-file  CREATE INDEX CONCURRENTLY cannot run inside the file's BEGIN/COMMIT wrapper (PostgreSQL refuses it in a transaction block): drop the wrapper",
  'svc/migrations/002_index.up.sql:3:1  warning  non-idempotent  CREATE INDEX accounts_token_idx without IF NOT EXISTS: this file runs without a transaction and is run again whole after a failure',
  'svc/migrations/003_typo.up.sql:2:8  error  syntax-error  syntax error at or near "tablee"',
]

test('a clean directory: exit 0, a summary, no database configured', async () => {
  const root = await project(CLEAN)
  const r = await runCli(['lint', '--dir', 'svc/migrations'], { cwd: root })
  assert.equal(r, {
    code: 0,
    stdout: '[svc-migrations] Lint: 0 errors, 0 warnings, 0 notes in 4 files\n',
    stderr: '',
    signal: null,
    timedOut: false,
  })
})

test('findings: file:line:col  severity  rule-id  message, exit 1', async () => {
  const root = await project(BAD)
  const r = await runCli(['lint', '--dir', 'svc/migrations'], { cwd: root })
  assert.equal({ code: r.code, stderr: r.stderr }, { code: 1, stderr: '' })
  assert.equal(r.stdout.split('\n'), [
    ...BAD_LINES,
    ...['missing-lock-timeout', 'volatile-default', 'drop-column', 'concurrently-in-wrapped-file', 'non-idempotent', 'syntax-error'].map(advice),
    '[svc-migrations] Lint: 4 errors, 2 warnings, 0 notes in 6 files',
    '',
  ])
})

test('only warnings: exit 0', async () => {
  const root = await project({ '001_a.up.sql': 'alter table users add column a int;\n' })
  const r = await runCli(['lint', '--dir', 'svc/migrations'], { cwd: root })
  assert.equal(
    { code: r.code, stdout: r.stdout.split('\n') },
    {
      code: 0,
      stdout: [
        'svc/migrations/001_a.up.sql:1:1  warning  missing-down  001_a has no down file: down of version 1 would fail',
        'svc/migrations/001_a.up.sql:1:1  warning  missing-lock-timeout  ALTER TABLE users takes an ACCESS EXCLUSIVE lock with no lock_timeout: while it waits behind a long query, every query on the table queues behind it',
        advice('missing-down'),
        advice('missing-lock-timeout'),
        '[svc-migrations] Lint: 0 errors, 2 warnings, 0 notes in 1 file',
        '',
      ],
    },
  )
})

test('--json: one document, the library result as returned', async () => {
  const root = await project({
    '001_a.up.sql': '-- link-migrate:lock-timeout 5s\nBEGIN;\nalter table users drop column a;\nCOMMIT;\n',
    '001_a.down.sql': 'select 1;\n',
  })
  const r = await runCli(['lint', '--json'], { cwd: path.join(root, 'svc') })
  assert.equal({ code: r.code, stderr: r.stderr }, { code: 1, stderr: '' })
  assert.equal(JSON.parse(r.stdout), {
    schemaVersion: 1,
    ok: false,
    errors: 1,
    warnings: 0,
    infos: 1,
    files: 2,
    findings: [
      {
        rule: 'transaction-wrapper',
        severity: 'info',
        file: '001_a.up.sql',
        line: 2,
        column: 1,
        message:
          'the file wraps itself in BEGIN/COMMIT: link-migrate drops the wrapper and runs the body in its own transaction with its bookkeeping',
        advice: 'Nothing to do; you may drop the BEGIN/COMMIT wrapper, link-migrate adds its own transaction',
        docs: 'README.md#transaction-wrapper',
      },
      {
        rule: 'drop-column',
        severity: 'error',
        file: '001_a.up.sql',
        line: 3,
        column: 19,
        message: 'DROP COLUMN users.a: the running version fails as soon as the column is gone; stop using it in a release before this one',
        advice: 'Ship code that no longer uses the column first; drop it in a later release (then allow the rule here)',
        docs: 'README.md#drop-column',
      },
    ],
  })
})

test('--format github: annotations (error, warning, notice) with paths from the working directory', async () => {
  const root = await project(BAD)
  const r = await runCli(['lint', '--dir', 'svc/migrations', '--format', 'github'], { cwd: root })
  assert.equal({ code: r.code, stderr: r.stderr }, { code: 1, stderr: '' })
  assert.equal(r.stdout.split('\n'), [
    '::warning file=svc/migrations/001_add_token.up.sql,line=1,col=1::ALTER TABLE accounts takes an ACCESS EXCLUSIVE lock with no lock_timeout: while it waits behind a long query, every query on the table queues behind it [missing-lock-timeout]',
    '::error file=svc/migrations/001_add_token.up.sql,line=2,col=3::ADD COLUMN accounts.token with the volatile default gen_random_uuid(): every row gets its own value, so the whole table is rewritten under an ACCESS EXCLUSIVE lock [volatile-default]',
    '::error file=svc/migrations/001_add_token.up.sql,line=3,col=3::DROP COLUMN accounts.legacy: the running version fails as soon as the column is gone; stop using it in a release before this one [drop-column]',
    "::error file=svc/migrations/002_index.up.sql,line=3,col=1::CREATE INDEX CONCURRENTLY cannot run inside the file's BEGIN/COMMIT wrapper (PostgreSQL refuses it in a transaction block): drop the wrapper [concurrently-in-wrapped-file]",
    '::warning file=svc/migrations/002_index.up.sql,line=3,col=1::CREATE INDEX accounts_token_idx without IF NOT EXISTS: this file runs without a transaction and is run again whole after a failure [non-idempotent]',
    '::error file=svc/migrations/003_typo.up.sql,line=2,col=8::syntax error at or near "tablee" [syntax-error]',
    '[svc-migrations] Lint: 4 errors, 2 warnings, 0 notes in 6 files',
    '',
  ])
  const note = await project({ '001_a.up.sql': 'begin;\nselect 1;\ncommit;\n', '001_a.down.sql': 'select 1;\n' })
  const n = await runCli(['lint', '--dir', 'svc/migrations', '--format=github'], { cwd: note })
  assert.equal(n.stdout.split('\n')[0], '::notice file=svc/migrations/001_a.up.sql,line=1,col=1::the file wraps itself in BEGIN/COMMIT: link-migrate drops the wrapper and runs the body in its own transaction with its bookkeeping [transaction-wrapper]')
  assert.is(n.code, 0)
})

test('files as arguments: no directory, no configuration, even a bad DB_PORT; the other files are the earlier migrations (here all not yet deployed)', async () => {
  const root = await project({
    '001_create_events.up.sql': '-- link-migrate:lock-timeout 5s\ncreate table events (id bigint, at timestamptz);\n',
    '002_index_events.up.sql': 'create index events_at_idx on events (at);\n',
    '003_index_users.up.sql': '-- link-migrate:lock-timeout 5s\ncreate index users_at_idx on users (at);\n',
  })
  const dir = 'svc/migrations'
  const r = await runCli(['lint', '--new-since', '0', `${dir}/002_index_events.up.sql`, `${dir}/001_create_events.up.sql`, `${dir}/003_index_users.up.sql`], {
    cwd: root,
    env: { DB_PORT: 'abc', MIGRATE_DIR: '/does/not/exist' },
  })
  assert.equal(
    { code: r.code, stdout: r.stdout.split('\n'), stderr: r.stderr },
    {
      code: 1,
      stdout: [
        'svc/migrations/001_create_events.up.sql:1:1  warning  missing-down  001_create_events has no down file: down of version 1 would fail',
        'svc/migrations/002_index_events.up.sql:1:1  warning  missing-down  002_index_events has no down file: down of version 2 would fail',
        'svc/migrations/003_index_users.up.sql:1:1  warning  missing-down  003_index_users has no down file: down of version 3 would fail',
        'svc/migrations/003_index_users.up.sql:2:1  error  index-without-concurrently  CREATE INDEX users_at_idx on users without CONCURRENTLY blocks writes to the table for the whole build',
        advice('missing-down'),
        advice('index-without-concurrently'),
        'Lint: 1 error, 3 warnings, 0 notes in 3 files',
        '',
      ],
      stderr: '',
    },
  )
})

test('a file that does not exist is a finding; --dir with files is a usage error', async () => {
  const root = await tmpDir('lm-lint-cli-')
  const r = await runCli(['lint', 'nope/001_a.up.sql'], { cwd: root })
  assert.equal(
    { code: r.code, stdout: r.stdout.split('\n') },
    {
      code: 1,
      stdout: [
        `nope/001_a.up.sql:1:1  error  unreadable-file  cannot be read: no such file (or not a regular file): ${path.join(root, 'nope/001_a.up.sql')}`,
        advice('unreadable-file'),
        'Lint: 1 error, 0 warnings, 0 notes in 1 file',
        '',
      ],
    },
  )
  const u = await runCli(['lint', '--dir', '.', 'a.sql'], { cwd: root })
  assert.equal(
    { code: u.code, stdout: u.stdout, stderr: u.stderr },
    { code: 2, stdout: '', stderr: 'Error: lint takes either --dir or files, not both\n' },
  )
})

test('what counts as new: by default a table of an earlier migration exists; --new-since / --assume-applied name the new batch', async () => {
  const root = await project({
    '001_create_events.up.sql': '-- link-migrate:lock-timeout 5s\ncreate table events (id bigint, at timestamptz);\n',
    '001_create_events.down.sql': 'drop table events;\n',
    '002_index_events.up.sql': 'create index events_at_idx on events (at);\n',
    '002_index_events.down.sql': '-- link-migrate:lock-timeout 5s\ndrop index events_at_idx;\n',
  })
  const flagged = {
    code: 1,
    stdout: [
      'svc/migrations/002_index_events.up.sql:1:1  error  index-without-concurrently  CREATE INDEX events_at_idx on events without CONCURRENTLY blocks writes to the table for the whole build',
      advice('index-without-concurrently'),
      '[svc-migrations] Lint: 1 error, 0 warnings, 0 notes in 4 files',
      '',
    ],
  }
  for (const extra of [[], ['--assume-applied', '1'], ['--new-since', '1']]) {
    const r = await runCli(['lint', '--dir', 'svc/migrations', ...extra], { cwd: root })
    assert.equal({ code: r.code, stdout: r.stdout.split('\n') }, flagged, extra.join(' ') || 'default')
  }
  // 001 and 002 are both not yet deployed: events has no rows.
  for (const flag of ['--new-since', '--assume-applied']) {
    const batch = await runCli(['lint', '--dir', 'svc/migrations', flag, '0'], { cwd: root })
    assert.equal({ code: batch.code, stdout: batch.stdout }, { code: 0, stdout: '[svc-migrations] Lint: 0 errors, 0 warnings, 0 notes in 4 files\n' }, flag)
  }
  const both = await runCli(['lint', '--dir', 'svc/migrations', '--new-since', '0', '--assume-applied', '1'], { cwd: root })
  assert.equal(
    { code: both.code, stdout: both.stdout, stderr: both.stderr },
    { code: 2, stdout: '', stderr: '[svc-migrations] Error: --new-since 0 and --assume-applied 1 say different things; give one\n' },
  )
  const bad = await runCli(['lint', '--dir', 'svc/migrations', '--new-since', 'abc'], { cwd: root })
  assert.is(bad.code, 2)
  assert.match(bad.stderr, /--new-since/)
})

test('--quiet: findings and the summary, no notes, no advice', async () => {
  const root = await project({ '001_a.up.sql': 'begin;\nalter table users add column a int;\ncommit;\n', '001_a.down.sql': 'select 1;\n' })
  const r = await runCli(['lint', '--dir', 'svc/migrations', '--quiet'], { cwd: root })
  assert.equal(
    { code: r.code, stdout: r.stdout.split('\n') },
    {
      code: 0,
      stdout: [
        'svc/migrations/001_a.up.sql:2:1  warning  missing-lock-timeout  ALTER TABLE users takes an ACCESS EXCLUSIVE lock with no lock_timeout: while it waits behind a long query, every query on the table queues behind it',
        '[svc-migrations] Lint: 0 errors, 1 warning, 1 note in 2 files',
        '',
      ],
    },
  )
})

test('the legacy form and --help', async () => {
  const root = await project(CLEAN)
  const r = await runCli(['-action=lint', '-dir=svc/migrations'], { cwd: root })
  assert.equal({ code: r.code, stdout: r.stdout }, { code: 0, stdout: '[svc-migrations] Lint: 0 errors, 0 warnings, 0 notes in 4 files\n' })
  const h = await runCli(['lint', '--help'])
  assert.is(h.code, 0)
  assert.match(h.stdout, /--assume-applied <version>/)
  assert.match(h.stdout, /--new-since <version>/)
  assert.match(h.stdout, /--git-base <ref>/)
  assert.match(h.stdout, /--against-db/)
  assert.match(h.stdout, /1  an error-level finding/)
})

test('the bundle copied alone into an empty directory runs lint (the .wasm is inside it)', async () => {
  if (!binPath().endsWith('.cjs')) return // the compiled binary: nothing to copy beside
  const alone = await tmpDir('lm-lint-alone-')
  await mkdir(path.join(alone, 'bin'))
  await copyFile(binPath(), path.join(alone, 'bin', 'migrate'))
  await writeMigrations(alone, { 'x/001_a.up.sql': 'create index i on t (a);\n' })
  const r = spawnSync(process.execPath, [path.join(alone, 'bin', 'migrate'), 'lint', 'x/001_a.up.sql'], {
    cwd: alone,
    env: { PATH: process.env.PATH ?? '', HOME: alone, CI: 'true' },
    encoding: 'utf8',
  })
  assert.equal(
    { status: r.status, stdout: r.stdout.split('\n'), stderr: r.stderr },
    {
      status: 1,
      stdout: [
        'x/001_a.up.sql:1:1  warning  missing-down  001_a has no down file: down of version 1 would fail',
        'x/001_a.up.sql:1:1  error  index-without-concurrently  CREATE INDEX i on t without CONCURRENTLY blocks writes to the table for the whole build',
        advice('missing-down'),
        advice('index-without-concurrently'),
        'Lint: 1 error, 1 warning, 0 notes in 1 file',
        '',
      ],
      stderr: '',
    },
  )
})

test.run()
