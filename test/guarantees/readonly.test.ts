// Issue 7 point 5, the read-only part: a role with CONNECT, USAGE on the
// schema and SELECT on the two bookkeeping tables only. `status` works; `up`
// fails with exit 1 and a message naming the permission and the table or
// schema, and changes nothing.
import { randomBytes } from 'node:crypto'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { adminSql, closeAdmin, freshDatabase, type FreshDatabase } from '../helpers/db.js'
import { migrationsDir, writeMigrations } from '../helpers/tmp.js'
import { lines, readable, runTimed, show } from './util.js'

const test = suite('a read-only role')
const it = readable(test)
const ROLE = `lm_ro_${randomBytes(3).toString('hex')}`
const PASSWORD = `r0:${randomBytes(3).toString('hex')}@/%`
const S: { db?: FreshDatabase; empty?: FreshDatabase; dir?: string } = {}

/** The test database's URL, logged in as the read-only role. */
function roUrl(db: FreshDatabase): string {
  const u = new URL(db.url)
  u.username = ROLE
  u.password = encodeURIComponent(PASSWORD)
  return u.toString()
}

/** Tables, indexes, schemas and bookkeeping rows: what `up` must not change. */
async function snapshot(db: FreshDatabase): Promise<string> {
  const rels = await db.sql<{ n: string }[]>`
    select n.nspname || '.' || c.relname as n from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast') order by 1`
  const [has] = await db.sql<{ ok: boolean }[]>`select to_regclass('public.migration_records') is not null as ok`
  const recs = has!.ok ? await db.sql`select service, version::int as version, name, checksum from migration_records order by id` : []
  const vers = has!.ok ? await db.sql`select service, version::int as version, description from schema_versions order by service` : []
  return JSON.stringify({ rels: rels.map((r) => r.n), recs, vers })
}

test.before(async () => {
  await adminSql().unsafe(`create role ${ROLE} login password '${PASSWORD.replace(/'/g, "''")}'`)
  S.db = await freshDatabase('readonly')
  S.empty = await freshDatabase('readonly_empty')
  for (const db of [S.db, S.empty]) {
    await db.sql.unsafe(`revoke all on database ${db.name} from public; grant connect on database ${db.name} to ${ROLE};
                         revoke create on schema public from public; grant usage on schema public to ${ROLE}`)
  }
  S.dir = await migrationsDir({
    '001_ro_widgets.up.sql': 'create table ro_widgets (id int primary key);\n',
    '002_ro_widgets_name.up.sql': 'alter table ro_widgets add column name text;\n',
  })
  // Applied by the owner; then the role may read the bookkeeping and nothing else.
  const r = await runTimed(['up', '--dir', S.dir, '--service', 'ro-svc', '--database-url', S.db.url])
  assert.is(r.code, 0, show(r))
  await S.db.sql.unsafe(`grant select on migration_records, schema_versions to ${ROLE}`)
})
test.after(async () => {
  await S.db?.drop()
  await S.empty?.drop()
  await adminSql().unsafe(`drop role if exists ${ROLE}`)
  await closeAdmin()
})

it('status works: versions, pending, exit 0 (and --json)', async () => {
  await writeMigrations(S.dir!, { '003_ro_gadgets.up.sql': 'create table ro_gadgets (id int primary key);\n' })
  const r = await runTimed(['status', '--dir', S.dir!, '--service', 'ro-svc', '--database-url', roUrl(S.db!), '--json'])
  assert.is(r.code, 0, show(r))
  const doc = JSON.parse(r.stdout) as { currentVersion: number; pending: number; migrations: { version: number; state: string }[] }
  assert.equal([doc.currentVersion, doc.pending], [2, 1])
  assert.equal(doc.migrations.map((m) => [m.version, m.state]), [[1, 'applied'], [2, 'applied'], [3, 'pending']])
  const plain = await runTimed(['status', '--dir', S.dir!, '--service', 'ro-svc', '--database-url', roUrl(S.db!)])
  assert.is(plain.code, 0, show(plain))
  const v = await runTimed(['verify', '--dir', S.dir!, '--service', 'ro-svc', '--database-url', roUrl(S.db!)])
  assert.is(v.code, 0, show(v))
})

it('up with a pending CREATE TABLE: exit 1, "permission denied for schema public" at the file, nothing changed', async () => {
  const before = await snapshot(S.db!)
  const r = await runTimed(['up', '--dir', S.dir!, '--service', 'ro-svc', '--database-url', roUrl(S.db!)])
  assert.is(r.code, 1, show(r))
  const err = lines(r, /Error:/)
  assert.is(err.length, 1, show(r))
  assert.match(err[0]!, /^\[ro-svc-migrations\] Error: 003_ro_gadgets\.up\.sql:1:\d+: permission denied for schema public$/)
  assert.not.match(r.stdout + r.stderr, /Successfully|completed successfully/)
  assert.is(await snapshot(S.db!), before)
})

it('up with a pending file the role may run: exit 1 at the bookkeeping, "permission denied for table migration_records", nothing changed', async () => {
  await writeMigrations(S.dir!, { '003_ro_gadgets.up.sql': 'select 1;\n' })
  const before = await snapshot(S.db!)
  const r = await runTimed(['up', '--dir', S.dir!, '--service', 'ro-svc', '--database-url', roUrl(S.db!)])
  assert.is(r.code, 1, show(r))
  const err = lines(r, /Error:/)
  assert.is(err.length, 1, show(r))
  assert.match(err[0]!, /permission denied for table migration_records/)
  assert.is(await snapshot(S.db!), before)
})

it('up on a database without the bookkeeping tables: exit 1 naming the tables, the schema and the privilege; nothing created', async () => {
  const before = await snapshot(S.empty!)
  const r = await runTimed(['up', '--dir', S.dir!, '--service', 'ro-svc', '--database-url', roUrl(S.empty!)])
  assert.is(r.code, 1, show(r))
  const err = lines(r, /Error:/)
  assert.is(err.length, 1, show(r))
  assert.is(
    err[0],
    '[ro-svc-migrations] Error: cannot create the bookkeeping tables migration_records and schema_versions in schema "public": permission denied for schema public',
  )
  assert.match(r.stderr, /needs CREATE on that schema/)
  assert.is(await snapshot(S.empty!), before)
  // status there: nothing applied, all pending, and still nothing created.
  const s = await runTimed(['status', '--dir', S.dir!, '--service', 'ro-svc', '--database-url', roUrl(S.empty!), '--json'])
  assert.is(s.code, 0, show(s))
  assert.equal((JSON.parse(s.stdout) as { currentVersion: number }).currentVersion, 0)
  assert.is(await snapshot(S.empty!), before)
})

it('without SELECT on the bookkeeping: status exits 1 naming the table and the privilege it needs', async () => {
  await S.db!.sql.unsafe(`revoke select on migration_records from ${ROLE}`)
  try {
    const r = await runTimed(['status', '--dir', S.dir!, '--service', 'ro-svc', '--database-url', roUrl(S.db!)])
    assert.is(r.code, 1, show(r))
    assert.match(lines(r, /Error:/)[0] ?? '', /^\[ro-svc-migrations\] Error: cannot read the bookkeeping table "public"\."migration_records": permission denied for table migration_records$/)
    assert.match(r.stderr, /needs SELECT on migration_records and schema_versions/)
  } finally {
    await S.db!.sql.unsafe(`grant select on migration_records to ${ROLE}`)
  }
})

test.run()
