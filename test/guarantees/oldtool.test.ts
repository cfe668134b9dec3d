// SPEC 4: a database the old Go/GORM tool migrated. Its two tables are used
// as they are (no column changed), its records count (with a GORM-era
// duplicate row), the unique index is added only when the data allows, and
// --tracking-schema puts the tables elsewhere. With the BUILT CLI, on the
// discovery-svc fixtures (001..006; 007 is CREATE INDEX CONCURRENTLY).
import { createHash } from 'node:crypto'
import { copyFile, readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { adminSql, closeAdmin, freshDatabase, type FreshDatabase } from '../helpers/db.js'
import { tmpDir } from '../helpers/tmp.js'
import { lines, readable, runTimed, show, withoutTimes } from './util.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const FIXTURES = path.join(ROOT, 'fixtures', 'discovery-svc', 'migrations')
const SERVICE = 'discovery-svc'

/** SPEC 4, word for word: the old tool's tables (no unique index). */
const OLD_TABLES = `
CREATE TABLE migration_records (
    id SERIAL PRIMARY KEY,
    service VARCHAR NOT NULL,
    version INTEGER NOT NULL,
    name VARCHAR NOT NULL,            -- file stem without direction: 001_create_users
    applied_at TIMESTAMP NOT NULL DEFAULT NOW(),
    checksum VARCHAR NOT NULL         -- section 3
);
CREATE TABLE schema_versions (
    service VARCHAR PRIMARY KEY,
    version INTEGER NOT NULL,         -- highest applied version of the service
    applied_at TIMESTAMP NOT NULL DEFAULT NOW(),
    description VARCHAR               -- stem of that migration
);
`

const STEMS = [
  '001_enable_uuid_ossp',
  '002_create_providers',
  '003_create_listings',
  '004_add_availability_columns',
  '005_2.10.0_schema',
  '006_add_listing_search_document',
]

/** SPEC 3's checksum, computed here independently of src/. */
const checksumOf = (text: string) => createHash('sha256').update(text.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n'), 'utf8').digest('hex')

/** discovery-svc/migrations with 001..006 (a `discovery-svc` dir, so the service name also derives from it). */
async function discoveryDir(): Promise<string> {
  const dir = path.join(await tmpDir('lm-oldtool-'), SERVICE, 'migrations')
  const { mkdir } = await import('node:fs/promises')
  await mkdir(dir, { recursive: true })
  for (const f of await readdir(FIXTURES)) {
    if (STEMS.some((s) => f.startsWith(s + '.'))) await copyFile(path.join(FIXTURES, f), path.join(dir, f))
  }
  return dir
}

const upSql = (stem: string) => readFile(path.join(FIXTURES, `${stem}.up.sql`), 'utf8')

/**
 * A database as the old tool left it after versions 1..3: their SQL run, its
 * tables, its records (with `duplicate` recorded twice), and schema_versions.
 */
async function oldToolDatabase(db: FreshDatabase, duplicate?: number): Promise<void> {
  const sql = db.sql
  await sql.unsafe(OLD_TABLES)
  for (const [i, stem] of STEMS.slice(0, 3).entries()) {
    const text = await upSql(stem)
    await sql.unsafe(text)
    const times = duplicate === i + 1 ? 2 : 1
    for (let k = 0; k < times; k++) {
      await sql`insert into migration_records (service, version, name, applied_at, checksum)
                values (${SERVICE}, ${i + 1}, ${stem}, ${`2024-01-0${i + 1} 10:0${k}:00`}, ${checksumOf(text)})`
    }
  }
  await sql`insert into schema_versions (service, version, applied_at, description)
            values (${SERVICE}, 3, '2024-01-03 10:00:00', '003_create_listings')`
}

async function columns(db: FreshDatabase, schema = 'public') {
  return [
    ...(await db.sql`
      select table_name, ordinal_position, column_name, data_type, character_maximum_length, is_nullable, column_default
        from information_schema.columns
       where table_schema = ${schema} and table_name in ('migration_records', 'schema_versions')
       order by table_name, ordinal_position`),
  ].map((r) => ({ ...r }))
}

async function indexes(db: FreshDatabase, schema = 'public') {
  return [
    ...(await db.sql<{ indexname: string; indexdef: string }[]>`
      select indexname, indexdef from pg_indexes
       where schemaname = ${schema} and tablename in ('migration_records', 'schema_versions') order by indexname`),
  ].map((r) => `${r.indexname}: ${r.indexdef}`)
}

async function records(db: FreshDatabase) {
  return [
    ...(await db.sql<{ id: number; version: number; name: string; applied_at: Date }[]>`
      select id, version, name, applied_at from migration_records where service = ${SERVICE} order by id`),
  ].map((r) => ({ id: r.id, version: r.version, name: r.name, applied_at: r.applied_at.toISOString() }))
}

async function schemaVersion(db: FreshDatabase) {
  return [...(await db.sql`select service, version, description from schema_versions order by service`)].map((r) => ({ ...r }))
}

/** A TIMESTAMP (no time zone) as postgres.js reads it, in the local time zone of the reader. */
const local = (ts: string) => new Date(ts.replace(' ', 'T')).toISOString()

const UNIQUE = 'migration_records_service_version_key: CREATE UNIQUE INDEX migration_records_service_version_key ON public.migration_records USING btree (service, version)'

// ======================================================= with a duplicate row

const dupSuite = suite('an old-tool database with a duplicate record')
const dup = readable(dupSuite)
const D: { db?: FreshDatabase; dir?: string; cols?: unknown; idx?: string[] } = {}
dupSuite.before(async () => {
  D.db = await freshDatabase('oldtool_dup')
  D.dir = await discoveryDir()
  await oldToolDatabase(D.db, 2)
  D.cols = await columns(D.db)
  D.idx = await indexes(D.db)
})
dupSuite.after(async () => {
  await D.db?.drop()
})
const cli = (db: FreshDatabase, ...args: string[]) => runTimed([...args, '--dir', D.dir!, '--database-url', db.url])

dup('status shows 1..3 applied and 4..6 pending, and writes nothing', async () => {
  const r = await cli(D.db!, 'status', '--json')
  assert.is(r.code, 0, show(r))
  const st = JSON.parse(r.stdout) as { service: string; currentVersion: number; pending: number; migrations: { version: number; name: string; state: string; appliedAt: string | null; checksum: string }[] }
  assert.is(st.service, SERVICE)
  assert.is(st.currentVersion, 3)
  assert.is(st.pending, 3)
  assert.equal(
    st.migrations.map((m) => [m.version, m.name, m.state, m.appliedAt]),
    [
      [1, STEMS[0], 'applied', local('2024-01-01 10:00:00')],
      [2, STEMS[1], 'applied', local('2024-01-02 10:00:00')],
      [3, STEMS[2], 'applied', local('2024-01-03 10:00:00')],
      [4, STEMS[3], 'pending', null],
      [5, STEMS[4], 'pending', null],
      [6, STEMS[5], 'pending', null],
    ],
  )
  for (const m of st.migrations) assert.is(m.checksum, checksumOf(await upSql(m.name)), `checksum of ${m.name}`)
  const all = await cli(D.db!, 'status', '--all', '--json')
  assert.is(all.code, 0, show(all))
  const services = (JSON.parse(all.stdout) as { services: { service: string; version: number; applied: number; description: string }[] }).services
  assert.equal(
    services.map((x) => [x.service, x.version, x.applied, x.description]),
    [[SERVICE, 3, 3, '003_create_listings']],
    'the duplicate row counts once',
  )
  const human = await cli(D.db!, 'status')
  assert.is(human.code, 0, show(human))
  assert.match(human.stdout, /Current version: 3/)
  assert.match(human.stdout, /Pending: 3/)
  assert.equal(await indexes(D.db!), D.idx)
})

dup('verify reports the duplicate record (a warning, not a failure)', async () => {
  const r = await cli(D.db!, 'verify', '--json')
  assert.is(r.code, 0, show(r))
  const v = JSON.parse(r.stdout) as { ok: boolean; findings: { kind: string; severity: string; version?: number }[] }
  assert.is(v.ok, true)
  assert.equal(
    v.findings.map((f) => [f.kind, f.severity, f.version]),
    [['duplicate-record', 'warning', 2]],
  )
})

dup('up continues from 4; the tables keep their columns; no unique index while the duplicate exists', async () => {
  const before = await records(D.db!)
  const r = await cli(D.db!, 'up')
  assert.is(r.code, 0, show(r))
  assert.equal(
    r.stdout.trim().split('\n').map(withoutTimes),
    [
      `[${SERVICE}-migrations] Starting migration up for service: ${SERVICE}`,
      `[${SERVICE}-migrations] Found 3 pending migrations`,
      `[${SERVICE}-migrations] Successfully applied migration 004_add_availability_columns`,
      `[${SERVICE}-migrations] Successfully applied migration 005_2.10.0_schema`,
      `[${SERVICE}-migrations] Successfully applied migration 006_add_listing_search_document`,
      `[${SERVICE}-migrations] All migrations completed successfully`,
    ],
    show(r),
  )
  assert.equal(await columns(D.db!), D.cols, 'columns unchanged')
  assert.equal(await indexes(D.db!), D.idx, 'no index added while a duplicate exists')
  const after = await records(D.db!)
  assert.equal(after.slice(0, before.length), before, 'the old rows are untouched')
  assert.equal(
    after.map((x) => x.version),
    [1, 2, 2, 3, 4, 5, 6],
  )
  assert.equal(await schemaVersion(D.db!), [{ service: SERVICE, version: 6, description: STEMS[5] }])
})

dup('down of the duplicated version removes both rows; then the data allows the unique index', async () => {
  let r = await cli(D.db!, 'down', '--to', '2', '--yes')
  assert.is(r.code, 0, show(r))
  assert.equal(
    (await records(D.db!)).map((x) => x.version),
    [1, 2, 2],
  )
  assert.equal(await schemaVersion(D.db!), [{ service: SERVICE, version: 2, description: STEMS[1] }])

  r = await cli(D.db!, 'down')
  assert.is(r.code, 0, show(r))
  assert.equal(lines(r, /Successfully rolled back migration/).map((l) => l.replace(/.*migration /, '')), [STEMS[1]])
  assert.equal(
    (await records(D.db!)).map((x) => x.version),
    [1],
  )
  assert.equal(await schemaVersion(D.db!), [{ service: SERVICE, version: 1, description: STEMS[0] }])
  const [providers] = await D.db!.sql<{ ok: boolean }[]>`select to_regclass('providers') is null as ok`
  assert.ok(providers!.ok, "002's down ran")
  assert.equal(await indexes(D.db!), D.idx, 'down takes no index decision on its own data')

  r = await cli(D.db!, 'up')
  assert.is(r.code, 0, show(r))
  assert.equal(await indexes(D.db!), [...D.idx!, UNIQUE].sort())
  assert.equal(await columns(D.db!), D.cols, 'columns still unchanged')
  assert.equal(
    (await records(D.db!)).map((x) => x.version),
    [1, 2, 3, 4, 5, 6],
  )
})

dupSuite.run()

// ======================================================= clean old-tool database

const cleanSuite = suite('a clean old-tool database')
const clean = readable(cleanSuite)
const C: { db?: FreshDatabase } = {}
cleanSuite.before(async () => {
  C.db = await freshDatabase('oldtool_clean')
  D.dir ??= await discoveryDir()
  await oldToolDatabase(C.db)
})
cleanSuite.after(async () => {
  await C.db?.drop()
})

clean('status adds nothing; up adds the unique index migration_records_service_version_key and keeps the columns', async () => {
  const cols = await columns(C.db!)
  const idx = await indexes(C.db!)
  assert.equal(idx, [
    'migration_records_pkey: CREATE UNIQUE INDEX migration_records_pkey ON public.migration_records USING btree (id)',
    'schema_versions_pkey: CREATE UNIQUE INDEX schema_versions_pkey ON public.schema_versions USING btree (service)',
  ])
  const st = await cli(C.db!, 'status')
  assert.is(st.code, 0, show(st))
  assert.equal(await indexes(C.db!), idx, 'status is read-only')
  const r = await cli(C.db!, 'up')
  assert.is(r.code, 0, show(r))
  assert.is(lines(r, /Successfully applied migration/).length, 3, show(r))
  assert.equal(await indexes(C.db!), [...idx, UNIQUE].sort())
  assert.equal(await columns(C.db!), cols)
  assert.equal(await schemaVersion(C.db!), [{ service: SERVICE, version: 6, description: STEMS[5] }])
  // The index really guards (service, version).
  try {
    await C.db!.sql`insert into migration_records (service, version, name, checksum) values (${SERVICE}, 6, 'x', 'y')`
    assert.unreachable('a second record of version 6 must be refused')
  } catch (e) {
    assert.is((e as { code?: string }).code, '23505')
  }
})

clean('a migration user that does not own the old tables (no CREATE on the schema): up works, the index is left out', async () => {
  const db = await freshDatabase('oldtool_nonowner')
  const role = `lm_writer_${db.name.slice(-10)}`
  try {
    await oldToolDatabase(db)
    await db.sql.unsafe(`create role ${role} login password 'writer-pw'`)
    await db.sql.unsafe(`revoke create on schema public from public`)
    await db.sql.unsafe(`grant usage on schema public to ${role}`)
    await db.sql.unsafe(`grant select, insert, update, delete on migration_records, schema_versions to ${role}`)
    await db.sql.unsafe(`grant usage on sequence migration_records_id_seq to ${role}`)
    // The migrations themselves need rights too: give it a schema of its own to work in.
    await db.sql.unsafe(`create schema app authorization ${role}`)
    const dir = await tmpDir('lm-nonowner-')
    const { writeFile } = await import('node:fs/promises')
    await writeFile(path.join(dir, '004_app_table.up.sql'), 'create table app.things (id int);\n')
    const url = new URL(db.url)
    url.username = role
    url.password = 'writer-pw'
    const before = await indexes(db)
    const r = await runTimed(['up', '--dir', dir, '--service', 'writer-svc', '--database-url', url.toString()])
    assert.is(r.code, 0, show(r))
    assert.equal(lines(r, /Successfully applied migration/), ['[writer-svc-migrations] Successfully applied migration 004_app_table'])
    assert.equal(await indexes(db), before, 'no unique index without ownership')
    const [rec] = await db.sql`select count(*)::int as n from migration_records where service = 'writer-svc' and version = 4`
    assert.is(rec!.n, 1)
  } finally {
    await db.drop()
    await adminSql().unsafe(`drop role if exists ${role}`)
  }
})

cleanSuite.run()

// ======================================================= --tracking-schema

const schemaSuite = suite('--tracking-schema')
const schema = readable(schemaSuite)
const A: { db?: FreshDatabase } = {}
schemaSuite.before(async () => {
  A.db = await freshDatabase('oldtool_audit')
  D.dir ??= await discoveryDir()
})
schemaSuite.after(async () => {
  await A.db?.drop()
  await closeAdmin()
})

schema('--tracking-schema audit puts both tables (and the index) in schema audit and nothing in public', async () => {
  const r = await cli(A.db!, 'up', '--tracking-schema', 'audit')
  assert.is(r.code, 0, show(r))
  assert.is(lines(r, /Successfully applied migration/).length, 6, show(r))
  const tables = await A.db!.sql<{ table_schema: string; table_name: string }[]>`
    select table_schema, table_name from information_schema.tables
     where table_name in ('migration_records', 'schema_versions') order by table_schema, table_name`
  assert.equal(
    tables.map((t) => `${t.table_schema}.${t.table_name}`),
    ['audit.migration_records', 'audit.schema_versions'],
  )
  assert.equal(await columns(A.db!, 'public'), [])
  assert.equal(
    (await columns(A.db!, 'audit')).map((c) => `${c.table_name}.${c.column_name}`),
    [
      'migration_records.id',
      'migration_records.service',
      'migration_records.version',
      'migration_records.name',
      'migration_records.applied_at',
      'migration_records.checksum',
      'schema_versions.service',
      'schema_versions.version',
      'schema_versions.applied_at',
      'schema_versions.description',
    ],
  )
  assert.ok((await indexes(A.db!, 'audit')).some((i) => i.startsWith('migration_records_service_version_key: CREATE UNIQUE INDEX')))
  const [count] = await A.db!.sql<{ n: number }[]>`select count(*)::int as n from audit.migration_records where service = ${SERVICE}`
  assert.is(count!.n, 6)

  const st = await cli(A.db!, 'status', '--json', '--tracking-schema', 'audit')
  assert.is(st.code, 0, show(st))
  const parsed = JSON.parse(st.stdout) as { currentVersion: number; pending: number }
  assert.equal([parsed.currentVersion, parsed.pending], [6, 0])

  const down = await cli(A.db!, 'down', '--tracking-schema', 'audit')
  assert.is(down.code, 0, show(down))
  const [v] = await A.db!.sql<{ version: number }[]>`select version::int from audit.schema_versions where service = ${SERVICE}`
  assert.is(v!.version, 5)
  assert.equal(await columns(A.db!, 'public'), [], 'still nothing in public')
})

schemaSuite.run()
