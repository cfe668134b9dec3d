/**
 * core/guards.ts: a run of GUARD_FUNCTION_FROM transactional migrations or
 * more guards each one with a temporary function created once on its
 * connection instead of a DO block. Every promise of the guard holds with
 * it, through the built CLI and the library against a real server: a step
 * another runner applied is skipped, a file raising the guard's SQLSTATE is
 * a failure, a lost or released lock stops the run before the next file, a
 * file that drops the session's temporary objects does not break the files
 * after it, a role without the TEMP privilege runs with DO blocks, and the
 * function does not stay behind on a caller's connection.
 */
import postgres from 'postgres'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { GUARD_FUNCTION_FROM } from '../../src/core/guards.js'
import { createMigrator } from '../../src/index.js'
import { closeAdmin, freshDatabase, type FreshDatabase } from '../helpers/db.js'
import { behindOtherRunner, sha } from '../helpers/migrator.js'
import { migrationsDir } from '../helpers/tmp.js'
import { eventually } from '../helpers/wait.js'
import { advisoryGate, failureOf, lines, readable, runTimed, show, terminateBackends } from '../guarantees/util.js'

const guards = suite("a long run's guard function")
const test = readable(guards)
const G: { db?: FreshDatabase } = {}
guards.before(async () => {
  G.db = await freshDatabase('core_guards')
})
guards.after(async () => {
  await G.db?.drop()
  await closeAdmin()
})

const COUNT = GUARD_FUNCTION_FROM + 4
const pad = (v: number) => String(v).padStart(3, '0')
const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1)

/** COUNT migrations creating `<prefix>_NNN`; `overrides` replaces some up files. */
function manyFiles(prefix: string, overrides: Record<number, string> = {}): Record<string, string> {
  const files: Record<string, string> = {}
  for (const v of upTo(COUNT)) {
    files[`${pad(v)}_m${pad(v)}.up.sql`] = overrides[v] ?? `create table ${prefix}_${pad(v)} (id int);\n`
    files[`${pad(v)}_m${pad(v)}.down.sql`] = `drop table ${prefix}_${pad(v)};\n`
  }
  return files
}

/** An up file that fails unless the guard function exists (`exists`) or not, on its own session. */
const expectFunction = (exists: boolean) =>
  `do $$ begin if ${exists ? 'not' : ''} exists (select 1 from pg_proc where pronamespace = pg_my_temp_schema() ` +
  `and proname like 'link\\_migrate\\_guard\\_%') then raise exception 'guard function: expected ${exists ? 'one' : 'none'}'; end if; end $$;\n`

const cli = (command: string, dir: string, service: string, extra: string[] = [], url = G.db!.url) =>
  runTimed([command, '--dir', dir, '--service', service, '--database-url', url, ...extra], { timeoutMs: 60_000 })

async function recorded(service: string): Promise<number[]> {
  const rows = await G.db!.sql<{ v: number }[]>`select version::int as v from migration_records where service = ${service} order by version, id`
  return rows.map((r) => r.v)
}

test('up and down of the whole set: each migration once, through the function (created and dropped once per run)', async () => {
  const dir = await migrationsDir(manyFiles('g_all', { 10: 'create table g_all_010 (id int);\n' + expectFunction(true) }))
  const up = await cli('up', dir, 'g-all')
  assert.is(up.code, 0, show(up))
  assert.is(lines(up, /Successfully applied migration/).length, COUNT, show(up))
  assert.equal(await recorded('g-all'), upTo(COUNT))
  const down = await cli('down', dir, 'g-all', ['--all', '--yes'])
  assert.is(down.code, 0, show(down))
  assert.equal(await recorded('g-all'), [])
  const [t] = await G.db!.sql<{ n: number }[]>`select count(*)::int as n from pg_tables where tablename like 'g\\_all\\_%'`
  assert.is(t!.n, 0)
})

