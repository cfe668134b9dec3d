/**
 * All SQL about the two bookkeeping tables (SPEC 4), exactly the old Go
 * tool's, so both tools can work on one database.
 *
 * Statements that are glued around a migration body (one round trip per
 * migration) carry values as literals; those go through `literal()`/`ident()`
 * below, which quote every value whatever it holds. Everything else uses
 * postgres.js parameters.
 */
import type { ReservedSql, Sql } from 'postgres'
import type { AppliedRow, MigrationFile } from '../types.js'
import { isOneSessionResult } from './session.js'
import { MigrateError } from '../errors.js'
import { lockKeys } from './keys.js'

export interface Tracking {
  schema: string | undefined
  records: string
  versions: string
  /** Regclass text for to_regclass(). */
  recordsReg: string
  versionsReg: string
  uniqueIndex: string
  uniqueIndexReg: string
  /** Markers of unfinished statement-by-statement runs (db/progress.ts); never read by the old tool. */
  progress: string
  progressReg: string
}

export function tracking(schema?: string): Tracking {
  const q = (name: string) => (schema ? `${ident(schema)}.${ident(name)}` : ident(name))
  return {
    schema,
    records: q('migration_records'),
    versions: q('schema_versions'),
    recordsReg: q('migration_records'),
    versionsReg: q('schema_versions'),
    uniqueIndex: ident('migration_records_service_version_key'),
    uniqueIndexReg: q('migration_records_service_version_key'),
    progress: q('link_migrate_progress'),
    progressReg: q('link_migrate_progress'),
  }
}

/** A quoted identifier; `"` doubled. */
export function ident(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"'
}

/**
 * A string literal that means the same whatever `standard_conforming_strings`
 * is: an E'' string with both `\` and `'` escaped.
 */
