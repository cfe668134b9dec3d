/**
 * `check --locks` end to end on the built bundle, on both engines: the
 * labelled DDL forms of fixtures/trace/forms.json (each its own migration,
 * on tables an earlier migration made) traced and held against
 * PostgreSQL's documented lock levels, the same on PGlite and on a scratch
 * database; the human lines, --json `statements`, --format github,
 * --fail-on, lint held against the trace, `lint --trace`, usage errors.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { CheckResult, TracedStatement } from '../../src/check/index.js'
import { runCli } from '../helpers/cli.js'
import { closeAdmin, freshDatabase, type FreshDatabase } from '../helpers/db.js'
import { migrationsDir } from '../helpers/tmp.js'

const ROOT = resolve('.')

interface Form {
  form: string
  up: string
  down: string
  /** The relation whose lock is labelled; null: the form locks no relation. */
  relation: string | null
  lock: string | null
  /** Whether it rewrites (true/false), or the one relation it rewrites. */
  rewrite: boolean | string
  /** False: runs outside a transaction; the documented lock is reported. */
  observed?: boolean
}
const FORMS = JSON.parse(readFileSync(resolve('fixtures/trace/forms.json'), 'utf8')) as { setup: { up: string; down: string }; forms: Form[] }

/** 001 sets up, then one migration per form (002, 003, ...). */
async function formsDir(): Promise<string> {
  const files: Record<string, string> = { '001_setup.up.sql': FORMS.setup.up + '\n', '001_setup.down.sql': FORMS.setup.down + '\n' }
  FORMS.forms.forEach((f, i) => {
    const v = String(i + 2).padStart(3, '0')
    files[`${v}_form.up.sql`] = f.up + ';\n'
    files[`${v}_form.down.sql`] = f.down + ';\n'
  })
  return migrationsDir(files)
}

/** Each form's traced first up statement: the labelled relation's mode, and the rewrites. */
function traced(doc: CheckResult): { form: string; mode: string | null; rewrites: string[]; observed: boolean }[] {
  return FORMS.forms.map((f, i) => {
    const m = doc.migrations.find((x) => x.version === i + 2)!
    const s = m.statements?.find((x) => x.direction === 'up')
    assert.ok(s, `${f.form}: traced (status ${m.status})`)
    const lock = s!.locks.find((l) => l.relation === f.relation)
    return { form: f.form, mode: lock?.mode ?? null, rewrites: s!.rewrites, observed: s!.observed }
  })
}

function assertDocumented(rows: ReturnType<typeof traced>): void {
  const wrong: string[] = []
  FORMS.forms.forEach((f, i) => {
    const r = rows[i]!
    const rewriteOk = typeof f.rewrite === 'string' ? r.rewrites.includes(f.rewrite) : (r.rewrites.length > 0) === f.rewrite
    if (r.mode !== f.lock || !rewriteOk || r.observed !== (f.observed ?? true)) {
      wrong.push(`${f.form}: expected ${f.lock} rewrite=${f.rewrite}, traced ${r.mode} rewrites=[${r.rewrites.join(', ')}] observed=${r.observed}`)
    }
  })
  assert.equal(wrong, [])
}

const test = suite('check --locks (CLI)')
let db: FreshDatabase
let dir: string
let embedded: ReturnType<typeof traced> | undefined
test.before(async () => {
  db = await freshDatabase('check_trace')
  dir = await formsDir()
})
test.after(async () => {
  await db.drop()
  await closeAdmin()
})

