/**
 * Real-world migration sets (fixtures/sets/, written for these tests in the
 * layouts golang-migrate users have) through the built CLI against a real
 * server: up, down of everything, up again; version 0; timestamp versions
 * on BIGINT and on the old tool's INTEGER tables; downs that fail at parse
 * time (nothing rolled back) and at run time (file:line:col of the
 * statement, in text and in --json); adopting a golang-migrate database.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { runCli, type CliResult } from '../helpers/cli.js'
import { databases, type FreshDatabase } from '../helpers/db.js'
import { migrationsDir } from '../helpers/tmp.js'

const SETS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'sets')
const SERVICE = 'sets-svc'
const PREFIX = `[${SERVICE}-migrations]`

/** `db()` makes a fresh database; `cleanup()` drops them all: the `after` hook of every suite. */
const { fresh: db, dropAll: cleanup } = databases('core_sets')

function cli(set: string, d: FreshDatabase, ...args: string[]): Promise<CliResult> {
  const [command, ...rest] = args
  return runCli([command!, '--dir', path.join(SETS, set), '--service', SERVICE, '--database-url', d.url, ...rest], { timeoutMs: 120_000 })
}

function exit(r: CliResult, code: number): void {
  assert.is(r.code, code, `exit ${r.code}, expected ${code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`)
}

function lines(text: string): string[] {
  const l = text.split('\n')
  if (l[l.length - 1] === '') l.pop()
  return l
}

/** Applied versions with their names, in order ([] before the tables exist). */
async function records(d: FreshDatabase): Promise<string[]> {
  const [t] = await d.sql<{ e: boolean }[]>`select to_regclass('migration_records') is not null as e`
  if (!t!.e) return []
  const rows = await d.sql<{ v: string; name: string }[]>`
    select version::text as v, name from migration_records where service = ${SERVICE} order by version`
  return rows.map((r) => `${r.v} ${r.name}`)
}

/** Every relation outside the system schemas (tables, indexes, views, sequences), sorted. */
async function relations(d: FreshDatabase): Promise<string[]> {
  const rows = await d.sql<{ name: string }[]>`
    select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relname not like 'migration\_records%' and c.relname not like 'schema\_versions%'
       and c.relname not like 'link\_migrate\_progress%'
     order by 1`
  return rows.map((r) => r.name)
}

/** The `error` object of an --json run's error line. */
function jsonError(stdout: string): Record<string, unknown> | undefined {
  const events = lines(stdout).map((l) => JSON.parse(l) as { type: string; error?: Record<string, unknown> })
  return events.find((e) => e.type === 'error')?.error
}

// ---------------------------------------------------------------- 120 files

const ledger = suite('sets: 120 unpadded files, dotted names, BEGIN/END wrappers, mismatched down names')
ledger.after(cleanup)

ledger('up, down --all, up: every file runs; the schema after the second up is the first one', async () => {
  const d = await db()
  const up1 = await cli('ledger-unpadded', d, 'up')
  exit(up1, 0)
  assert.ok(up1.stdout.includes(`${PREFIX} Found 120 pending migrations`), up1.stdout)
  const applied = await records(d)
  assert.is(applied.length, 120)
  // Numeric order, never file-name order; dotted descriptions kept whole.
  assert.equal(applied.slice(0, 3), ['1 1_create_accounts', '2 2_add_accounts_status', '3 3_index_accounts_by_status'])
  assert.is(applied[9], '10 10_2.2.1_add_invoices_status')
  assert.is(applied[119], '120 120_2.29.3_active_attachments_view')
  const schema = await relations(d)
  assert.ok(schema.includes('active_attachments') && schema.includes('webhooks_status_created_idx'), schema.join(' '))

  const down = await cli('ledger-unpadded', d, 'down', '--all', '--yes')
  exit(down, 0)
  assert.equal(await records(d), [])
  assert.equal(await relations(d), [])

  exit(await cli('ledger-unpadded', d, 'up'), 0)
  assert.is((await records(d)).length, 120)
  assert.equal(await relations(d), schema)
})

