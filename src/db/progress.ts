/**
 * ALL SQL about the progress markers of files that run statement by
 * statement (no-transaction files, files with their own BEGIN/COMMIT
 * blocks): which statements of an unfinished run took effect.
 *
 * The markers live in a table of their own, `link_migrate_progress`, next to
 * the bookkeeping tables, never in `migration_records`: the old Go tool and
 * our exactly-once guard read a row there as "applied", and a half-run file
 * is not applied. The old tool never looks at this table.
 *
 * A marker is written before a file's first statement, in its own committed
 * transaction, and updated before each statement that commits on its own
 * (or inside the file's block, before its COMMIT), so a crash at any point
 * leaves a marker that says at least what is certain. It is deleted in the
 * transaction that writes the file's bookkeeping, or by `mark`.
 */
import type { ReservedSql, Sql } from 'postgres'
import { MigrateError } from '../errors.js'
import type { ProgressMarker } from '../types.js'
import { lockKeys } from './keys.js'
import { literal, serverError, type Tracking } from './tracking.js'

/** How the file was run: what a marker of it means for the user. */
export type MarkerKind = ProgressMarker['kind']

/** A file run that did not finish, as read back (status, verify, up). */
export type MarkerRow = ProgressMarker

/** What the runner knows when it starts a file. */
export interface MarkerStart {
  service: string
  version: number
  direction: 'up' | 'down'
  name: string
  file: string
  checksum: string
  kind: MarkerKind
  /** The line of each statement, in order. */
  lines: number[]
}

/** SQLSTATE insufficient_privilege. */
const INSUFFICIENT_PRIVILEGE = '42501'

/**
 * Creates the progress table when missing. Returns false (and creates
 * nothing) when the user may not create it: the file then runs without a
 * marker, as before the table existed.
 */
export async function ensureProgressTable(conn: ReservedSql, t: Tracking): Promise<boolean> {
  const [row] = await conn<{ p: boolean }[]>`select to_regclass(${t.progressReg}) is not null as p`
  if (row!.p) return true
  try {
    // Serialised with the bookkeeping tables' own creation (db/tracking.ts).
    await conn.unsafe(`begin; select pg_advisory_xact_lock(${lockKeys.setup[0]}, ${lockKeys.setup[1]});`)
    await conn.unsafe(`
      create table if not exists ${t.progress} (
        service varchar not null,
        version bigint not null,
        direction varchar not null,
        name varchar not null,
        file varchar not null,
        checksum varchar not null,
        kind varchar not null,
        lines int[] not null,
        ran int[] not null default '{}',
        running int,
        error text,
        started_at timestamp not null default now(),
        updated_at timestamp not null default now(),
        primary key (service, version)
      )`)
    await conn.unsafe('commit')
    return true
  } catch (e) {
    await conn.unsafe('rollback').catch(() => {})
    if ((e as { code?: string }).code === INSUFFICIENT_PRIVILEGE) return false
    throw e
  }
}

/**
 * The SQL of one file run's marker, for db/execute.ts. Statements are
 * numbered from 1 in file order.
 */
export interface MarkerWriter {
  /** Before the first statement, in its own transaction: starts (or restarts) the marker. */
  start: string
  /** `ran` took effect (added to the marker); `running` is about to run outside a transaction (null: none). */
  progress(ran: number[], running: number | null): string
  /** The run stopped on an error: `ran` took effect, the failed statement did not (as far as the server says). */
  stopped(ran: number[], error: string): string
  /** In the transaction of the version's bookkeeping: the marker goes. */
  clear: string
}

/**
 * The marker SQL of one file run. A restart in the same direction keeps the
 * statements an earlier attempt ran (they are still in effect); the other
 * direction starts afresh.
 */
export function markerWriter(t: Tracking, m: MarkerStart): MarkerWriter {
  const where = `where service = ${literal(m.service)} and version = ${m.version};\n`
  const add = (ran: number[]) => `ran = array(select distinct n from unnest(ran || ${intArray(ran)}) n order by n)`
  return {
    start:
      `insert into ${t.progress} (service, version, direction, name, file, checksum, kind, lines) values ` +
      `(${literal(m.service)}, ${m.version}, ${literal(m.direction)}, ${literal(m.name)}, ${literal(m.file)}, ${literal(m.checksum)}, ` +
      `${literal(m.kind)}, ${intArray(m.lines)}) ` +
      `on conflict (service, version) do update set ` +
      `ran = case when ${t.progress}.direction = excluded.direction and ${t.progress}.checksum = excluded.checksum then ${t.progress}.ran else '{}' end, ` +
      `direction = excluded.direction, name = excluded.name, file = excluded.file, checksum = excluded.checksum, ` +
      `kind = excluded.kind, lines = excluded.lines, running = null, error = null, updated_at = now();\n`,
    progress: (ran, running) => `update ${t.progress} set ${add(ran)}, running = ${running ?? 'null'}, updated_at = now() ${where}`,
    stopped: (ran, error) => `update ${t.progress} set ${add(ran)}, running = null, error = ${literal(error)}, updated_at = now() ${where}`,
    clear: markerClearSql(t, m.service, m.version),
  }
}

/** Deletes a version's marker: in the transaction of its bookkeeping (up, down, mark). */
export function markerClearSql(t: Tracking, service: string, version: number): string {
  return `delete from ${t.progress} where service = ${literal(service)} and version = ${version};\n`
}

function intArray(lines: number[]): string {
  return `array[${lines.map((l) => Math.trunc(l)).join(',')}]::int[]`
}

type RawMarker = {
  version: number | string
  direction: string
  name: string
  file: string
  checksum: string
  kind: string
  lines: number[]
  ran: number[]
  running: number | null
  error: string | null
  started: Date
  updated: Date
}

/** The service's markers, by version; [] when the table does not exist (nothing ever ran statement by statement). */
export async function readMarkers(sql: Sql | ReservedSql, t: Tracking, service: string, exists?: boolean): Promise<MarkerRow[]> {
  if (exists === false) return []
  if (exists === undefined) {
    const [row] = await sql<{ p: boolean }[]>`select to_regclass(${t.progressReg}) is not null as p`
    if (!row!.p) return []
  }
  // One-word column names: a caller's instance may transform names (postgres.camel).
  const rows = await sql
    .unsafe<RawMarker[]>(
      // Arrays as JSON: the migrator's pool fetches no array types (db/connect.ts).
      `select version, direction, name, file, checksum, kind, to_json(lines) as lines, to_json(ran) as ran, running, error, ` +
        `started_at as started, updated_at as updated from ${t.progress} where service = $1 order by version`,
      [service],
    )
    .catch((e: unknown) => {
      if (!serverError(e)) throw e
      throw new MigrateError('QUERY_FAILED', `cannot read the progress table ${t.progress}: ${e.message}`, {
        cause: e,
        details: e.code === INSUFFICIENT_PRIVILEGE ? ['The user needs SELECT on link_migrate_progress.'] : [],
      })
    })
  return rows.map((r) => ({
    version: Number(r.version),
    direction: r.direction === 'down' ? 'down' : 'up',
    name: r.name,
    file: r.file,
    checksum: r.checksum,
    kind: r.kind === 'own-transactions' ? 'own-transactions' : 'no-transaction',
    lines: (r.lines ?? []).map(Number),
    ran: (r.ran ?? []).map(Number),
    running: r.running === null ? null : Number(r.running),
    error: r.error,
    startedAt: r.started,
    updatedAt: r.updated,
  }))
}