export function literal(value: string): string {
  return "E'" + value.replace(/\\/g, '\\\\').replace(/'/g, "''") + "'"
}

export interface TablesState {
  records: boolean
  versions: boolean
  uniqueIndex: boolean
  /** The progress markers' table (db/progress.ts); created only when a file runs statement by statement. */
  progress: boolean
}

export async function tablesState(sql: Sql | ReservedSql, t: Tracking): Promise<TablesState> {
  const [row] = await sql<{ r: boolean; v: boolean; u: boolean; p: boolean }[]>`
    select to_regclass(${t.recordsReg}) is not null as r,
           to_regclass(${t.versionsReg}) is not null as v,
           to_regclass(${t.uniqueIndexReg}) is not null as u,
           to_regclass(${t.progressReg}) is not null as p`
  return { records: row!.r, versions: row!.v, uniqueIndex: row!.u, progress: row!.p }
}

/**
 * Creates the tables when missing and adds the unique index on
 * (service, version) when the existing rows allow it. Safe when many
 * processes start at once: creation is serialised by a transaction-level
 * advisory lock that every service shares, and a first cheap check avoids
 * even that when all is in place (the common case, and the read-only case).
 */
export async function ensureTables(conn: ReservedSql, t: Tracking): Promise<void> {
  const state = await tablesState(conn, t)
  if (state.records && state.versions && state.uniqueIndex) return
  // Explicit statements rather than sql.begin(): this runs on a reserved
  // connection, and begin() would wait for a free one from the pool.
  try {
    await conn.unsafe(`begin; select pg_advisory_xact_lock(${lockKeys.setup[0]}, ${lockKeys.setup[1]});`)
    // CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the
    // schema is there: only when it is missing.
    if (t.schema) {
      await conn.unsafe(
        `do $lm_schema$ begin if to_regnamespace(${literal(ident(t.schema))}) is null then create schema ${ident(t.schema)}; end if; end $lm_schema$`,
      )
    }
    // Only what is missing: CREATE TABLE IF NOT EXISTS still needs CREATE on
    // the schema, which a migration user of old-tool tables may not have.
    if (!state.records) await conn.unsafe(`
      create table if not exists ${t.records} (
        id serial primary key,
        service varchar not null,
        version bigint not null,
        name varchar not null,
        applied_at timestamp not null default now(),
        checksum varchar not null
      )`)
    if (!state.versions) await conn.unsafe(`
      create table if not exists ${t.versions} (
        service varchar primary key,
        version bigint not null,
        applied_at timestamp not null default now(),
        description varchar
      )`)
    const [dup] = await conn.unsafe(`select 1 from ${t.records} group by service, version having count(*) > 1 limit 1`)
    // GORM never had this index and allowed duplicate rows; add it only when the data allows.
    // Best effort (SPEC 4 says "may"): a user who does not own old-tool tables
    // cannot add it, and exactly-once does not depend on it (the guard does).
    if (!dup && !state.uniqueIndex) {
      await conn.unsafe('savepoint lm_unique_index')
      await conn
        .unsafe(`create unique index if not exists ${t.uniqueIndex} on ${t.records} (service, version)`)
        .catch((e: { code?: string }) => {
          if (e.code !== '42501') throw e
          return conn.unsafe('rollback to savepoint lm_unique_index')
        })
    }
    await conn.unsafe('commit')
  } catch (e) {
    await conn.unsafe('rollback').catch(() => {})
    throw setupError(e, t, state)
  }
}

/** SQLSTATE insufficient_privilege. */
const INSUFFICIENT_PRIVILEGE = '42501'

/** A server error that is worth wrapping (not a lost connection, not ours already). */
export function serverError(e: unknown): e is { code: string; message: string } {
  const err = e as { code?: unknown; message?: unknown; name?: string }
  return typeof err?.message === 'string' && typeof err.code === 'string' && /^[0-9A-Z]{5}$/.test(err.code) && err.name !== 'MigrateError'
}

/**
 * A failure to create the bookkeeping tables, saying what was being done and,
 * for a missing privilege, what would fix it: a read-only user cannot run
 * `up` on a database whose tables do not exist yet.
 */
function setupError(e: unknown, t: Tracking, state: TablesState): unknown {
  if (!serverError(e)) return e
  const where = t.schema ? `schema ${ident(t.schema)}` : 'the current schema'
  const indexOnly = state.records && state.versions
  const doing = indexOnly
    ? `cannot add the unique index migration_records_service_version_key to the bookkeeping table ${t.records}`
    : `cannot create the bookkeeping tables migration_records and schema_versions in ${where}`
  const hint =
    e.code !== INSUFFICIENT_PRIVILEGE
      ? []
      : indexOnly
        ? ['Adding the index needs the owner of migration_records.']
        : [
            'The user needs CREATE on that schema (and on the database for a new --tracking-schema); ' +
              'or run up once as a user that has it, to create the tables.',
          ]
  return new MigrateError('QUERY_FAILED', `${doing}: ${e.message}`, { cause: e, details: hint })
}

export interface AppliedRows {
  rows: AppliedRow[]
  /** Versions recorded more than once (old GORM data). */
  duplicates: number[]
}

/** The service's records, oldest version first; [] when the tables do not exist yet. */
/**
 * The no-op `up`'s whole read in one round trip (issue 20): where the
 * tables are (as {@link resolveTrackingSchema} finds them, or `schema`),
 * which exist, and the service's records. One simple-protocol message of
 * three statements, values as literals. Undefined when the records table
 * is missing or the read fails on the server (no privilege, ...): the
 * caller then takes the step-by-step path, which explains such failures.
 */
export async function readBookkeeping(
  sql: Sql,
  schema: string | undefined,
  service: string,
): Promise<{ schema: string; exist: TablesState; applied: AppliedRows; oneSession: boolean } | undefined> {
  const where = schema
    ? literal(schema)
    : "coalesce((select n.nspname from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace " +
      "where c.oid = pg_catalog.to_regclass('migration_records')), pg_catalog.current_schema())"
  const reg = (name: string) => `pg_catalog.to_regclass(pg_catalog.format('%I.%I', s.schema, ${literal(name)})) is not null`
  const text =
    `select s.schema, ${reg('migration_records')} as r, ${reg('schema_versions')} as v, ${reg('migration_records_service_version_key')} as u, ` +
    `${reg('link_migrate_progress')} as p, pg_catalog.pg_backend_pid() as pid ` +
    `from (select ${where} as schema) s;\n` +
    // Unqualified without --tracking-schema: search_path finds the same table to_regclass('migration_records') found.
    `select version, name, applied_at::text as at, checksum from ${tracking(schema).records} where service = ${literal(service)} order by version, id`
  let results: unknown
  try {
    results = await sql.unsafe(text).simple()
  } catch (e) {
    // Only what the step-by-step path explains better (a privilege, a table
    // gone meanwhile: class 42); a failed login still fails (it may prove one).
    if (serverError(e) && e.code.startsWith('42')) return undefined
    throw e
  }
  const [head, records] = results as [{ schema: string | null; r: boolean; v: boolean; u: boolean; p: boolean; pid: number }[], RawApplied[]]
  const row = head?.[0]
  if (!row?.schema || !row.r || !Array.isArray(records)) return undefined
  return {
    schema: row.schema,
    exist: { records: row.r, versions: row.v, uniqueIndex: row.u, progress: row.p },
    applied: appliedRows(records),
    // The same proof as db/session.ts, for free: a no-op run through a pooler says so too.
    oneSession: isOneSessionResult(head, row.pid),
  }
}

/** `at`: applied_at as the server's text (see {@link appliedRow}). */
type RawApplied = { version: number | string; name: string; at: string; checksum: string }

export async function readApplied(sql: Sql | ReservedSql, t: Tracking, service: string, exists?: boolean): Promise<AppliedRows> {
  if (exists === false) return { rows: [], duplicates: [] }
  // One-word column names: a caller's instance may transform names (postgres.camel).
  const raw = await sql
    .unsafe<RawApplied[]>(
      `select version, name, applied_at::text as at, checksum from ${t.records} where service = $1 order by version, id`,
      [service],
    )
    .catch((e: unknown) => {
      if (!serverError(e)) throw e
      throw new MigrateError('QUERY_FAILED', `cannot read the bookkeeping table ${t.records}: ${e.message}`, {
        cause: e,
        details: e.code === INSUFFICIENT_PRIVILEGE ? ['The user needs SELECT on migration_records and schema_versions.'] : [],
      })
    })
  return appliedRows(raw)
}

/** Rows in version order; a version recorded twice (old GORM data) counted once and listed in `duplicates`. */
function appliedRows(raw: RawApplied[]): AppliedRows {
  const rows: AppliedRow[] = []
  const duplicates: number[] = []
  for (const r of raw) {
    // postgres.js gives a BIGINT as a string: versions are exact numbers up to 2^53 - 1.
    const version = Number(r.version)
    const last = rows[rows.length - 1]
    if (last && last.version === version) {
      if (duplicates[duplicates.length - 1] !== version) duplicates.push(version)
      continue
    }
    rows.push(appliedRow(version, r.name, r.at, r.checksum))
  }
  return { rows, duplicates }
}

/**
 * A record whose applied_at becomes a Date when first read, as postgres.js
 * would have parsed the column (`new Date(text)`: the server's text read as
 * local time). A no-op `up` never reads it, and under Bun the first
 * local-time Date loads the time zone data: ~6-9 ms of the binary's ~60 ms
 * start (issue 20).
 */
function appliedRow(version: number, name: string, at: string, checksum: string): AppliedRow {
  let date: Date | undefined
  return {
    version,
    name,
    get appliedAt() {
      return (date ??= new Date(at))
    },
    checksum,
  }
}

export interface ServiceRow {
  service: string
  version: number
  appliedAt: string
  description: string | null
  applied: number
}

/** Every service recorded in the database (`status --all`). */
export async function readServices(sql: Sql, t: Tracking): Promise<ServiceRow[]> {
  const rows = await sql.unsafe<{ service: string; version: number | string; at: Date; description: string | null; applied: string }[]>(
    `select v.service, v.version, v.applied_at as at, v.description,
            (select count(distinct r.version) from ${t.records} r where r.service = v.service) as applied
       from ${t.versions} v order by v.service`,
  )
  return rows.map((r) => ({
    service: r.service,
    version: Number(r.version),
    appliedAt: r.at.toISOString(),
    description: r.description,
    applied: Number(r.applied),
  }))
}

/** SQLSTATEs our guards raise; never used by PostgreSQL itself. */
export const ALREADY_APPLIED = 'LMA01'
export const NOT_APPLIED = 'LMA02'
/** The service's migration lock is no longer held (its connection closed, or a file released it). */
export const LOCK_GONE = 'LMA03'
/** The migration before this one in the run did not commit (its failure is the one to report). */
export const PREVIOUS_NOT_DONE = 'LMA04'

/** Bookkeeping of an applied migration: its record and the service's version. */
export function recordUpSql(t: Tracking, service: string, m: Pick<MigrationFile, 'version' | 'name' | 'checksum'>): string {
  return recordUpTemplate(t, literal(service), String(m.version), literal(m.name), literal(m.checksum))
}

/**
 * {@link recordUpSql} with each value given as SQL: literals, or the
 * parameters of the guard function (db/guard.ts), which does the same
 * bookkeeping with plans the server keeps.
 */
export function recordUpTemplate(t: Tracking, service: string, version: string, name: string, checksum: string): string {
  return (
    `insert into ${t.records} (service, version, name, checksum) values (${service}, ${version}, ${name}, ${checksum});\n` +
    `insert into ${t.versions} (service, version, applied_at, description) values (${service}, ${version}, now(), ${name}) ` +
    `on conflict (service) do update set version = excluded.version, applied_at = excluded.applied_at, description = excluded.description ` +
    `where ${t.versions}.version <= excluded.version;\n`
  )
}

/**
 * Bookkeeping of a rolled-back migration: every record of that version goes
 * (old data may hold duplicates) and the version falls back to the next
 * lower applied one, or the row goes when none is left.
 */
export function recordDownSql(t: Tracking, service: string, version: number): string {
  const s = literal(service)
  return (
    `delete from ${t.records} where service = ${s} and version = ${version};\n` +
    `delete from ${t.versions} where service = ${s} and not exists (select 1 from ${t.records} where service = ${s});\n` +
    `insert into ${t.versions} (service, version, applied_at, description) ` +
    `select service, version, now(), name from ${t.records} where service = ${s} order by version desc, id desc limit 1 ` +
    `on conflict (service) do update set version = excluded.version, applied_at = excluded.applied_at, description = excluded.description;\n`
  )
}

/** `repair`: accept the file's checksum for an applied version. */
export function repairSql(t: Tracking, service: string, version: number, checksum: string): string {
  return `update ${t.records} set checksum = ${literal(checksum)} where service = ${literal(service)} and version = ${version};\n`
}

/**
 * golang-migrate's table, for `mark --from golang-migrate`; null when absent.
 * `version` is null when the table is empty (nothing applied: version 0 is a
 * real version there too).
 */
export async function readGolangMigrate(sql: Sql, table = 'schema_migrations'): Promise<{ version: number | null; dirty: boolean } | null> {
  const [exists] = await sql`select to_regclass(${table}) is not null as e`
  if (!exists?.e) return null
  const [row] = await sql.unsafe<{ version: string; dirty: boolean }[]>(`select version, dirty from ${ident(table)} limit 1`)
  return row ? { version: Number(row.version), dirty: row.dirty } : { version: null, dirty: false }
}

/**
 * The bookkeeping tables whose `version` column is narrower than BIGINT
 * (the old tool's INTEGER), as names for a message; [] when they are BIGINT
 * or do not exist yet (link-migrate creates them BIGINT).
 */
export async function narrowVersionColumns(sql: Sql | ReservedSql, t: Tracking): Promise<string[]> {
  const rows = await sql<{ t: string }[]>`
    select c.relname as t from pg_attribute a join pg_class c on c.oid = a.attrelid
     where a.attrelid in (select to_regclass(${t.recordsReg}) union all select to_regclass(${t.versionsReg}))
       and a.attname = 'version' and a.atttypid in ('int2'::regtype, 'int4'::regtype)
     order by 1`
  return rows.map((r) => r.t)
}

/** The statement that widens those columns, for the refusal's message. */
export function widenVersionSql(t: Tracking, tables: string[]): string {
  return tables
    .map((name) => `ALTER TABLE ${name === 'migration_records' ? t.records : t.versions} ALTER COLUMN version TYPE bigint;`)
    .join(' ')
}

/**
 * Where the bookkeeping tables live when no schema is given: the schema of an
 * existing `migration_records` on the search_path (the old tool's, usually
 * public), else the current schema. Pinned once so a migration that changes
 * search_path cannot send the bookkeeping elsewhere.
 */
export async function resolveTrackingSchema(sql: Sql): Promise<string> {
  const [row] = await sql<{ schema: string | null }[]>`
    select coalesce(
      (select n.nspname from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.oid = to_regclass('migration_records')),
      current_schema()) as schema`
  if (!row?.schema) {
    throw new MigrateError('QUERY_FAILED', 'no schema to keep the bookkeeping tables in: search_path is empty; use --tracking-schema')
  }
  return row.schema
}

/**
 * Other services whose records carry any of these checksums, most matches
 * first: the same files applied under another service name. Reads only;
 * none when the tables do not exist.
 */
export async function servicesWithChecksums(
  sql: Sql | ReservedSql,
  t: Tracking,
  service: string,
  checksums: string[],
): Promise<{ service: string; matches: number }[]> {
  if (checksums.length === 0 || !(await tablesState(sql, t)).records) return []
  const rows = await sql.unsafe<{ service: string; matches: number }[]>(
    `select service, count(distinct checksum)::int as matches from ${t.records}
      where checksum in (select pg_catalog.jsonb_array_elements_text($1::text::jsonb)) and service <> $2 group by service order by 2 desc, 1`,
    // JSON, not an array parameter: the migrator's pool fetches no array types (db/connect.ts).
    [JSON.stringify(checksums), service],
  )
  return rows.map((r) => ({ service: r.service, matches: r.matches }))
}
