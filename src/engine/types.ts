/**
 * The engine's public shapes: what createMigrator takes and what each of its
 * operations returns (re-exported by src/index.ts).
 */
import type { Sql } from 'postgres'
import type { ConnectionConfig } from '../config/connection.js'
import type { DownOptions, UpOptions } from '../core/plan.js'
import type { ServiceRow } from '../db/tracking.js'
import type { LintOptions, LintResult } from '../lint/index.js'
import type { MigrateEvent, RunResult, StatusResult, VerifyResult } from '../types.js'

export interface MigratorOptions {
  /** The migrations directory. */
  dir: string
  /** Service name; derived from `dir` when omitted (`x/migrations` -> `x`). */
  service?: string
  /** A postgres.js instance of the caller's; never ended by the migrator. */
  sql?: Sql
  /** Or a connection URL (`postgres://...`). */
  url?: string
  /** Or an already resolved connection (what the CLI passes). */
  connection?: ConnectionConfig
  /** Environment for DATABASE_URL / DB_* / PG* when neither sql nor url is given. Default: process.env. */
  env?: Record<string, string | undefined>
  /** Schema of the bookkeeping tables; default: where they are found, else the current schema. */
  trackingSchema?: string
  /** Default for up/down: plan only, take no lock, write nothing. */
  dryRun?: boolean
  /** Per-migration time limit in ms (default 10 minutes); past it the migration is cancelled and rolled back. */
  migrationTimeout?: number
  /** Give up waiting for another runner's lock after this many ms (default: wait). */
  lockTimeout?: number
  /** PostgreSQL lock_timeout (ms) inside each migration, unless its file sets one (`--ddl-lock-timeout`). */
  ddlLockTimeout?: number
  /** Retry a migration that failed on lock_timeout this many times, with backoff (`--retries`). */
  retries?: number
  /**
   * How many transactional migrations are sent ahead of the one running, in
   * one pipeline, each its own transaction (default 16; 0: each is sent when
   * the one before has finished). An `onEvent` hook that throws at
   * `migration-start` stops the run before that migration only if it was
   * not sent yet: with 0, always.
   */
  sendAhead?: number
  /**
   * Run files that manage their own transactions (several BEGIN ... COMMIT
   * blocks) statement by statement as psql would, instead of refusing them
   * (`--allow-transaction-control`). Default false.
   */
  allowTransactionControl?: boolean
  /** false: run every file statement by statement without a transaction (default true: transactional unless a file needs otherwise). */
  useTransactions?: boolean
  /** Retry the first connection for this many ms (`--wait`). */
  waitForDatabase?: number
  /**
   * The service name was derived from the directory, not given: refuse
   * (ConfigError SERVICE_UNCERTAIN, before anything is written) when the name
   * is generic (`app`, `src`, a single letter ...) or when the database
   * records these files' checksums under another service. The CLI sets it
   * when neither --service nor MIGRATE_SERVICE is given.
   */
  serviceDerived?: boolean
  /** Receives every progress event. */
  onEvent?: (event: MigrateEvent) => void
  /** Receives the old tool's log lines (e.g. `Successfully applied migration 001_x`). */
  logger?: { info(message: string): void; warn?(message: string): void }
}

export interface RunOptions extends UpOptions {
  dryRun?: boolean
  /**
   * Aborting it stops the run: the running migration is cancelled on the
   * server and rolled back (a file without a transaction stops after its
   * current statement), the lock is released, and the call rejects with an
   * InterruptedError (`step`, `completed`, `currentVersion`).
   */
  signal?: AbortSignal
}

export interface MarkOptions {
  /** Remove the record instead of adding it. */
  pending?: boolean
  /** Say what would be recorded; take no lock, write nothing. */
  dryRun?: boolean
}

export interface MarkResult {
  service: string
  /** Nothing was written: `marked` and `currentVersion` are what would be. */
  dryRun: boolean
  marked: { version: number; name: string; state: 'applied' | 'pending' }[]
  currentVersion: number
}

export interface RepairResult {
  service: string
  /** Nothing was written: `repaired` is what would be. */
  dryRun: boolean
  repaired: { version: number; name: string; from: string; to: string }[]
}

export interface GenerateResult {
  version: number
  up: string
  down: string
}

export interface Migrator {
  readonly service: string
  readonly dir: string
  up(opts?: RunOptions): Promise<RunResult>
  down(opts?: DownOptions & { dryRun?: boolean; signal?: AbortSignal }): Promise<RunResult>
  status(): Promise<StatusResult>
  /** Every service recorded in the database. */
  statusAll(): Promise<ServiceRow[]>
  verify(): Promise<VerifyResult>
  /**
   * Offline checks of the directory's files (SPEC 7): never connects. Uses
   * the migrator's `useTransactions`. Throws only when the directory cannot
   * be read.
   */
  lint(opts?: LintOptions): Promise<LintResult>
  generate(description: string): Promise<GenerateResult>
  mark(version: number, opts?: MarkOptions): Promise<MarkResult>
  /** Record every version up to `to` as applied (adopting a database another tool migrated). */
  markTo(to: number, opts?: { dryRun?: boolean }): Promise<MarkResult>
  /**
   * Read the version from golang-migrate's `schema_migrations` and mark up to
   * it. Refuses (INTEGRITY, exit 3) a dirty one, and a version that has no
   * file or lies above every file unless `force` (then every file up to it
   * is marked).
   */
  markFromGolangMigrate(opts?: { dryRun?: boolean; force?: boolean }): Promise<MarkResult>
  /** Accept the files' current checksums (`dryRun`: only say which would change). */
  repair(opts?: { dryRun?: boolean }): Promise<RepairResult>
  /** Ends the connection the migrator opened (not a caller's `sql`). */
  close(): Promise<void>
}