test("the function writes each up's bookkeeping in its file's transaction: the same transaction as the file's rows, and gone with a file that fails at its last statement", async () => {
  const txFile = (v: number) => `create table g_tx_${pad(v)} (tx bigint);\ninsert into g_tx_${pad(v)} values (txid_current());\n`
  const overrides: Record<number, string> = {}
  for (const v of upTo(COUNT)) overrides[v] = txFile(v)
  const bad = COUNT - 1
  overrides[bad] = txFile(bad) + 'select 1 / 0;\n'
  const dir = await migrationsDir(manyFiles('g_tx', overrides))
  const r = await cli('up', dir, 'g-tx')
  assert.is(r.code, 1, show(r))
  assert.match(r.stderr, new RegExp(`${pad(bad)}_m${pad(bad)}\\.up\\.sql:3:\\d+: division by zero`), show(r))
  assert.equal(await recorded('g-tx'), upTo(bad - 1))
  const rows = await G.db!.sql<{ v: number; x: string }[]>`
    select version::int as v, xmin::text as x from migration_records where service = 'g-tx' order by version`
  for (const row of rows) {
    const [t] = await G.db!.sql.unsafe<{ tx: string }[]>(`select tx::text as tx from g_tx_${pad(row.v)}`)
    assert.is(t!.tx, row.x, `version ${row.v}: the record and the file's row come from one transaction`)
  }
  const [state] = await G.db!.sql<{ v: number; gone: boolean }[]>`
    select (select version::int from schema_versions where service = 'g-tx') as v, to_regclass(${`g_tx_${pad(bad)}`}) is null as gone`
  assert.equal(state, { v: bad - 1, gone: true })
})