ledger.run()

// ---------------------------------------------------------------- version 0

const zero = suite('sets: a set that starts at version 0')
zero.after(cleanup)

zero('up applies 0_initial; status, lint, mark and down treat 0 as a version', async () => {
  const d = await db()
  // Before and after 0_initial, status's text tells the two apart.
  const before = await cli('from-zero', d, 'status')
  exit(before, 0)
  assert.ok(before.stdout.split('\n').includes('Current version: 0 (nothing applied)'), before.stdout)
  exit(await cli('from-zero', d, 'up', '--to', '0'), 0)
  assert.equal(await records(d), ['0 0_initial'])
  const after = await cli('from-zero', d, 'status')
  assert.ok(after.stdout.split('\n').includes('Current version: 0'), after.stdout)
  const st = await cli('from-zero', d, 'status', '--json')
  exit(st, 0)
  const status = JSON.parse(st.stdout) as { currentVersion: number; pending: number; migrations: { version: number; state: string }[] }
  assert.equal(
    { current: status.currentVersion, pending: status.pending, states: status.migrations.map((m) => `${m.version} ${m.state}`) },
    { current: 0, pending: 3, states: ['0 applied', '1 pending', '2 pending', '3 pending'] },
  )

  exit(await cli('from-zero', d, 'up'), 0)
  assert.equal(await records(d), ['0 0_initial', '1 1_users', '2 2_users_email_key', '3 3_audit_log'])

  // Rolling back to version 0 keeps it; --all rolls it back too.
  exit(await cli('from-zero', d, 'down', '--to', '0', '--yes'), 0)
  assert.equal(await records(d), ['0 0_initial'])
  exit(await cli('from-zero', d, 'down', '--all', '--yes'), 0)
  assert.equal(await records(d), [])
  assert.equal(await relations(d), [])

  // mark 0 and mark 0 --pending, with nothing else recorded.
  exit(await cli('from-zero', d, 'mark', '0'), 0)
  assert.equal(await records(d), ['0 0_initial'])
  exit(await cli('from-zero', d, 'mark', '0', '--pending'), 0)
  assert.equal(await records(d), [])

  // lint has its say about the SQL (an index built without CONCURRENTLY), none about the names.
  const lint = await runCli(['lint', '--dir', path.join(SETS, 'from-zero'), '--json'])
  const report = JSON.parse(lint.stdout) as { findings: { rule: string; file: string }[] }
  assert.equal(
    report.findings.filter((f) => ['invalid-version', 'file-name', 'version-gap'].includes(f.rule)),
    [],
  )
})

zero('check rehearses it from version 0, on the embedded engine and on a server', async () => {
  type Check = { ok: boolean; complete: boolean; migrations: { version: number; name: string; status: string; differences: unknown[] }[] }
  const expected = [
    { version: 0, name: '0_initial', status: 'ok', differences: [] },
    { version: 1, name: '1_users', status: 'ok', differences: [] },
    { version: 2, name: '2_users_email_key', status: 'ok', differences: [] },
    { version: 3, name: '3_audit_log', status: 'ok', differences: [] },
  ]
  const slim = (doc: Check) => ({
    ok: doc.ok,
    complete: doc.complete,
    migrations: doc.migrations.map(({ version, name, status, differences }) => ({ version, name, status, differences })),
  })
  const embedded = await runCli(['check', '--dir', path.join(SETS, 'from-zero'), '--service', SERVICE, '--json'], { timeoutMs: 120_000 })
  exit(embedded, 0)
  assert.equal(slim(JSON.parse(embedded.stdout) as Check), { ok: true, complete: true, migrations: expected })
  const d = await db()
  const server = await cli('from-zero', d, 'check')
  exit(server, 0)
  assert.ok(lines(server.stdout + server.stderr).some((l) => l.includes('[1/4] 0_initial: ok')), server.stdout + server.stderr)
  assert.equal(await records(d), [], 'check on a server works on a scratch database, not on this one')
})

zero.run()

// ---------------------------------------------------------------- timestamps