test(`the ${FORMS.forms.length} labelled forms on the embedded engine take PostgreSQL's documented locks`, async () => {
  assert.ok(FORMS.forms.length >= 40)
  const r = await runCli(['check', '--locks', '--json', '--engine', 'embedded', '--dir', dir], { cwd: ROOT, timeoutMs: 300_000 })
  const doc = JSON.parse(r.stdout) as CheckResult
  // Forms whose down cannot restore exactly (column order, an enum value) make the check fail; none may fail to run.
  assert.equal(doc.migrations.filter((m) => m.status === 'failed' || m.status === 'not-run').map((m) => `${m.name}: ${m.error?.message}`), [])
  embedded = traced(doc)
  assertDocumented(embedded)
  // The JSON shape the README documents.
  const s = doc.migrations[1]!.statements![0]!
  assert.equal(Object.keys(s).slice(0, 4), ['file', 'direction', 'line', 'statement'])
  assert.equal(
    { file: s.file, line: s.line, statement: s.statement, locks: s.locks.map((l) => ({ relation: l.relation, mode: l.mode })), rewrites: s.rewrites },
    { file: '002_form.up.sql', line: 1, statement: 'ALTER TABLE users ADD COLUMN c1 int', locks: [{ relation: 'users', mode: 'AccessExclusiveLock' }], rewrites: [] },
  )
  // Downs are traced too.
  assert.equal(doc.migrations[1]!.statements!.map((x) => `${x.direction} ${x.file}:${x.line}`), ['up 002_form.up.sql:1', 'down 002_form.down.sql:1'])
})

test('the same forms on a scratch database of a server: the same locks and rewrites', async () => {
  const r = await runCli(['check', '--locks', '--json', '--database-url', db.url, '--dir', dir], { cwd: ROOT, timeoutMs: 300_000 })
  const doc = JSON.parse(r.stdout) as CheckResult
  assert.is(doc.engine, 'server')
  assert.equal(doc.migrations.filter((m) => m.status === 'failed' || m.status === 'not-run').map((m) => `${m.name}: ${m.error?.message}`), [])
  const server = traced(doc)
  assertDocumented(server)
  if (embedded) assert.equal(server, embedded)
  // The password never shows.
  assert.not.match(r.stdout + r.stderr, new URL(db.url).password || '\u0000')
})

test('human output: each statement with its locks, what they block and how long they are held; lint held against the trace', async () => {
  const d = await migrationsDir({
    '001_users.up.sql': 'CREATE TABLE users (id bigint PRIMARY KEY, email text, age int);\n',
    '001_users.down.sql': 'DROP TABLE users;\n',
    '002_age.up.sql': 'ALTER TABLE users ALTER COLUMN age TYPE bigint;\nCREATE INDEX users_email_idx ON users (email);\nUPDATE users SET age = 0 WHERE age IS NULL;\n',
    '002_age.down.sql': 'DROP INDEX users_email_idx;\nALTER TABLE users ALTER COLUMN age TYPE int;\n',
  })
  const r = await runCli(['check', '--locks', '--engine', 'embedded', '--dir', d], { cwd: ROOT, timeoutMs: 120_000 })
  assert.is(r.code, 0, r.stderr)
  const lines = r.stdout.split('\n').map((l) => l.replace(/^\[[^\]]+\] /, ''))
  const at = lines.findIndex((l) => l.startsWith('[2/2] 002_age: ok'))
  assert.equal(lines.slice(at + 1, at + 11), [
    '  002_age.up.sql:1  ALTER TABLE users ALTER COLUMN age TYPE bigint',
    '      AccessExclusiveLock on users: blocks reads and writes; held while 2 more statements run (until COMMIT)',
    '      rewrites users, users_pkey',
    '  002_age.up.sql:2  CREATE INDEX users_email_idx ON users (email)',
    '      no new lock: runs under the locks taken at line 1',
    '  002_age.up.sql:3  UPDATE users SET age = 0 WHERE age IS NULL',
    '      RowExclusiveLock on users: blocks nothing; released when it ends',
    '  002_age.down.sql:1  DROP INDEX users_email_idx',
    '      AccessExclusiveLock on users: blocks reads and writes; held while 1 more statement runs (until COMMIT)',
    '  002_age.down.sql:2  ALTER TABLE users ALTER COLUMN age TYPE int',
  ])
  // Every lock and rewrite lint predicts is confirmed; CREATE INDEX's SHARE came with line 1 (ALTER TYPE takes it too).
  assert.ok(lines.includes('Lint vs trace: 5 confirmed, 0 not confirmed, 1 missed by lint'), r.stdout)
  // Lint takes a table as new for the down of the migration that made it; in production it has rows by then.
  assert.ok(lines.includes('  001_users.down.sql:1 missed by lint: AccessExclusiveLock on users (blocks reads and writes)'), r.stdout)
  assert.ok(lines.includes('  002_age.up.sql:1:19 alter-column-type: confirmed (AccessExclusiveLock on users (blocks reads and writes); rewrites users, users_pkey)'), r.stdout)
  assert.ok(lines.includes('  002_age.up.sql:2:1 index-without-concurrently: confirmed (AccessExclusiveLock on users (blocks reads and writes, held since line 1))'), r.stdout)
})