test('a file raising the guard SQLSTATE itself is a failure, never "skipped"; the files before it stay applied', async () => {
  const forge = "create table g_forge_017 (id int);\ndo $$ begin raise exception 'gotcha' using errcode = 'LMA01'; end $$;\n"
  const dir = await migrationsDir(manyFiles('g_forge', { 17: forge }))
  const r = await cli('up', dir, 'g-forge')
  assert.is(r.code, 1, show(r))
  assert.equal(lines(r, /Skipped/), [], show(r))
  assert.match(r.stderr, /017_m017\.up\.sql: raised link-migrate's own guard error, but no other runner applied version 17/, show(r))
  assert.equal(await recorded('g-forge'), upTo(16))
})

test('pg_terminate_backend of the lock connection while 001 runs: 001 commits, no further file starts (exit 1, LOCK_LOST)', async () => {
  const g = await advisoryGate(G.db!.sql, 914001)
  const dir = await migrationsDir(manyFiles('g_lost', { 1: 'create table g_lost_001 (id int);\nselect pg_advisory_xact_lock(914001);\n' }))
  const run = cli('up', dir, 'g-lost')
  await g.waiting()
  assert.is(await terminateBackends(G.db!.sql, "application_name = 'link-migrate g-lost'"), 1)
  await g.open()
  const r = await run
  assert.is(r.code, 1, show(r))
  assert.match(r.stderr, /the migration lock of service g-lost was lost .*; 002_m002 and the migrations after it were not started/, show(r))
  assert.equal(await recorded('g-lost'), [1])
})

test('files that drop the session\'s temporary objects (DISCARD TEMP in a transaction, DISCARD ALL without one): the files after them still run, once', async () => {
  const dir = await migrationsDir(
    manyFiles('g_discard', {
      5: 'create table g_discard_005 (id int);\ndiscard temp;\n',
      // DISCARD ALL cannot run in a transaction: the file runs without one.
      9: 'discard all;\n',
    }),
  )
  const r = await cli('up', dir, 'g-discard')
  assert.is(r.code, 0, show(r))
  assert.equal(await recorded('g-discard'), upTo(COUNT))
})

test('a role without the TEMP privilege on the database: the run guards each migration with a DO block instead', async () => {
  const role = `lm_notemp_${G.db!.name.slice(-8)}`
  const sql = G.db!.sql
  await sql.unsafe(`create role ${role} login password 'notemp-pw'`)
  try {
    await sql.unsafe(`revoke temporary on database ${G.db!.name} from public`)
    await sql.unsafe(`grant usage, create on schema public to ${role}`)
    // The bookkeeping tables exist already (other tests of this database).
    await sql.unsafe(`grant all on all tables in schema public to ${role}; grant all on all sequences in schema public to ${role}`)
    const [p] = await sql<{ ok: boolean }[]>`select not has_database_privilege(${role}, current_database(), 'TEMP') as ok`
    assert.ok(p!.ok, 'the role must not have TEMP')
    const url = new URL(G.db!.url)
    url.username = role
    url.password = 'notemp-pw'
    const dir = await migrationsDir(manyFiles('g_notemp', { 10: expectFunction(false) }))
    const r = await cli('up', dir, 'g-notemp', [], url.toString())
    assert.is(r.code, 0, show(r))
    assert.equal(await recorded('g-notemp'), upTo(COUNT))
  } finally {
    await sql.unsafe(`grant temporary on database ${G.db!.name} to public`)
    await sql.unsafe(`drop owned by ${role}`)
    await sql.unsafe(`drop role ${role}`)
  }
})

test("library, a caller's pool of one: a file releasing the lock stops the run (LOCK_LOST); the function never stays on the connection", async () => {
  const dir = await migrationsDir(manyFiles('g_unlock', { 17: 'create table g_unlock_017 (id int);\nselect pg_advisory_unlock_all();\n' }))
  const sql = postgres(G.db!.url, { max: 1, onnotice: () => {} })
  const m = createMigrator({ dir, service: 'g-unlock', sql })
  const functions = async () => {
    const [r] = await sql<{ n: number }[]>`
      select count(*)::int as n from pg_proc where pronamespace = pg_my_temp_schema() and proname like 'link\\_migrate\\_guard\\_%'`
    return r!.n
  }
  try {
    const err = await failureOf(m.up())
    assert.ok(err, 'up must fail')
    assert.is(err!.code, 'LOCK_LOST')
    assert.match(err!.message!, /018_m018 and the migrations after it were not started/)
    assert.equal(err!.completed?.map((c) => c.version), upTo(17))
    await eventually(async () => (await functions()) === 0, 'the guard function dropped after the failed run')
    // The rest of the set is below the threshold: the next run guards it with DO blocks.
    const again = await m.up()
    assert.equal(again.results.map((x) => x.version), [18, 19, 20])
    assert.equal(await recorded('g-unlock'), upTo(COUNT))
  } finally {
    await m.close()
    await sql.end({ timeout: 5 })
  }
})

test('library: a step another runner applied while this run waited on it is skipped, the rest applied once', async () => {
  const files = manyFiles('g_skip')
  const dir = await migrationsDir(files)
  const m = createMigrator({ dir, service: 'g-skip', url: G.db!.url })
  const other = postgres(G.db!.url, { max: 1, onnotice: () => {} })
  try {
    await m.markTo(0) // creates the bookkeeping tables, marks nothing
    const up1 = files['001_m001.up.sql']!
    const r = await behindOtherRunner(
      other,
      G.db!.sql,
      'g-skip',
      async (t) => {
        await t.unsafe(up1)
        await t`insert into migration_records (service, version, name, checksum) values ('g-skip', 1, '001_m001', ${sha(up1)})`
      },
      () => m.up(),
      'up()',
    )
    assert.equal(
      r.results.map((x) => `${x.version} ${x.status}`),
      upTo(COUNT).map((v) => `${v} ${v === 1 ? 'skipped' : 'applied'}`),
    )
    assert.equal(await recorded('g-skip'), upTo(COUNT))
  } finally {
    await other.end({ timeout: 5 })
    await m.close()
  }
})

guards.run()