const stamps = suite('sets: timestamp versions (64-bit)')
stamps.after(cleanup)

stamps('on tables link-migrate creates (BIGINT) they apply in numeric order', async () => {
  const d = await db()
  exit(await cli('timestamps', d, 'up'), 0)
  assert.equal(await records(d), [
    '20240101120000 20240101120000_create_users',
    '20240115093000 20240115093000_add_users_locale',
    '20240302174512 20240302174512_create_sessions',
    '20241130235959 20241130235959_index_sessions',
  ])
  const [types] = await d.sql<{ r: string; v: string; cur: string }[]>`
    select format_type(a.atttypid, null) as r,
           (select format_type(atttypid, null) from pg_attribute where attrelid = 'schema_versions'::regclass and attname = 'version') as v,
           (select version::text from schema_versions where service = ${SERVICE}) as cur
      from pg_attribute a where a.attrelid = 'migration_records'::regclass and a.attname = 'version'`
  assert.equal({ ...types }, { r: 'bigint', v: 'bigint', cur: '20241130235959' })
  exit(await cli('timestamps', d, 'down', '--to', '20240115093000', '--yes'), 0)
  assert.is((await records(d)).length, 2)
})

stamps("on the old tool's INTEGER tables they are refused before anything runs, naming the statement that widens them", async () => {
  const d = await db()
  await d.sql.unsafe(`
    create table migration_records (id serial primary key, service varchar not null, version integer not null,
      name varchar not null, applied_at timestamp not null default now(), checksum varchar not null);
    create table schema_versions (service varchar primary key, version integer not null,
      applied_at timestamp not null default now(), description varchar)`)
  const r = await cli('timestamps', d, 'up')
  exit(r, 1)
  assert.equal(lines(r.stderr), [
    `${PREFIX} Error: version 20240101120000 (20240101120000_create_users.up.sql) does not fit the INTEGER version column of ` +
      'migration_records and schema_versions (largest 2147483647); nothing was run. Widen it first: ' +
      'ALTER TABLE "public"."migration_records" ALTER COLUMN version TYPE bigint; ALTER TABLE "public"."schema_versions" ALTER COLUMN version TYPE bigint;',
    '  also too large: 20240115093000_add_users_locale.up.sql',
    '  also too large: 20240302174512_create_sessions.up.sql',
    '  also too large: 20241130235959_index_sessions.up.sql',
  ])
  assert.equal(await relations(d), [])
  // The statement it names works, and then so does up.
  await d.sql.unsafe(
    'ALTER TABLE "public"."migration_records" ALTER COLUMN version TYPE bigint; ALTER TABLE "public"."schema_versions" ALTER COLUMN version TYPE bigint;',
  )
  exit(await cli('timestamps', d, 'up'), 0)
  assert.is((await records(d)).length, 4)
})

stamps.run()

// ---------------------------------------------------------------- broken downs

const broken = suite('sets: downs that fail at parse time and at run time')
broken.after(cleanup)

broken('a syntax error in a down stops down --all before the first rollback, at file:line:col; --dry-run says the same', async () => {
  const d = await db()
  exit(await cli('broken-downs', d, 'up'), 0)
  const before = await relations(d)
  const expected = [
    `${PREFIX} Error: 2_add_report_owner.down.sql:3:21: syntax error at or near "DROPP"`,
    '  3 | ALTER TABLE reports DROPP COLUMN owner_id;',
    '    |                     ^',
    '  SQLSTATE: 42601',
  ]
  for (const extra of [[], ['--dry-run']]) {
    const r = await cli('broken-downs', d, 'down', '--all', '--yes', ...extra)
    exit(r, 1)
    assert.equal(lines(r.stderr), expected, extra.join(' '))
    assert.equal(await records(d), ['1 1_create_reports', '2 2_add_report_owner', '3 3_create_report_cache', '4 4_add_report_archived'])
  }
  assert.equal(await relations(d), before)

  const j = await cli('broken-downs', d, 'down', '--all', '--yes', '--json')
  exit(j, 1)
  assert.equal(jsonError(j.stdout), {
    code: 'FILE_INVALID',
    message: '2_add_report_owner.down.sql:3:21: syntax error at or near "DROPP"',
    details: ['3 | ALTER TABLE reports DROPP COLUMN owner_id;', '  |                     ^', 'SQLSTATE: 42601'],
    file: '2_add_report_owner.down.sql',
    line: 3,
    column: 21,
    sqlState: '42601',
    problems: [{ file: '2_add_report_owner.down.sql', line: 3, column: 21, message: 'syntax error at or near "DROPP"' }],
  })
})

