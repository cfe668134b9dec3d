// Issue 13 point 8: a file that runs without a transaction, statement by
// statement (CREATE INDEX CONCURRENTLY), killed half-way (SIGKILL of the
// CLI), up or down, leaves a progress marker: status and verify report the
// version as interrupted and which statements ran (text and --json), verify
// exits 3, and the next up / down runs the file again safely (the INVALID
// index the killed CREATE INDEX CONCURRENTLY left is dropped first).
//
// The CLI is killed while a statement waits behind a gate (an advisory lock
// the test holds), seen in pg_stat_activity: the test orders events, it does
// not race a sleep.
import type { ChildProcess } from 'node:child_process'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createMigrator, type Interruption } from '../../src/index.js'
import { spawnCli } from '../helpers/cli.js'
import { closeAdmin, freshDatabase, type FreshDatabase } from '../helpers/db.js'
import { migrationsDir } from '../helpers/tmp.js'
import { failureOf, readable, runTimed, show, waitFor } from './util.js'

const test = suite('interrupted no-transaction files: visible in status and verify, resumed by the next run')
const it = readable(test)
const GATE = 7_130_813
const SERVICE = 'gate-svc'
const PREFIX = `[${SERVICE}-migrations]`
const TS = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`

const databases: FreshDatabase[] = []
test.after(async () => {
  await Promise.all(databases.map((d) => d.drop().catch(() => undefined)))
  await closeAdmin()
})

/**
 * 001 makes a table whose index expression waits behind the gate; 002 runs
 * without a transaction: one index, the gated index, another index. Its
 * down drops them, the gate between the first and the last.
 */
const FILES = {
  '001_items.up.sql': [
    'create table items (id int primary key, a int, b int, c int);',
    'insert into items select g, g, g, g from generate_series(1, 3) g;',
    `create function lm_gate(i int) returns int language plpgsql immutable as $$ begin perform pg_advisory_xact_lock_shared(${GATE}); return i; end $$;`,
    '',
  ].join('\n'),
  '001_items.down.sql': 'drop table items;\ndrop function lm_gate(int);\n',
  '002_items_indexes.up.sql': [
    'create index concurrently if not exists items_a_idx on items (a);',
    'create index concurrently if not exists items_gate_idx on items (lm_gate(b));',
    'create index concurrently if not exists items_c_idx on items (c);',
    '',
  ].join('\n'),
  '002_items_indexes.down.sql': [
    'drop index concurrently if exists items_c_idx;',
    `select pg_advisory_xact_lock_shared(${GATE});`,
    'drop index concurrently if exists items_gate_idx;',
    'drop index concurrently if exists items_a_idx;',
    '',
  ].join('\n'),
}

interface Entry {
  version: number
  name: string
  state: string
  appliedAt: string | null
  interrupted?: Interruption
}

async function setup() {
  const db = await freshDatabase('interrupted')
  databases.push(db)
  const dir = await migrationsDir(FILES)
  const args = (cmd: string, ...rest: string[]) => [cmd, '--dir', dir, '--service', SERVICE, '--database-url', db.url, ...rest]
  const cli = (cmd: string, ...rest: string[]) => runTimed(args(cmd, ...rest), { timeoutMs: 120_000 })
  return { db, dir, args, cli }
}

/**
 * Runs `argv` with the gate closed, waits until a statement of it waits
 * behind the gate (`query` matches), SIGKILLs the CLI, then ends the server
 * session that still waits (as a restart or a tcp keepalive would) and
 * opens the gate.
 */
async function killAtGate(db: FreshDatabase, argv: string[], query: string): Promise<void> {
  const gate = await db.sql.reserve()
  let child: ChildProcess | undefined
  try {
    await gate`select pg_advisory_lock(${GATE})`
    child = spawnCli(argv)
    let output = ''
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (output += d))
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (output += d))
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child!.on('close', (code, signal) => resolve(signal ?? code)))
    const pid = await waitFor(
      `a statement of ${argv[0]} waiting behind the gate (${query})`,
      async () => {
        const [row] = await db.sql<{ pid: number }[]>`
          select pid from pg_stat_activity
           where datname = current_database() and wait_event_type = 'Lock' and query ilike ${'%' + query + '%'} and pid <> pg_backend_pid()`
        return row?.pid
      },
      60_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n--- CLI output so far\n${output}`)
    })
    child.kill('SIGKILL')
    assert.is(await exited, 'SIGKILL')
    await db.sql`select pg_terminate_backend(${pid})`
    await waitFor('the killed run to leave the server', async () => {
      const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from pg_stat_activity where pid = ${pid}`
      return row!.n === 0
    })
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await gate`select pg_advisory_unlock(${GATE})`.catch(() => undefined)
    gate.release()
  }
}

async function records(db: FreshDatabase): Promise<string[]> {
  const rows = await db.sql<{ v: number; name: string }[]>`select version::int as v, name from migration_records where service = ${SERVICE} order by version`
  return rows.map((r) => `${r.v} ${r.name}`)
}

async function markers(db: FreshDatabase): Promise<string[]> {
  const rows = await db.sql<{ v: number; d: string; ran: number[]; running: number | null }[]>`
    select version::int as v, direction as d, ran, running from link_migrate_progress where service = ${SERVICE} order by version`
  return rows.map((r) => `${r.v} ${r.d} ran=${r.ran.join(',')} running=${r.running ?? '-'}`)
}

it('up killed inside CREATE INDEX CONCURRENTLY: status and verify say interrupted (which statements ran), verify exits 3, up drops the INVALID index and finishes', async () => {
  const { db, args, cli } = await setup()
  const first = await cli('up', '--to', '1')
  assert.is(first.code, 0, show(first))
  await killAtGate(db, args('up'), 'items_gate_idx')

  assert.equal(await records(db), ['1 001_items'], 'nothing recorded for 002')
  assert.equal(await markers(db), ['2 up ran=1 running=2'])

  // status, text: the state cell, then what ran and what to do.
  const status = await cli('status')
  assert.is(status.code, 0, show(status))
  const out = status.stdout.split('\n')
  assert.ok(out.includes('Pending: 1'), show(status))
  assert.ok(
    out.some((l) => /^2\s+002_items_indexes\s+interrupted \(up: 1 of 3 statements ran, statement 2 was running\)\s*$/.test(l)),
    show(status),
  )
  assert.ok(
    out.includes(
      `${PREFIX} Warning: 002_items_indexes: the up file 002_items_indexes.up.sql (no transaction) stopped half-way (the process was stopped): ` +
        '1 of 3 statements took effect (line 1); statement 2 (line 2) was running and may have taken effect. ' +
        'Run up again: the file runs again from its first statement (INVALID indexes it creates are dropped first)',
    ),
    show(status),
  )
  assert.ok(out.includes(`${PREFIX} Warning: index items_gate_idx is INVALID (a CREATE INDEX CONCURRENTLY failed); the next up drops and rebuilds it`), show(status))

  // status --json: the entry carries what ran.
  const json = await cli('status', '--json')
  assert.is(json.code, 0, show(json))
  const doc = JSON.parse(json.stdout) as { pending: number; migrations: Entry[]; invalidIndexes: string[] }
  const entry = doc.migrations.find((m) => m.version === 2)!
  assert.match(entry.interrupted!.startedAt, new RegExp(`^${TS}$`))
  assert.match(entry.interrupted!.updatedAt, new RegExp(`^${TS}$`))
  assert.equal(
    { ...entry, checksum: undefined, hasDown: undefined, interrupted: { ...entry.interrupted, startedAt: '', updatedAt: '' } },
    {
      version: 2,
      name: '002_items_indexes',
      state: 'interrupted',
      appliedAt: null,
      checksum: undefined,
      hasDown: undefined,
      interrupted: {
        direction: 'up',
        kind: 'no-transaction',
        file: '002_items_indexes.up.sql',
        statements: 3,
        ran: [{ statement: 1, line: 1 }],
        running: { statement: 2, line: 2 },
        error: null,
        startedAt: '',
        updatedAt: '',
      },
    },
  )
  assert.is(doc.pending, 1)
  assert.equal(doc.invalidIndexes, ['items_gate_idx'])

  // verify: exit 3, the finding named `interrupted`, text and --json.
  const verify = await cli('verify')
  assert.is(verify.code, 3, show(verify))
  assert.match(verify.stdout + verify.stderr, /Error: 002_items_indexes\.up\.sql: 002_items_indexes: the up file .* stopped half-way .* \[interrupted\]/)
  const vjson = await cli('verify', '--json')
  assert.is(vjson.code, 3, show(vjson))
  const findings = (JSON.parse(vjson.stdout) as { ok: boolean; findings: { kind: string; version?: number; file?: string }[] }).findings
  assert.equal(
    findings.filter((f) => f.kind === 'interrupted').map((f) => ({ kind: f.kind, version: f.version, file: f.file })),
    [{ kind: 'interrupted', version: 2, file: '002_items_indexes.up.sql' }],
  )

  // The next up: says it runs the file again, drops the INVALID index first, finishes.
  const again = await cli('up')
  assert.is(again.code, 0, show(again))
  const text = again.stdout + again.stderr
  assert.match(text, /002_items_indexes: an earlier up stopped half-way \(2 of 3 statements may have run\); running 002_items_indexes\.up\.sql again from its first statement/)
  assert.match(text, /dropping INVALID index items_gate_idx left by an earlier failed run of 002_items_indexes\.up\.sql/)
  assert.equal(await records(db), ['1 001_items', '2 002_items_indexes'])
  assert.equal(await markers(db), [], 'the marker went with the bookkeeping')
  const [valid] = await db.sql<{ n: number }[]>`
    select count(*)::int as n from pg_index where indexrelid::regclass::text in ('items_a_idx', 'items_gate_idx', 'items_c_idx') and indisvalid`
  assert.is(valid!.n, 3)
  const clean = await cli('verify')
  assert.is(clean.code, 0, show(clean))
})

it('down killed half-way: the version stays applied and shows as interrupted (down); verify exits 3; the next down finishes it', async () => {
  const { db, args, cli } = await setup()
  const first = await cli('up')
  assert.is(first.code, 0, show(first))
  await killAtGate(db, args('down'), `pg_advisory_xact_lock_shared(${GATE})`)

  assert.equal(await records(db), ['1 001_items', '2 002_items_indexes'], 'still recorded')
  assert.equal(await markers(db), ['2 down ran=1 running=2'])

  const json = await cli('status', '--json')
  const doc = JSON.parse(json.stdout) as { currentVersion: number; pending: number; migrations: Entry[] }
  const entry = doc.migrations.find((m) => m.version === 2)!
  assert.equal(
    { state: entry.state, applied: entry.appliedAt !== null, current: doc.currentVersion, pending: doc.pending },
    { state: 'interrupted', applied: true, current: 2, pending: 0 },
  )
  assert.equal(
    { direction: entry.interrupted!.direction, file: entry.interrupted!.file, statements: entry.interrupted!.statements, ran: entry.interrupted!.ran, running: entry.interrupted!.running },
    { direction: 'down', file: '002_items_indexes.down.sql', statements: 4, ran: [{ statement: 1, line: 1 }], running: { statement: 2, line: 2 } },
  )
  const status = await cli('status')
  assert.ok(status.stdout.split('\n').some((l) => /^2\s+002_items_indexes\s+interrupted \(down: 1 of 4 statements ran, statement 2 was running\)\s+\d{4}-/.test(l)), show(status))

  const verify = await cli('verify', '--json')
  assert.is(verify.code, 3, show(verify))
  const findings = (JSON.parse(verify.stdout) as { findings: { kind: string; version?: number; message: string }[] }).findings
  assert.equal(findings.map((f) => [f.kind, f.version]), [['interrupted', 2]])
  assert.match(findings[0]!.message, /the down file 002_items_indexes\.down\.sql \(no transaction\) stopped half-way .* Run down again/)

  // up has nothing to do for it, and says so.
  const up = await cli('up')
  assert.is(up.code, 0, show(up))
  assert.match(up.stdout + up.stderr, /Run down again/)

  const down = await cli('down')
  assert.is(down.code, 0, show(down))
  assert.match(down.stdout + down.stderr, /an earlier down stopped half-way \(2 of 4 statements may have run\); running 002_items_indexes\.down\.sql again/)
  assert.equal(await records(db), ['1 001_items'])
  assert.equal(await markers(db), [])
  const [left] = await db.sql<{ n: number }[]>`select count(*)::int as n from pg_class where relname like 'items\_%\_idx'`
  assert.is(left!.n, 0)
  assert.is((await cli('verify')).code, 0)
})

it('a marker is resolved by mark: mark V records it and clears the marker; status and verify are clean', async () => {
  const { db, args, cli } = await setup()
  assert.is((await cli('up', '--to', '1')).code, 0)
  await killAtGate(db, args('up'), 'items_gate_idx')
  assert.equal(await markers(db), ['2 up ran=1 running=2'])
  // Finished by hand, then recorded.
  await db.sql.unsafe('drop index if exists items_gate_idx; create index items_gate_idx on items (lm_gate(b)); create index items_c_idx on items (c)')
  const mark = await cli('mark', '2')
  assert.is(mark.code, 0, show(mark))
  assert.equal(await records(db), ['1 001_items', '2 002_items_indexes'])
  assert.equal(await markers(db), [])
  const verify = await cli('verify')
  assert.is(verify.code, 0, show(verify))
})

it('a file with its own transactions killed between two blocks: partial, with the committed block; mark resolves it', async () => {
  const db = await freshDatabase('interrupted_blocks')
  databases.push(db)
  const dir = await migrationsDir({
    '001_t.up.sql': 'create table t (a int);\n',
    '002_fill.up.sql': ['begin;', 'insert into t values (1);', 'commit;', `select pg_advisory_xact_lock_shared(${GATE});`, 'begin;', 'insert into t values (2);', 'commit;', ''].join('\n'),
  })
  const args = (cmd: string, ...rest: string[]) => [cmd, '--dir', dir, '--service', SERVICE, '--database-url', db.url, ...rest]
  await killAtGate(db, args('up', '--allow-transaction-control'), `pg_advisory_xact_lock_shared(${GATE})`)
  assert.equal(await records(db), ['1 001_t'])
  assert.equal(await markers(db), ['2 up ran=2 running=4'])
  const [rows] = await db.sql<{ n: number }[]>`select count(*)::int as n from t`
  assert.is(rows!.n, 1, 'the first block committed, the second never ran')

  const status = await runTimed(args('status', '--json'))
  assert.is(status.code, 0, show(status))
  const entry = (JSON.parse(status.stdout) as { migrations: Entry[] }).migrations.find((m) => m.version === 2)!
  assert.equal(
    { state: entry.state, kind: entry.interrupted!.kind, ran: entry.interrupted!.ran, running: entry.interrupted!.running, error: entry.interrupted!.error },
    { state: 'partial', kind: 'own-transactions', ran: [{ statement: 2, line: 2 }], running: { statement: 4, line: 4 }, error: null },
  )
  const verify = await runTimed(args('verify'))
  assert.is(verify.code, 3, show(verify))
  assert.match(
    verify.stdout + verify.stderr,
    /002_fill is partially applied: its up file 002_fill\.up\.sql runs its own transactions and stopped \(the process was stopped\); 1 statement committed \(line 2\); statement 4 \(line 4\) was running and may have taken effect\. .*link-migrate mark 2.* \[partially-applied\]/,
  )
  // Finished by hand, then recorded: the marker goes with the record.
  await db.sql`insert into t values (2)`
  assert.is((await runTimed(args('mark', '2'))).code, 0)
  assert.equal(await records(db), ['1 001_t', '2 002_fill'])
  assert.equal(await markers(db), [])
})

it('the library API: status() and verify() carry the interruption of a failed run; up() runs it again and clears it', async () => {
  const db = await freshDatabase('interrupted_lib')
  databases.push(db)
  const dir = await migrationsDir({
    '001_t.up.sql': 'create table t (a int);\n',
    '002_idx.up.sql': 'create index concurrently if not exists t_a_idx on t (a);\ncreate index concurrently if not exists u_a_idx on u (a);\n',
  })
  const m = createMigrator({ dir, service: SERVICE, url: db.url })
  try {
    const failed = await failureOf(m.up())
    assert.is(failed?.code, 'MIGRATION_FAILED')
    const status = await m.status()
    const entry = status.migrations.find((e) => e.version === 2)!
    assert.is(entry.state, 'interrupted')
    assert.equal(
      { ...entry.interrupted!, startedAt: '', updatedAt: '', error: entry.interrupted!.error?.replace(/:.*/, '') },
      { direction: 'up', kind: 'no-transaction', file: '002_idx.up.sql', statements: 2, ran: [{ statement: 1, line: 1 }], running: null, error: '002_idx.up.sql', startedAt: '', updatedAt: '' },
    )
    assert.match(entry.interrupted!.error!, /relation "u" does not exist/)
    const verify = await m.verify()
    assert.is(verify.ok, false)
    assert.equal(verify.findings.map((f) => [f.kind, f.version]), [
      ['interrupted', 2],
      ['missing-down', 1],
      ['missing-down', 2],
    ])
    await db.sql`create table u (a int)`
    const again = await m.up()
    assert.equal(again.results.map((r) => [r.version, r.status]), [[2, 'applied']])
    assert.is((await m.status()).migrations.find((e) => e.version === 2)!.state, 'applied')
    assert.equal(await markers(db), [])
  } finally {
    await m.close()
  }
})

test.run()
