/** Shared data shapes of the engine. Plain data: no methods, no I/O. */

/** One `.sql` file on disk, already decoded (BOM dropped). */
export interface SourceFile {
  /** Path as given/resolved (used in messages). */
  path: string
  /** Base name, e.g. `001_create_users.up.sql`. */
  file: string
  /** UTF-8 text with the BOM removed. */
  content: string
}

/** A file known by name whose content has not been read yet. */
export interface FileRef {
  path: string
  file: string
}

/** An up file and (maybe) its down file, paired by version. */
export interface MigrationFile {
  version: number
  /** File stem without direction, e.g. `001_create_users`; what the tables store. */
  name: string
  /** The part after `NNN_`, e.g. `create_users`. */
  description: string
  up: SourceFile
  /** The down file, read only when a rollback needs it (startup path stays cheap). */
  down?: FileRef
  /** SHA-256 (lowercase hex) of the up file, CRLF -> LF (SPEC 3). */
  checksum: string
}

/** A non-fatal remark about the directory (lint/verify show these as warnings). */
export interface Warning {
  file: string
  message: string
  /** A `.sql` entry that up never runs (not a migration name, or not a regular file): up and down say so too. */
  ignored?: true
}

/** The result of reading a migrations directory. */
/** The transaction-control statements, by their leading keywords. */
export type TransactionKeyword =
  | 'BEGIN'
  | 'START TRANSACTION'
  | 'COMMIT'
  | 'END'
  | 'ROLLBACK'
  | 'ABORT'
  | 'COMMIT PREPARED'
  | 'ROLLBACK PREPARED'
  | 'PREPARE TRANSACTION'

/** A problem with one migration file, at a line and column when known. */
export interface FileProblem {
  file: string
  line?: number
  column?: number
  message: string
  /** Set on a transaction-control statement: the run's error then names --allow-transaction-control. */
  transactionControl?: boolean
  /** The SQLSTATE the server would raise (42601 for a syntax error found before the run). */
  sqlState?: string
  /** A down file with no up file: its version (no problem when that version is applied: its up file was deleted). */
  orphanDown?: number
}

export interface Source {
  dir: string
  migrations: MigrationFile[]
  warnings: Warning[]
  /**
   * Problems that make the directory unusable (duplicates, orphan downs,
   * versions out of range, undecodable files). `up`/`down` refuse to run
   * when any exist; `verify` reports them.
   */
  problems: FileProblem[]
}

/** A row of `migration_records` (duplicates of one version collapsed). */
export interface AppliedRow {
  version: number
  name: string
  appliedAt: Date
  checksum: string
}

/**
 * `interrupted`: a run of a file without a transaction stopped half-way (up
 * or down); `partial`: a file with its own BEGIN/COMMIT blocks failed after
 * one of them committed. Both until the version is run again successfully or
 * resolved with `mark`.
 */
export type MigrationState = 'applied' | 'pending' | 'modified' | 'missing' | 'interrupted' | 'partial'

/**
 * A statement-by-statement run of a version that did not finish, as its
 * marker in `link_migrate_progress` holds it (statements numbered from 1).
 */
export interface ProgressMarker {
  version: number
  direction: 'up' | 'down'
  name: string
  file: string
  /** The checksum of the file that ran (a changed file restarts the marker's list). */
  checksum: string
  kind: 'no-transaction' | 'own-transactions'
  /** The line of each statement (statement N at `lines[N - 1]`). */
  lines: number[]
  /** Statements known to have taken effect (committed). */
  ran: number[]
  /** The statement running outside a transaction when the run stopped: it may or may not have taken effect. */
  running: number | null
  /** The error the run stopped with; null when the process died. */
  error: string | null
  startedAt: Date
  updatedAt: Date
}

/** What status and verify say about an unfinished run. */
export interface Interruption {
  direction: 'up' | 'down'
  kind: 'no-transaction' | 'own-transactions'
  file: string
  /** Statements in the file. */
  statements: number
  /** Statements that took effect (committed) and stay in effect. */
  ran: { statement: number; line: number }[]
  /** A statement that was running when the process stopped: it may or may not have taken effect. */
  running: { statement: number; line: number } | null
  error: string | null
  startedAt: string
  updatedAt: string
}

export interface StatusEntry {
  version: number
  name: string
  state: MigrationState
  /** ISO timestamp for applied migrations, null for pending ones. */
  appliedAt: string | null
  /** The checksum recorded when applied (or the file's, when pending). */
  checksum: string
  /** The file's current checksum when it differs from the recorded one. */
  fileChecksum?: string
  hasDown: boolean
  /** State `interrupted` / `partial`: what the unfinished run did. */
  interrupted?: Interruption
}