broken('a down failing at run time names its statement (file:line:col, SQLSTATE) in text and --json; the one before it stays rolled back', async () => {
  const d = await db()
  exit(await cli('broken-downs', d, 'up'), 0)
  const j = await cli('broken-downs', d, 'down', '--steps', '2', '--yes', '--json')
  exit(j, 1)
  const error = jsonError(j.stdout)!
  // The server gives no position for this one: the failing statement's start.
  assert.equal(
    { ...error, completed: (error.completed as { version: number; status: string }[]).map((c) => `${c.version} ${c.status}`) },
    {
      code: 'MIGRATION_FAILED',
      message: '3_create_report_cache.down.sql:2:1: table "reports_cache" does not exist',
      details: ['SQLSTATE: 42P01'],
      file: '3_create_report_cache.down.sql',
      line: 2,
      column: 1,
      sqlState: '42P01',
      statement: 2,
      completed: ['4 rolled-back'],
    },
  )
  assert.equal(await records(d), ['1 1_create_reports', '2 2_add_report_owner', '3 3_create_report_cache'])
  // The failed down is rolled back whole: its first statement's DROP INDEX did not stay.
  assert.ok((await relations(d)).includes('report_cache_body_idx'))

  const r = await cli('broken-downs', d, 'down')
  exit(r, 1)
  assert.equal(lines(r.stderr), [`${PREFIX} Error: 3_create_report_cache.down.sql:2:1: table "reports_cache" does not exist`, '  SQLSTATE: 42P01'])
  assert.equal(await records(d), ['1 1_create_reports', '2 2_add_report_owner', '3 3_create_report_cache'])
})

broken('a run-time error in the 2nd statement of an up: its file:line:col and statement number; nothing of the file stays', async () => {
  const d = await db()
  exit(await cli('broken-downs', d, 'up', '--to', '1'), 0)
  await d.sql`alter table reports add column owner_id bigint`
  const j = await cli('broken-downs', d, 'up', '--json')
  exit(j, 1)
  assert.equal(jsonError(j.stdout), {
    code: 'MIGRATION_FAILED',
    message: '2_add_report_owner.up.sql:2:1: column "owner_id" of relation "reports" already exists',
    details: ['SQLSTATE: 42701'],
    file: '2_add_report_owner.up.sql',
    line: 2,
    column: 1,
    sqlState: '42701',
    statement: 2,
    completed: [],
  })
  // Statement 1 (CREATE TABLE owners) ran and was rolled back with the rest.
  assert.not.ok((await relations(d)).includes('owners'))
  assert.equal(await records(d), ['1 1_create_reports'])
})

broken.run()

// ---------------------------------------------------------------- golang-migrate

const adopt = suite('sets: mark --from golang-migrate on a set that starts at 0')
adopt.after(cleanup)

async function golangMigrate(d: FreshDatabase, version: number | null, dirty = false): Promise<void> {
  await d.sql`drop table if exists schema_migrations`
  await d.sql`create table schema_migrations (version bigint not null primary key, dirty boolean not null)`
  if (version !== null) await d.sql`insert into schema_migrations values (${version}, ${dirty})`
}

