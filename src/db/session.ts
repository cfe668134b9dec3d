/**
 * What is checked about a server session before a run changes anything:
 *
 * - that the server takes writes: a hot standby (in recovery), or a session
 *   read-only by default, is refused once, before the lock and any file,
 *   instead of the first file failing with "cannot execute CREATE TABLE in a
 *   read-only transaction";
 * - whether the connection is provably one server session. At login the
 *   server announces its backend pid (BackendKeyData, kept by postgres.js as
 *   each result's `state`); a pooler or proxy that hands statements to
 *   server connections of its own (PgBouncer in any mode, Odyssey, pgcat,
 *   RDS Proxy, Supavisor) announces a made-up one. Equal pids prove that
 *   every statement on this connection runs on that one backend: a fact,
 *   not a guess from two statements that happened to land on the same
 *   backend. Unequal: link-migrate cannot prove it and takes no risk (no
 *   session-level lock; files without a transaction are refused).
 */
import type { ReservedSql, Sql } from 'postgres'
import { MigrateError } from '../errors.js'

/** The backend pid announced at login, as postgres.js keeps it on a result. */
function announcedPid(result: unknown): number | undefined {
  const pid = (result as { state?: { pid?: number | null } }).state?.pid
  return typeof pid === 'number' ? pid : undefined
}

/**
 * Throws MigrateError READ_ONLY naming `target` when the server cannot take
 * writes; returns whether `conn` is provably one server session.
 */
export async function inspectSession(conn: ReservedSql | Sql, target: string): Promise<{ oneSession: boolean }> {
  // Simple protocol: this connection may go on to hold the lock's transaction (db/lock.ts).
  const result = await conn.unsafe<{ standby: boolean; ro: string; pid: number }[]>(
    "select pg_is_in_recovery() as standby, current_setting('transaction_read_only') as ro, pg_backend_pid() as pid",
  )
  const row = result[0]
  if (row?.standby) {
    throw new MigrateError(
      'READ_ONLY',
      `${target} is a read-only standby (a hot standby in recovery): migrations run on the primary; point the connection at it`,
    )
  }
  if (row?.ro === 'on') {
    throw new MigrateError(
      'READ_ONLY',
      `the session on ${target} is read-only (default_transaction_read_only is on for this user or database): ` +
        'migrations need a read-write session',
    )
  }
  return { oneSession: row !== undefined && isOneSessionResult(result, row.pid) }
}

/** Whether `result`, which read `pg_backend_pid()` as `pid`, ran on the backend announced at login. */
export function isOneSessionResult(result: unknown, pid: number | string | undefined): boolean {
  return pid !== undefined && announcedPid(result) === Number(pid)
}

/** Whether `conn` is provably one server session (see above). */
export async function isOneSession(conn: ReservedSql | Sql): Promise<boolean> {
  const result = await conn.unsafe<{ pid: number }[]>('select pg_backend_pid() as pid')
  return isOneSessionResult(result, result[0]?.pid)
}
