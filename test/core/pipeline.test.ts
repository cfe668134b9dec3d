/**
 * Several migrations in one pipeline (issue 20 goal 3), end to end through
 * the built CLI against a real server: the next migrations are sent while
 * one runs, each in its own transaction with its guard and bookkeeping. A
 * failure in the middle of such a batch (a statement, or the COMMIT itself)
 * leaves nothing of the migrations sent behind it, names the failing file at
 * its line, and a second `up` applies the rest exactly once. The same for
 * `down`, and for a `--timeout` cancel in the middle. Each with 10
 * migrations (each guard a DO block) and with 20 (the run's guard function,
 * core/guards.ts).
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { GUARD_FUNCTION_FROM } from '../../src/core/guards.js'
import { runCli, type CliResult } from '../helpers/cli.js'
import { closeAdmin, freshDatabase, type FreshDatabase } from '../helpers/db.js'
import { migrationsDir } from '../helpers/tmp.js'

const SERVICE = 'pipeline-svc'

const databases: FreshDatabase[] = []

async function db(): Promise<FreshDatabase> {
  const d = await freshDatabase('core_pipeline')
  databases.push(d)
  return d
}

function cli(command: string, dir: string, d: FreshDatabase, ...args: string[]): Promise<CliResult> {
  return runCli([command, '--dir', dir, '--service', SERVICE, '--database-url', d.url, ...args])
}

function exit(r: CliResult, code: number): void {
  assert.is(r.code, code, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`)
}

/** Recorded versions, oldest first (each once). */
async function records(d: FreshDatabase): Promise<number[]> {
  const rows = await d.sql<{ v: number }[]>`select version::int as v from migration_records where service = ${SERVICE} order by version, id`
  return rows.map((r) => r.v)
}

/** The version schema_versions holds for the service. */
async function current(d: FreshDatabase): Promise<number | undefined> {
  const [row] = await d.sql<{ v: number }[]>`select version::int as v from schema_versions where service = ${SERVICE}`
  return row?.v
}

/** Tables named `p_*` in public, sorted. */
async function tables(d: FreshDatabase): Promise<string[]> {
  const rows = await d.sql<{ name: string }[]>`select tablename as name from pg_tables where schemaname = 'public' and tablename like 'p\\_%' order by 1`
  return rows.map((r) => r.name)
}

/** The `error` object of an --json run's error line. */
function jsonError(stdout: string): Record<string, unknown> & { completed: { version: number; status: string }[] } {
  const events = stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { type: string; error?: Record<string, unknown> })
  return events.find((e) => e.type === 'error')!.error as ReturnType<typeof jsonError>
}

/** `count` small migrations, 001.., each creating table p_NNN (two statements each). */
function someFiles(count: number, overrides: Record<number, string> = {}): Record<string, string> {
  const files: Record<string, string> = {}
  for (let v = 1; v <= count; v++) {
    const n = String(v).padStart(3, '0')
    files[`${n}_m${n}.up.sql`] = overrides[v] ?? `create table p_${n} (id int);\ninsert into p_${n} values (${v});\n`
    files[`${n}_m${n}.down.sql`] = `drop table p_${n};\n`
  }
  return files
}

const pipeline = suite('several migrations in one pipeline')
pipeline.after(async () => {
  await Promise.all(databases.splice(0).map((d) => d.drop().catch(() => undefined)))
  await closeAdmin()
})

const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1)