adopt('an empty table marks nothing; version 0 marks 0_initial; version 2 marks 0 to 2', async () => {
  const d = await db()
  await golangMigrate(d, null)
  const none = await cli('from-zero', d, 'mark', '--from', 'golang-migrate')
  exit(none, 0)
  assert.ok(none.stdout.includes('Nothing to mark'), none.stdout)
  assert.equal(await records(d), [])
  await golangMigrate(d, 0)
  exit(await cli('from-zero', d, 'mark', '--from', 'golang-migrate'), 0)
  assert.equal(await records(d), ['0 0_initial'])
  await golangMigrate(d, 2)
  exit(await cli('from-zero', d, 'mark', '--from', 'golang-migrate'), 0)
  assert.equal(await records(d), ['0 0_initial', '1 1_users', '2 2_users_email_key'])
})

adopt('a version with no file, or above every file, is refused (exit 3) naming the nearest files; --force marks the files below it', async () => {
  const d = await db()
  const dir = path.join(SETS, 'from-zero')
  await golangMigrate(d, 7)
  const above = await cli('from-zero', d, 'mark', '--from', 'golang-migrate')
  exit(above, 3)
  assert.equal(lines(above.stderr), [
    `${PREFIX} Error: golang-migrate's schema_migrations records version 7, but it lies above every migration file in ${dir} ` +
      '(nearest: 3_audit_log.up.sql below); check that this is the right directory, or mark up to the nearest file below it with --force',
  ])
  assert.equal(await records(d), [])
  // Dirty stays refused, --force or not.
  await golangMigrate(d, 2, true)
  exit(await cli('from-zero', d, 'mark', '--from', 'golang-migrate', '--force'), 3)
  assert.equal(await records(d), [])

  await golangMigrate(d, 7)
  exit(await cli('from-zero', d, 'mark', '--from', 'golang-migrate', '--force'), 0)
  assert.equal(await records(d), ['0 0_initial', '1 1_users', '2 2_users_email_key', '3 3_audit_log'])
})

adopt.run()

// ---------------------------------------------------------------- own transactions

const blocks = suite('sets: files with several BEGIN ... COMMIT blocks (psql style)')
blocks.after(cleanup)

blocks('refused by default, every bad file listed at once, nothing run; --allow-transaction-control runs them as psql would', async () => {
  const d = await db()
  const r = await cli('tx-blocks', d, 'up')
  exit(r, 1)
  const tx = 'controls the transaction; link-migrate runs each migration in its own transaction with its bookkeeping: remove it'
  assert.equal(lines(r.stderr), [
    `${PREFIX} Error: 10 problems in migration files:`,
    `    2_backfill_order_totals.up.sql:3:1: BEGIN ${tx}`,
    `    2_backfill_order_totals.up.sql:5:1: COMMIT ${tx}`,
    `    2_backfill_order_totals.up.sql:7:1: BEGIN ${tx}`,
    `    2_backfill_order_totals.up.sql:11:1: COMMIT ${tx}`,
    `    2_backfill_order_totals.up.sql:13:1: BEGIN ${tx}`,
    `    2_backfill_order_totals.up.sql:15:1: COMMIT ${tx}`,
    `    3_order_status.up.sql:1:1: BEGIN ${tx}`,
    `    3_order_status.up.sql:3:1: COMMIT ${tx}`,
    `    3_order_status.up.sql:5:1: BEGIN ${tx}`,
    `    3_order_status.up.sql:8:1: COMMIT ${tx}`,
    '  Files written for psql with their own BEGIN ... COMMIT blocks can run as psql runs them: --allow-transaction-control (README "How a file runs").',
  ])
  assert.equal(await records(d), [])
  assert.equal(await relations(d), [])

  const ok = await cli('tx-blocks', d, 'up', '--allow-transaction-control')
  exit(ok, 0)
  assert.equal(await records(d), ['1 1_create_orders', '2 2_backfill_order_totals', '3 3_order_status'])
  const rows = await d.sql<{ customer: string; total_cents: string; status: string }[]>`
    select customer, total_cents::text, status from orders order by id`
  assert.equal(rows.map((o) => `${o.customer} ${o.total_cents} ${o.status}`), ['ada 250 open', 'grace 1280 open'])
  // Down files are plain: all the way down, then up again with the environment variable.
  exit(await cli('tx-blocks', d, 'down', '--all', '--yes'), 0)
  assert.equal(await relations(d), [])
  const env = await runCli(['up', '--dir', path.join(SETS, 'tx-blocks'), '--service', SERVICE, '--database-url', d.url], {
    env: { MIGRATE_ALLOW_TRANSACTION_CONTROL: '1' },
  })
  exit(env, 0)
  assert.is((await records(d)).length, 3)
})

