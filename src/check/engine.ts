/**
 * What `check` needs from a PostgreSQL to rehearse migrations on: run a
 * prepared step the way `up` does, read the catalog, go away. Two
 * implementations: the embedded engine (embedded.ts, PGlite in-process) and
 * a scratch database on a server (scratch.ts). Also: which one to use.
 */
import type { ConnectionConfig } from '../config/connection.js'
import { isMigrateError } from '../errors.js'
import type { PlanStep } from '../types.js'
import type { CatalogQuery } from './snapshot.js'
import type { TraceSession } from './trace.js'
import type { CheckError, EngineTimings } from './types.js'

export interface CheckEngine {
  readonly kind: 'embedded' | 'server'
  /** `18.6`, `15.10` */
  readonly serverVersion: string
  readonly serverMajor: number
  /** The scratch database's name (server engine). */
  readonly scratchDatabase?: string
  readonly timings: EngineTimings
  /** Catalog queries for snapshots, run with catalogSettings() in a transaction of their own. */
  readonly catalog: CatalogQuery
  /**
   * Runs one prepared step as `up` would, without bookkeeping: a
   * transactional file in one transaction, a no-transaction file statement
   * by statement. Throws a QueryError (MIGRATION_FAILED, file:line:col) or
   * a MigrateError (MIGRATION_TIMEOUT). Resolves to notes on what the
   * engine did beyond the file (the embedded engine creates missing roles).
   */
  run(step: PlanStep, opts?: { timeoutMs?: number }): Promise<string[] | void>
  /** The migrations' session, for `check --locks` (trace.ts); absent on an engine that cannot lend it. */
  readonly trace?: TraceSession
  /**
   * Why a failure comes from the engine rather than from the migration (an
   * extension or language the embedded engine lacks), or undefined.
   */
  limitation(e: unknown): string | undefined
  /**
   * Clears the dead catalog rows the steps left (the embedded engine has no
   * autovacuum): lookups by index slow down as they pile up. Absent where
   * the server's autovacuum does it. Never throws (it only saves time).
   */
  tidy?(): Promise<void>
  /** Releases everything (drops the scratch database). Idempotent; never throws. */
  close(): Promise<void>
}

/**
 * True when the user pointed link-migrate at a server: `--database-url`,
 * `DATABASE_URL`, any `DB_*` variable, or `PGHOST`/`PGHOSTADDR`. Other PG*
 * variables alone (a PGUSER or PGPASSWORD kept for psql) do not count, and
 * neither do the defaults (localhost:5432): without a configured database,
 * `check` runs on the embedded engine.
 */
export function databaseConfigured(config: ConnectionConfig, env: Record<string, string | undefined>): boolean {
  if (config.source === 'flag' || config.source === 'DATABASE_URL' || config.source === 'DB_*') return true
  return Boolean(env.PGHOST?.trim() || env.PGHOSTADDR?.trim())
}

/** A thrown error as check reports it (the message already names file:line:col). */
export function toCheckError(e: unknown): CheckError {
  if (isMigrateError(e)) {
    const q = e as { file?: string; line?: number; column?: number; sqlState?: string }
    return {
      code: e.code,
      message: e.message,
      ...(q.file !== undefined ? { file: q.file } : {}),
      ...(q.line !== undefined ? { line: q.line } : {}),
      ...(q.column !== undefined ? { column: q.column } : {}),
      ...(q.sqlState !== undefined ? { sqlState: q.sqlState } : {}),
      details: e.details,
    }
  }
  return { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e), details: [] }
}

/** `18.6 (Debian 18.6-1)` -> `18.6`; `18beta1` -> `18beta1`. */
export function versionNumber(serverVersion: string): string {
  return serverVersion.trim().split(/\s+/)[0] ?? serverVersion
}