test('a no-transaction file: each statement holds its locks only while it runs; CONCURRENTLY reports the documented lock', async () => {
  const d = await migrationsDir({
    '001_t.up.sql': 'CREATE TABLE t (id int, a int);\n',
    '001_t.down.sql': 'DROP TABLE t;\n',
    '002_idx.up.sql': 'CREATE INDEX CONCURRENTLY t_a_idx ON t (a);\nALTER TABLE t ALTER COLUMN a SET STATISTICS 100;\n',
    '002_idx.down.sql': 'DROP INDEX CONCURRENTLY t_a_idx;\n',
  })
  const r = await runCli(['check', '--locks', '--json', '--engine', 'embedded', '--dir', d], { cwd: ROOT, timeoutMs: 120_000 })
  assert.is(r.code, 0, r.stderr)
  const doc = JSON.parse(r.stdout) as CheckResult
  const st = doc.migrations[1]!.statements!
  const brief = (s: TracedStatement) => ({ line: s.line, direction: s.direction, locks: s.locks.map((l) => `${l.relation} ${l.mode}`), heldWhile: s.heldWhile, observed: s.observed })
  assert.equal(st.map(brief), [
    { line: 1, direction: 'up', locks: ['t ShareUpdateExclusiveLock'], heldWhile: 0, observed: false },
    { line: 2, direction: 'up', locks: ['t ShareUpdateExclusiveLock'], heldWhile: 0, observed: true },
    { line: 1, direction: 'down', locks: ['t_a_idx ShareUpdateExclusiveLock'], heldWhile: 0, observed: false },
  ])
})

const RISKY = {
  '001_users.up.sql': 'CREATE TABLE users (id bigint PRIMARY KEY, email text);\n',
  '001_users.down.sql': 'DROP TABLE users;\n',
  '002_email.up.sql': 'ALTER TABLE users ADD COLUMN token text DEFAULT md5(random()::text);\nUPDATE users SET email = lower(email);\n',
  '002_email.down.sql': 'ALTER TABLE users DROP COLUMN token;\n',
}

test('--fail-on: exit 1 naming file:line and the condition; nothing holds: exit 0', async () => {
  const d = await migrationsDir(RISKY)
  const r = await runCli(['check', '--locks', '--fail-on', 'rewrite,lock-held-across-statements', '--engine', 'embedded', '--dir', d], { cwd: ROOT, timeoutMs: 120_000 })
  assert.is(r.code, 1, r.stdout + r.stderr)
  const lines = r.stdout.split('\n').map((l) => l.replace(/^\[[^\]]+\] /, ''))
  assert.ok(lines.includes('--fail-on rewrite,lock-held-across-statements: 2 statements fail'), r.stdout)
  assert.ok(lines.includes('  002_email.up.sql:1 [rewrite] rewrites users, users_pkey (every row copied under an ACCESS EXCLUSIVE lock)'), r.stdout)
  assert.ok(lines.includes('  002_email.up.sql:1 [lock-held-across-statements] ACCESS EXCLUSIVE on users is held while 1 more statement runs (until COMMIT)'), r.stdout)
  assert.match(r.stdout, /Check failed: 2 statements fail --fail-on/)
  // DROP TABLE in the down takes ACCESS EXCLUSIVE and rewrites nothing.
  const ok = await runCli(['check', '--locks', '--fail-on', 'rewrite', '--json', '--engine', 'embedded', '--dir', await migrationsDir({ '001_t.up.sql': 'CREATE TABLE t (id int);\n', '001_t.down.sql': 'DROP TABLE t;\n' })], {
    cwd: ROOT,
    timeoutMs: 120_000,
  })
  assert.is(ok.code, 0, ok.stderr)
  assert.equal((JSON.parse(ok.stdout) as CheckResult).trace?.violations, [])
})