blocks('a failure after an inner COMMIT names the statement, lists exactly what is committed and how to recover with mark', async () => {
  const d = await db()
  const dir = await migrationsDir({
    '1_orders.up.sql': 'create table orders (id int primary key, total int);\n',
    '2_backfill.up.sql': [
      'begin;',
      'alter table orders add column paid boolean;',
      'commit;',
      'insert into audit values (1);',
      'begin;',
      'update orders set paid = false;',
      'update orders set total = total / 0;',
      'commit;',
      '',
    ].join('\n'),
  })
  const args = ['--dir', dir, '--service', SERVICE, '--database-url', d.url, '--allow-transaction-control']
  await d.sql`create table audit (n int)`
  exit(await runCli(['up', '--to', '1', ...args]), 0)
  await d.sql`insert into orders values (1, 10)`
  const r = await runCli(['up', ...args])
  exit(r, 1)
  assert.equal(lines(r.stderr), [
    `${PREFIX} Error: 2_backfill.up.sql:7:1: division by zero`,
    '  SQLSTATE: 22012',
    '  2 statement(s) of this file were committed before the failure and stay in effect (its own COMMIT); the rest did not run or was rolled back, and nothing was recorded:',
    '    line 2: alter table orders add column paid boolean',
    '    line 4: insert into audit values (1)',
    '  To recover: finish or undo the rest of the file by hand, then record it with `link-migrate mark 2`; or undo the committed statements and run up again.',
  ])
  assert.equal(await records(d), ['1 1_orders'])
  const [row] = await d.sql<{ paid: boolean | null; total: number }[]>`select paid, total from orders`
  assert.equal({ ...row }, { paid: null, total: 10 }, 'the failed block was rolled back')

  // Until resolved, status and verify show it as partially applied: what is committed, and how to resolve it.
  const plain = args.slice(0, -1)
  const st = await runCli(['status', '--json', ...plain])
  exit(st, 0)
  const entry = (JSON.parse(st.stdout) as { migrations: { version: number; state: string; appliedAt: string | null; interrupted?: Record<string, unknown> }[] })
    .migrations.find((m) => m.version === 2)!
  assert.equal(
    { state: entry.state, appliedAt: entry.appliedAt, ...entry.interrupted, startedAt: undefined, updatedAt: undefined },
    {
      state: 'partial',
      appliedAt: null,
      direction: 'up',
      kind: 'own-transactions',
      file: '2_backfill.up.sql',
      statements: 8,
      ran: [{ statement: 2, line: 2 }, { statement: 4, line: 4 }],
      running: null,
      error: 'division by zero',
      startedAt: undefined,
      updatedAt: undefined,
    },
  )
  const text = await runCli(['status', ...plain])
  exit(text, 0)
  assert.ok(lines(text.stdout).some((l) => /^2\s+2_backfill\s+partially applied \(up: 2 statements committed\)\s*$/.test(l)), text.stdout)
  const why =
    '2_backfill is partially applied: its up file 2_backfill.up.sql runs its own transactions and stopped after an error (division by zero); ' +
    '2 statements committed (lines 2, 4). Finish or undo the rest by hand and record it with `link-migrate mark 2`, or undo the committed statements and run up again'
  assert.ok(lines(text.stdout).includes(`${PREFIX} Warning: ${why}`), text.stdout)
  const verify = await runCli(['verify', ...plain])
  exit(verify, 3)
  assert.ok(lines(verify.stdout + verify.stderr).includes(`${PREFIX} Error: 2_backfill.up.sql: ${why} [partially-applied]`), verify.stdout + verify.stderr)
  const vjson = await runCli(['verify', '--json', ...plain])
  exit(vjson, 3)
  assert.equal(
    (JSON.parse(vjson.stdout) as { findings: { kind: string; severity: string; version?: number }[] }).findings
      .filter((f) => f.severity === 'error')
      .map((f) => [f.kind, f.version]),
    [['partially-applied', 2]],
  )

  exit(await runCli(['mark', '2', ...plain]), 0)
  assert.equal(await records(d), ['1 1_orders', '2 2_backfill'])
  const after = await runCli(['verify', ...plain])
  exit(after, 0)
  const [left] = await d.sql<{ n: number }[]>`select count(*)::int as n from link_migrate_progress`
  assert.is(left!.n, 0, 'mark cleared the marker')
})

