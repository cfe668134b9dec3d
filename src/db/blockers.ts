/**
 * Who is blocking a migration: the sessions `pg_blocking_pids()` names for
 * the migration's backend, read from `pg_stat_activity` on a side
 * connection. A blocker's query is cut to its first 80 characters (nothing
 * it holds beyond that is shown) and a password literal in it is masked.
 */
import type { ReservedSql, Sql } from 'postgres'
import type { Blocker } from '../types.js'

export type { Blocker }

/** The backends `pid` waits for (empty when it waits for nothing). */
export async function blockingPids(side: Sql | ReservedSql, pid: number): Promise<number[]> {
  const rows = await side.unsafe<{ p: number }[]>('select unnest(pg_catalog.pg_blocking_pids($1::int)) as p', [pid])
  return rows.map((r) => Number(r.p))
}

/** What `pg_stat_activity` says of `pids` (those still there). */
export async function describeBlockers(side: Sql | ReservedSql, pids: number[]): Promise<Blocker[]> {
  if (pids.length === 0) return []
  const rows = await side.unsafe<{ pid: number; app: string | null; addr: string | null; state: string | null; xact_ms: number | null; query: string | null }[]>(
    `select a.pid, a.application_name as app, host(a.client_addr) as addr, a.state,
            (extract(epoch from (clock_timestamp() - a.xact_start)) * 1000)::float8 as xact_ms,
            left(a.query, 400) as query
       from pg_catalog.pg_stat_activity a
      where a.pid in (select pg_catalog.jsonb_array_elements_text($1::text::jsonb)::int) order by a.pid`,
    // JSON, not an array parameter: the migrator's pool fetches no array types (db/connect.ts).
    [JSON.stringify(pids)],
  )
  return rows.map((r) => ({
    pid: Number(r.pid),
    applicationName: r.app ?? '',
    clientAddr: r.addr,
    state: r.state,
    transactionAgeMs: r.xact_ms === null ? null : Math.round(Number(r.xact_ms)),
    query: shortQuery(r.query ?? ''),
  }))
}

/**
 * One line, at most 80 characters, a literal after PASSWORD masked (before
 * cutting, so a cut literal cannot leak its start either).
 *
 * @example shortQuery("ALTER ROLE app PASSWORD 'hunter2'") // "ALTER ROLE app PASSWORD '***'"
 */
export function shortQuery(query: string): string {
  const masked = query
    .replace(/\b(password)(\s*=?\s*)('(?:[^']|'')*'?|"(?:[^"]|"")*"?|\$[^$]*\$[\s\S]*)/gi, "$1$2'***'")
    .replace(/\s+/g, ' ')
    .trim()
  return masked.length > 80 ? masked.slice(0, 80) : masked
}