export interface StatusResult {
  service: string
  currentVersion: number
  pending: number
  migrations: StatusEntry[]
  /** INVALID indexes (a failed CREATE INDEX CONCURRENTLY) among those the service's files create. */
  invalidIndexes: string[]
}

/** One planned step; also the `--dry-run` output. */
export interface PlanStep {
  version: number
  name: string
  direction: 'up' | 'down'
  file: string
  /** Runs inside one transaction with its bookkeeping (else statement by statement). */
  transactional: boolean
  /** SHA-256 of `file` (CRLF -> LF): for a down step, the down file's. */
  checksum: string
  /** The file's SQL; a whole-file BEGIN/COMMIT wrapper blanked out with spaces. */
  sql: string
  /** The file wrapped itself in BEGIN/COMMIT (golang-migrate style); the wrapper is dropped. */
  wrapped?: boolean
  /** From `-- link-migrate:lock-timeout`: PostgreSQL's lock_timeout for this migration. */
  lockTimeoutMs?: number
  /** Why the file runs without a transaction, e.g. `CREATE INDEX CONCURRENTLY`. */
  noTransactionReason?: string
  /**
   * The file runs its own BEGIN/COMMIT blocks (`--allow-transaction-control`):
   * statement by statement as psql would, its bookkeeping in its last
   * transaction.
   */
  ownTransactions?: boolean
  /**
   * The file's statements (the wrapper left out), each sent as its own
   * message: pipelined inside the transaction, or one by one without one.
   */
  statements?: StepStatement[]
}

export interface StepStatement {
  text: string
  /** UTF-16 offset in the file. */
  start: number
  line: number
  column: number
  /** The index a `CREATE INDEX CONCURRENTLY` makes (to drop an INVALID leftover first). */
  createsIndex?: string
  /** In a file that runs its own transactions: the statement's BEGIN, COMMIT, ROLLBACK, ... */
  control?: TransactionKeyword
}

export interface MigrationResult {
  version: number
  name: string
  direction: 'up' | 'down'
  /** 'skipped': another runner applied/rolled it back while we waited. */
  status: 'applied' | 'rolled-back' | 'skipped'
  durationMs: number
}

export interface RunResult {
  service: string
  direction: 'up' | 'down'
  dryRun: boolean
  plan: PlanStep[]
  results: MigrationResult[]
  /** Version recorded in schema_versions after the run (0 when none). */
  currentVersion: number
  warnings: string[]
}

export type FindingKind =
  | 'modified'
  | 'missing-file'
  | 'out-of-order'
  | 'missing-down'
  | 'bad-name'
  | 'duplicate-record'
  | 'invalid-index'
  | 'interrupted'
  | 'partially-applied'
  | 'orphan-down'

export interface Finding {
  kind: FindingKind
  severity: 'error' | 'warning'
  version?: number
  file?: string
  message: string
}

export interface VerifyResult {
  service: string
  ok: boolean
  findings: Finding[]
}

/**
 * Progress leaves the engine as events; the CLI turns them into log lines,
 * a spinner or JSON lines. The engine never prints.
 */
export type MigrateEvent =
  | { type: 'start'; service: string; direction: 'up' | 'down'; dryRun: boolean }
  | { type: 'plan'; service: string; direction: 'up' | 'down'; count: number; steps: PlanStep[] }
  | { type: 'lock-wait'; service: string; holder: LockHolder | null }
  | { type: 'lock-acquired'; service: string; waitedMs: number }
  | { type: 'migration-start'; service: string; index: number; total: number; step: PlanStep }
  | { type: 'migration-done'; service: string; index: number; total: number; result: MigrationResult }
  | { type: 'warning'; service: string; message: string }
  /** A migration waited 2 s for a lock (`waiting`) or failed on lock_timeout: one session it waited for (once per run). */
  | { type: 'blocked'; service: string; file: string; reason: 'waiting' | 'lock_timeout'; waitedMs: number; blocker: Blocker }
  | { type: 'connect-wait'; target: string; reason: string; elapsedMs: number }
  | { type: 'done'; service: string; direction: 'up' | 'down'; applied: number; currentVersion: number }

/** One session the migration waits for. */
export interface Blocker {
  pid: number
  applicationName: string
  clientAddr: string | null
  /** `active`, `idle in transaction`, ... */
  state: string | null
  /** How long its transaction has been open (ms), or null outside a transaction. */
  transactionAgeMs: number | null
  /** The first 80 characters of its current or last query, on one line, passwords masked. */
  query: string
}

export interface LockHolder {
  pid: number
  applicationName: string
  since: string | null
  clientAddr: string | null
}