for (const count of [10, 20]) {
  const label = count >= GUARD_FUNCTION_FROM ? `${count} migrations, the run's guard function` : `${count} migrations, DO-block guards`
  pipeline(`a statement failing in the middle of a batch: its file:line:col, nothing after it applied, records match; the next up applies the rest once (${label})`, async () => {
    const d = await db()
    // 004's second statement fails; 005..010 were sent behind it.
    const dir = await migrationsDir(someFiles(count, { 4: 'create table p_004 (id int);\ninsert into p_missing values (1);\n' }))
    const r = await cli('up', dir, d, '--json')
    exit(r, 1)
    const error = jsonError(r.stdout)
    assert.equal(
      { ...error, completed: error.completed.map((c) => `${c.version} ${c.status}`) },
      {
        code: 'MIGRATION_FAILED',
        message: '004_m004.up.sql:2:13: relation "p_missing" does not exist',
        details: ['2 | insert into p_missing values (1);', '  |             ^', 'SQLSTATE: 42P01'],
        file: '004_m004.up.sql',
        line: 2,
        column: 13,
        sqlState: '42P01',
        statement: 2,
        completed: ['1 applied', '2 applied', '3 applied'],
      },
    )
    assert.equal(await records(d), [1, 2, 3])
    assert.is(await current(d), 3)
    // 004 rolled back whole (its first statement too); nothing sent after it ran.
    assert.equal(await tables(d), ['p_001', 'p_002', 'p_003'])

    const fixed = await migrationsDir(someFiles(count))
    const again = await cli('up', fixed, d)
    exit(again, 0)
    assert.equal(await records(d), upTo(count))
    assert.is(await current(d), count)
    const [rows] = await d.sql<{ n: number }[]>`select (select count(*) from p_004) + (select count(*) from ${d.sql(`p_${String(count).padStart(3, '0')}`)}) as n`
    assert.is(Number(rows!.n), 2)
  })

  pipeline(`a migration failing at its COMMIT (a deferred constraint): the ones sent behind it, which the server would start afresh, are stopped by their guard (${label})`, async () => {
    const d = await db()
    const dir = await migrationsDir(
      someFiles(count, {
        1: 'create table p_001 (id int primary key);\ncreate table p_child (parent int references p_001 deferrable initially deferred);\n',
        // Accepted statement by statement; refused by the deferred check at COMMIT.
        5: 'create table p_005 (id int);\ninsert into p_child values (42);\n',
      }),
    )
    const r = await cli('up', dir, d, '--json')
    exit(r, 1)
    const error = jsonError(r.stdout)
    assert.is(error.code, 'MIGRATION_FAILED')
    assert.is(error.file, '005_m005.up.sql')
    assert.is(error.sqlState, '23503')
    assert.match(String(error.message), /^005_m005\.up\.sql:\d+:\d+: .*foreign key/)
    assert.equal(error.completed.map((c) => c.version), [1, 2, 3, 4])
    assert.equal(await records(d), [1, 2, 3, 4])
    assert.is(await current(d), 4)
    assert.equal(await tables(d), ['p_001', 'p_002', 'p_003', 'p_004', 'p_child'])
  })

  pipeline(`down of several in one pipeline: a failure in the middle keeps every migration before it rolled back and every one after it applied (${label})`, async () => {
    const d = await db()
    const files = someFiles(count)
    // 007's down fails; 006..001 would be sent behind it.
    files['007_m007.down.sql'] = 'drop table p_007;\ndrop table p_nothing;\n'
    const dir = await migrationsDir(files)
    exit(await cli('up', dir, d), 0)
    const r = await cli('down', dir, d, '--all', '--yes', '--json')
    exit(r, 1)
    const error = jsonError(r.stdout)
    assert.equal(
      { file: error.file, line: error.line, sqlState: error.sqlState, completed: error.completed.map((c) => `${c.version} ${c.status}`) },
      { file: '007_m007.down.sql', line: 2, sqlState: '42P01', completed: upTo(count).slice(7).reverse().map((v) => `${v} rolled-back`) },
    )
    assert.equal(await records(d), [1, 2, 3, 4, 5, 6, 7])
    assert.is(await current(d), 7)
    assert.equal(await tables(d), ['p_001', 'p_002', 'p_003', 'p_004', 'p_005', 'p_006', 'p_007'])
  })

  pipeline(`--timeout cancels the migration running in a batch: it is rolled back, the ones behind it never run (${label})`, async () => {
    const d = await db()
    const dir = await migrationsDir(someFiles(count, { 3: 'create table p_003 (id int);\nselect pg_sleep(30);\n' }))
    const r = await cli('up', dir, d, '--timeout', '1s')
    exit(r, 1)
    assert.match(r.stderr, /003_m003\.up\.sql: cancelled after 1s \(--timeout\); the migration was rolled back/)
    assert.equal(await records(d), [1, 2])
    assert.equal(await tables(d), ['p_001', 'p_002'])
  })
}

pipeline.run()