test('--format github: a warning at each strong lock or rewrite, an error for each --fail-on verdict', async () => {
  const d = await migrationsDir(RISKY)
  const r = await runCli(['check', '--locks', '--fail-on', 'rewrite', '--format', 'github', '--engine', 'embedded', '--dir', d], { cwd: ROOT, timeoutMs: 120_000 })
  assert.is(r.code, 1)
  const annotations = r.stdout.split('\n').filter((l) => l.startsWith('::'))
  const rel = (f: string) => `${d.startsWith(ROOT) ? d.slice(ROOT.length + 1) : d}/${f}`
  assert.equal(annotations, [
    `::warning file=${rel('001_users.down.sql')},line=1::lock trace: AccessExclusiveLock on users blocks reads and writes, released when it ends`,
    `::warning file=${rel('002_email.down.sql')},line=1::lock trace: AccessExclusiveLock on users blocks reads and writes, released when it ends`,
    `::error file=${rel('002_email.up.sql')},line=1::lock trace [rewrite]: rewrites users, users_pkey (every row copied under an ACCESS EXCLUSIVE lock)`,
  ])
})

test('lint --trace runs the same rehearsal; usage errors name the flag', async () => {
  const d = await migrationsDir(RISKY)
  const r = await runCli(['lint', '--trace', '--json', '--dir', d], { cwd: ROOT, timeoutMs: 120_000 })
  assert.is(r.code, 0, r.stderr)
  const doc = JSON.parse(r.stdout) as CheckResult
  assert.equal(
    doc.trace?.lint?.verdicts.map((v) => `${v.file}:${v.line} ${v.rule} ${v.confirmed ? 'confirmed' : 'not confirmed'}`),
    [
      '002_email.down.sql:1 missing-lock-timeout confirmed',
      '002_email.up.sql:1 missing-lock-timeout confirmed',
      '002_email.up.sql:1 volatile-default confirmed',
    ],
  )

  assert.equal(doc.trace?.lint?.missed.map((m) => `${m.file}:${m.line} ${m.trace}`), ['001_users.down.sql:1 AccessExclusiveLock on users (blocks reads and writes)'])

  const bad = await runCli(['check', '--locks', '--fail-on', 'rewrite,slow', '--dir', d], { cwd: ROOT })
  assert.is(bad.code, 2)
  assert.match(bad.stderr, /--fail-on: unknown condition "slow" \(expected rewrite, access-exclusive, blocks-writes, lock-held-across-statements\)/)
  const noLocks = await runCli(['check', '--fail-on', 'rewrite', '--dir', d], { cwd: ROOT })
  assert.is(noLocks.code, 2)
  assert.match(noLocks.stderr, /--fail-on needs --locks/)
  const majors = await runCli(['check', '--locks', '--pg-version', '14,18', '--dir', d], { cwd: ROOT })
  assert.is(majors.code, 2)
  assert.match(majors.stderr, /--locks traces one engine: give one --pg-version/)
  const files = await runCli(['lint', '--trace', `${d}/002_email.up.sql`], { cwd: ROOT })
  assert.is(files.code, 2)
  assert.match(files.stderr, /lint --trace rehearses the migrations directory/)
})

test.run()
