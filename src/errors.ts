/**
 * Every error link-migrate throws is a MigrateError: a stable SCREAMING_SNAKE
 * `code` (documented in README "Error codes"), the process exit code the CLI
 * maps it to, and a message with no ANSI colour and no password in it.
 *
 * The brand is a Symbol so `isMigrateError` works across bundles/realms, where
 * `instanceof` would not (execa's approach).
 */
import type { FileProblem, MigrationResult } from './types.js'

export type { FileProblem }

const BRAND = Symbol.for('link-migrate.error')

/** Exit codes of SPEC section 1. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  integrity: 3,
  pending: 4,
} as const
export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

export type ErrorCode =
  // usage / configuration (exit 2)
  | 'USAGE'
  | 'CONFIG_INVALID'
  | 'SERVICE_INVALID'
  | 'SERVICE_UNCERTAIN'
  | 'DIR_NOT_FOUND'
  | 'TARGET_INVALID'
  // files (exit 1)
  | 'FILE_INVALID'
  | 'FILES_INVALID'
  | 'DOWN_MISSING'
  // database (exit 1)
  | 'CONNECT_FAILED'
  | 'QUERY_FAILED'
  | 'MIGRATION_FAILED'
  | 'MIGRATION_TIMEOUT'
  | 'LOCK_TIMEOUT'
  | 'OUT_OF_ORDER'
  | 'GENERATE_FAILED'
  | 'POOLER_UNSAFE'
  | 'INTERRUPTED'
  | 'CONNECTION_STALLED'
  | 'CONNECTION_LOST'
  | 'LOCK_LOST'
  | 'VERSION_TOO_LARGE'
  | 'READ_ONLY'
  // integrity (exit 3)
  | 'INTEGRITY'

export class MigrateError extends Error {
  readonly [BRAND] = true
  readonly code: ErrorCode
  readonly exitCode: ExitCode
  /** Extra one-line facts shown under the message (server detail, hint, ...). */
  readonly details: string[]
  /**
   * Set on a failure during a run: the migrations that did complete before
   * it (goose's PartialError). They stay applied.
   */
  completed?: MigrationResult[]

  constructor(code: ErrorCode, message: string, opts: { exitCode?: ExitCode; cause?: unknown; details?: string[] } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'MigrateError'
    this.code = code
    this.exitCode = opts.exitCode ?? EXIT.failure
    this.details = opts.details ?? []
  }
}

export function isMigrateError(e: unknown): e is MigrateError {
  return typeof e === 'object' && e !== null && (e as { [BRAND]?: boolean })[BRAND] === true
}

/** Bad flag, bad env var, bad value: exit 2, before anything else happens. */
export class ConfigError extends MigrateError {
  constructor(message: string, code: ErrorCode = 'CONFIG_INVALID') {
    super(code, message, { exitCode: EXIT.usage })
    this.name = 'ConfigError'
  }
}

/** One or more migration files are unusable; raised before the database is touched. */
export class FileError extends MigrateError {
  readonly problems: FileProblem[]
  /** `details`: lines under the message (the source line and a caret for one syntax error). */
  constructor(problems: FileProblem[], details: string[] = []) {
    const first = problems[0]
    const msg =
      problems.length === 1 && first
        ? formatProblem(first)
        : `${problems.length} problems in migration files:\n` + problems.map((p) => '  ' + formatProblem(p)).join('\n')
    super(problems.length === 1 ? 'FILE_INVALID' : 'FILES_INVALID', msg, { details })
    this.name = 'FileError'
    this.problems = problems
  }
}

export function formatProblem(p: FileProblem): string {
  const at = p.line ? `${p.file}:${p.line}${p.column ? ':' + p.column : ''}` : p.file
  return `${at}: ${p.message}`
}

/** The server could not be reached or refused the login. */
export class ConnectError extends MigrateError {
  constructor(message: string, cause?: unknown) {
    super('CONNECT_FAILED', message, { cause })
    this.name = 'ConnectError'
  }
}

/**
 * A statement sent to PostgreSQL failed. When it came from a migration file,
 * `file`, `line` and `column` point at the source (from the server's
 * `position`). The SQL text is deliberately not an enumerable field.
 */
export class QueryError extends MigrateError {
  readonly file?: string
  readonly line?: number
  readonly column?: number
  readonly sqlState?: string
  /** 1-based number of the failing statement in its file, when one statement failed. */
  readonly statement?: number
  constructor(
    message: string,
    fields: {
      code?: ErrorCode
      file?: string
      line?: number
      column?: number
      sqlState?: string
      statement?: number
      details?: string[]
      cause?: unknown
    },
  ) {
    super(fields.code ?? 'QUERY_FAILED', message, { details: fields.details, cause: fields.cause })
    this.name = 'QueryError'
    this.file = fields.file
    this.line = fields.line
    this.column = fields.column
    this.sqlState = fields.sqlState
    this.statement = fields.statement
  }
}

/**
 * The run was stopped through its AbortSignal (the CLI: SIGINT/SIGTERM).
 * `step` is the migration that was running: cancelled on the server and
 * rolled back, or, for a file without a transaction, stopped after the
 * statements in `ran` (not recorded). `completed` (on MigrateError) stay
 * applied; `currentVersion` is the version recorded afterwards.
 */
export class InterruptedError extends MigrateError {
  step?: string
  /** A no-transaction file: the statements that ran (line: text) and stay in effect. */
  ran?: string[]
  /** Whether `step` ran without a transaction (stopped between statements, not rolled back). */
  noTransaction?: boolean
  currentVersion?: number
  constructor(message: string, fields: { step?: string; ran?: string[]; noTransaction?: boolean; cause?: unknown } = {}) {
    super('INTERRUPTED', message, { cause: fields.cause })
    this.name = 'InterruptedError'
    this.step = fields.step
    this.ran = fields.ran
    this.noTransaction = fields.noTransaction
  }
}

export class LockError extends MigrateError {
  constructor(message: string) {
    super('LOCK_TIMEOUT', message)
    this.name = 'LockError'
  }
}

/** verify findings, or `up --strict` refusing changed files: exit 3. */
export class IntegrityError extends MigrateError {
  constructor(message: string, details: string[] = []) {
    super('INTEGRITY', message, { exitCode: EXIT.integrity, details })
    this.name = 'IntegrityError'
  }
}
