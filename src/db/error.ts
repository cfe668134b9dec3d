/**
 * Turns a PostgreSQL error raised by a migration into a QueryError that
 * points at the source: `003_add_index.up.sql:14:7: syntax error at or near
 * "TABLEE"`, with the server's detail, hint and context, and the offending
 * line with a caret. This is the only place that maps server positions.
 */
import { QueryError, type ErrorCode } from '../errors.js'
import { lineCol, offsetFromServerPosition } from '../sql/position.js'

interface PgErrorFields {
  message?: string
  code?: string
  position?: string | number
  internal_position?: string | number
  detail?: string
  hint?: string
  where?: string
  severity?: string
}

export interface SourceContext {
  /** File name shown in the message. */
  file: string
  /** The file's text as the server received it (after the prefix). */
  content: string
  /** Characters (code points) sent before the file's first character. */
  prefixChars: number
  /** UTF-16 offset in `content` where the text sent began (a statement of a no-transaction file). */
  from?: number
}

/**
 * True for errors that came from the server: a SQLSTATE and a severity, which
 * every ErrorResponse carries. The severity matters: Node's own socket errors
 * have five-letter codes too (`EPIPE`, `EBUSY`, `EPERM`).
 */
export function isServerError(e: unknown): e is PgErrorFields & Error {
  const err = e as PgErrorFields & { severity_local?: unknown }
  const code = err?.code
  return (
    typeof code === 'string' &&
    /^[0-9A-Z]{5}$/.test(code) &&
    (typeof err.severity === 'string' || typeof err.severity_local === 'string')
  )
}

/**
 * Never throws. Errors without a SQLSTATE (network, cancellation by us) get
 * the file name and their message.
 */
export function toQueryError(e: unknown, ctx: SourceContext, code: ErrorCode = 'MIGRATION_FAILED'): QueryError {
  const err = (e ?? {}) as PgErrorFields
  const message = err.message ?? String(e)
  if (!isServerError(e)) {
    return new QueryError(`${ctx.file}: ${message}`, { code, file: ctx.file, cause: e })
  }
  const details: string[] = []
  let line: number | undefined
  let column: number | undefined
  const position = Number(err.position)
  if (position > ctx.prefixChars) {
    const offset = offsetFromServerPosition(ctx.content, position - ctx.prefixChars, ctx.from ?? 0)
    if (offset !== undefined && offset <= ctx.content.length) {
      ;({ line, column } = lineCol(ctx.content, offset))
      details.push(...sourceExcerpt(ctx.content, line, column))
    }
  }
  // psql's order (\set VERBOSITY verbose): the code, then what the server adds.
  details.push(`SQLSTATE: ${err.code}`)
  if (err.detail) details.push(`DETAIL: ${err.detail}`)
  if (err.hint) details.push(`HINT: ${err.hint}`)
  if (err.where) details.push(...err.where.split('\n').map((w) => `CONTEXT: ${w}`))
  const at = line ? `${ctx.file}:${line}:${column}` : ctx.file
  return new QueryError(`${at}: ${message}`, {
    code,
    file: ctx.file,
    line,
    column,
    sqlState: err.code,
    details,
    cause: e,
  })
}

/** `  14 | CREATE TABLEE users` and a caret under column 7. */
export function sourceExcerpt(content: string, line: number, column: number): string[] {
  const text = content.split(/\r?\n/)[line - 1]
  if (text === undefined) return []
  const gutter = String(line)
  const shown = text.replace(/\t/g, ' ')
  return [`${gutter} | ${shown}`, `${' '.repeat(gutter.length)} | ${' '.repeat(Math.max(column - 1, 0))}^`]
}

/** Codes postgres.js and Node give a connection that is gone. */
const LOST = new Set(['CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'])

/**
 * True when the error means the connection is gone (network cut, backend
 * terminated, server shut down): nothing more may be sent on it. SQLSTATE
 * class 08 and 57P01-57P03 are the server's words for it.
 */
export function connectionLost(e: unknown): boolean {
  for (let err = e as { code?: unknown; cause?: unknown; sqlState?: unknown } | undefined; err; err = err.cause as typeof err) {
    const code = typeof err.sqlState === 'string' ? err.sqlState : err.code
    if (typeof code !== 'string') continue
    if (LOST.has(code) || code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03') return true
  }
  return false
}

/**
 * The error of one statement of a no-transaction file, sent on its own:
 * located inside that statement (or at its start when the server gives no
 * position, a duplicate key say), with `details` appended. Never throws.
 */
export function statementError(
  e: unknown,
  ctx: {
    file: string
    content: string
    stmt: { start: number; line: number; column: number }
    index?: number
    /** Characters sent before the statement in its message (the transaction's head). */
    prefixChars?: number
    details: string[]
  },
): QueryError {
  const err = toQueryError(e, { file: ctx.file, content: ctx.content, prefixChars: ctx.prefixChars ?? 0, from: ctx.stmt.start })
  const message = err.line ? err.message : `${ctx.file}:${ctx.stmt.line}:${ctx.stmt.column}: ${(e as Error)?.message ?? String(e)}`
  return new QueryError(message, {
    code: 'MIGRATION_FAILED',
    file: err.file,
    line: err.line ?? ctx.stmt.line,
    column: err.column ?? ctx.stmt.column,
    sqlState: err.sqlState,
    statement: ctx.index === undefined ? undefined : ctx.index + 1,
    details: [...err.details, ...ctx.details],
    cause: e,
  })
}