blocks('lint judges them as up runs them: errors by default, a note with --allow-transaction-control, MIGRATE_ALLOW_TRANSACTION_CONTROL=1 or the config file', async () => {
  type Lint = { ok: boolean; findings: { rule: string; severity: string; file: string; line: number }[] }
  const control = (doc: Lint) => doc.findings.filter((f) => f.rule === 'transaction-control').map((f) => `${f.file}:${f.line} ${f.severity}`)
  const dir = path.join(SETS, 'tx-blocks')
  const plain = await runCli(['lint', '--dir', dir, '--json'])
  exit(plain, 1)
  assert.equal(control(JSON.parse(plain.stdout) as Lint), [
    '2_backfill_order_totals.up.sql:3 error',
    '2_backfill_order_totals.up.sql:5 error',
    '2_backfill_order_totals.up.sql:7 error',
    '2_backfill_order_totals.up.sql:11 error',
    '2_backfill_order_totals.up.sql:13 error',
    '2_backfill_order_totals.up.sql:15 error',
    '3_order_status.up.sql:1 error',
    '3_order_status.up.sql:3 error',
    '3_order_status.up.sql:5 error',
    '3_order_status.up.sql:8 error',
  ])
  const notes = ['2_backfill_order_totals.up.sql:3 info', '3_order_status.up.sql:1 info']
  const flag = await runCli(['lint', '--dir', dir, '--json', '--allow-transaction-control'])
  assert.equal(control(JSON.parse(flag.stdout) as Lint), notes)
  const env = await runCli(['lint', '--dir', dir, '--json'], { env: { MIGRATE_ALLOW_TRANSACTION_CONTROL: '1' } })
  assert.equal(env.stdout, flag.stdout)
  // The text names the flag and what a failure half-way means.
  const text = await runCli(['lint', '--dir', dir, '--allow-transaction-control'])
  assert.ok(
    lines(text.stdout).some((l) => l.endsWith(
      `/3_order_status.up.sql:1:1  info  transaction-control  the file runs its own transactions (--allow-transaction-control): each block commits on its own, and a failure after one leaves the version partially applied until it is re-run or resolved with mark`,
    )),
    text.stdout,
  )
  // The config file's default, next to the files.
  const copy = await migrationsDir(Object.fromEntries(await Promise.all((await readdir(dir)).map(async (f) => [f, await readFile(path.join(dir, f), 'utf8')]))))
  await writeFile(path.join(copy, 'link-migrate.json'), JSON.stringify({ lint: { allowTransactionControl: true } }))
  const config = await runCli(['lint', '--dir', copy, '--json'])
  assert.equal(control(JSON.parse(config.stdout) as Lint), notes)
  // What is left is the SQL's own business (SET NOT NULL in the third block).
  assert.equal(
    (JSON.parse(config.stdout) as Lint).findings.filter((f) => f.severity === 'error').map((f) => `${f.file}:${f.line} ${f.rule}`),
    ['2_backfill_order_totals.up.sql:14 set-not-null'],
  )
  await writeFile(path.join(copy, 'link-migrate.json'), JSON.stringify({ lint: { allowTransactionControl: 'yes' } }))
  const bad = await runCli(['lint', '--dir', copy])
  exit(bad, 2)
  assert.match(bad.stderr, 'link-migrate.json: lint.allowTransactionControl must be true or false')
})

blocks.run()
