// The config file (link-migrate.json / .link-migrate.json next to the
// migrations, described by link-migrate.schema.json) and `lint --explain
// RULE`, through the built CLI: rule levels, ignores, the --new-since
// default, every bad key named in one line with exit 2.
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { RULES } from '../../src/lint/index.js'
import { runCli } from '../helpers/cli.js'
import { tmpDir, writeMigrations } from '../helpers/tmp.js'

const test = suite('lint config file and --explain')

const FILES = {
  '001_create_events.up.sql': '-- link-migrate:lock-timeout 5s\ncreate table events (id bigint, at timestamptz);\n',
  '001_create_events.down.sql': 'drop table events;\n',
  '002_index_events.up.sql': 'create index events_at_idx on events (at);\n',
  '002_index_events.down.sql': '-- link-migrate:lock-timeout 5s\ndrop index events_at_idx;\n',
  '004_add_kind.up.sql': 'alter table events add column kind text;\n',
  '004_add_kind.down.sql': '-- link-migrate:lock-timeout 5s\nalter table events drop column kind;\n',
}

async function project(config: unknown, where: 'dir' | 'parent' = 'dir', name = 'link-migrate.json'): Promise<string> {
  const root = await tmpDir('lm-lint-config-')
  const dir = path.join(root, 'svc', 'migrations')
  await writeMigrations(dir, FILES)
  if (config !== undefined) await writeFile(path.join(where === 'dir' ? dir : path.dirname(dir), name), typeof config === 'string' ? config : JSON.stringify(config))
  return root
}

const lines = async (root: string, ...extra: string[]) => {
  const r = await runCli(['lint', '--dir', 'svc/migrations', '--quiet', ...extra], { cwd: root })
  return { code: r.code, stdout: r.stdout.split('\n').filter(Boolean), stderr: r.stderr }
}

const INDEX = 'svc/migrations/002_index_events.up.sql:1:1  error  index-without-concurrently  CREATE INDEX events_at_idx on events without CONCURRENTLY blocks writes to the table for the whole build'
const LOCK = 'svc/migrations/004_add_kind.up.sql:1:1  warning  missing-lock-timeout  ALTER TABLE events takes an ACCESS EXCLUSIVE lock with no lock_timeout: while it waits behind a long query, every query on the table queues behind it'

test('without a config file: the defaults', async () => {
  assert.equal(await lines(await project(undefined)), {
    code: 1,
    stdout: [INDEX, LOCK, '[svc-migrations] Lint: 1 error, 1 warning, 1 note in 6 files'],
    stderr: '',
  })
})

test('rule levels, ignores and newSince; .link-migrate.json in the parent directory works too', async () => {
  const config = { lint: { rules: { 'missing-lock-timeout': 'error', 'version-gap': 'off' }, ignore: [{ files: '002_*', rules: ['index-without-concurrently'] }] } }
  for (const [where, name] of [['dir', 'link-migrate.json'], ['parent', '.link-migrate.json']] as const) {
    assert.equal(
      await lines(await project(config, where, name)),
      { code: 1, stdout: [LOCK.replace('warning', 'error'), '[svc-migrations] Lint: 1 error, 0 warnings, 0 notes in 6 files'], stderr: '' },
      `${where}/${name}`,
    )
  }
  // newSince 0: 001 is not deployed yet, so events is new for 002 and 004; a flag wins over it.
  const batch = await project({ $schema: '../../link-migrate.schema.json', lint: { newSince: 0, ignore: ['*.down.sql'] } })
  assert.equal(await lines(batch), { code: 0, stdout: ['[svc-migrations] Lint: 0 errors, 0 warnings, 1 note in 6 files'], stderr: '' })
  assert.equal((await lines(batch, '--new-since', '1')).stdout[0], INDEX)
})

test('a bad config file: exit 2, one line naming the file and the key', async () => {
  const cases: [unknown, string][] = [
    ['{ "lint": ', 'not valid JSON'],
    [{ lint: { rules: { 'no-such-rule': 'error' } } }, 'lint.rules."no-such-rule" is not a rule id (see link-migrate lint --explain)'],
    [{ lint: { rules: { 'drop-column': 'fatal' } } }, 'lint.rules."drop-column" must be "error", "warning", "info" or "off"'],
    [{ lint: { newSince: 'v3' } }, 'lint.newSince must be a whole number >= 0 (a version)'],
    [{ lint: { ignore: [{ glob: '*.sql' }] } }, 'lint.ignore[0] must be a glob or { "files": glob, "rules": [rule ids] }'],
    [{ lint: { newsince: 3 } }, 'lint."newsince" is not a known key (newSince, allowTransactionControl, rules, ignore)'],
    [{ lnt: {} }, '"lnt" is not a known key ($schema, lint)'],
  ]
  for (const [config, message] of cases) {
    const root = await project(config)
    const r = await runCli(['lint', '--dir', 'svc/migrations'], { cwd: root })
    assert.is(r.code, 2, message)
    assert.is(r.stdout, '')
    const file = path.join(root, 'svc', 'migrations', 'link-migrate.json')
    assert.ok(r.stderr.startsWith(`[svc-migrations] Error: ${file}: ${message}`), r.stderr)
    assert.is(r.stderr.trim().split('\n').length, 1)
  }
})

test('--explain RULE: the catalogue entry, no directory needed; --json; an unknown rule is exit 2', async () => {
  const cwd = await tmpDir('lm-explain-')
  const r = await runCli(['lint', '--explain', 'drop-column'], { cwd })
  const rule = RULES.find((x) => x.id === 'drop-column')!
  assert.is(r.code, 0, r.stderr)
  assert.equal(r.stdout.split('\n').slice(0, 8), [
    'drop-column (error)',
    '',
    `Fix: ${rule.docs}.`,
    '',
    rule.why,
    '',
    'Bad:',
    '    -- link-migrate:lock-timeout 5s',
  ])
  assert.match(r.stdout, /\nGood:\n    -- link-migrate:lock-timeout 5s\n    -- Release 2\.9 stopped reading users\.fax\.\n/)
  assert.match(r.stdout, /More: README\.md#drop-column\./)
  const json = await runCli(['lint', '--explain', 'version-gap', '--json'], { cwd })
  const doc = JSON.parse(json.stdout) as Record<string, string>
  assert.equal([doc.rule, doc.severity, doc.docs], ['version-gap', 'info', 'README.md#version-gap'])
  assert.match(doc.bad!, /^-- file: 001_init\.up\.sql\n/)
  const bad = await runCli(['lint', '--explain', 'drop-colum'], { cwd })
  assert.is(bad.code, 2)
  assert.match(bad.stderr, /^Error: --explain drop-colum: no such rule; the rules: file-name, /)
})

test.run()
