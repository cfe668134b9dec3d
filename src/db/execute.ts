/**
 * Sending one migration to the server. A transactional migration is a
 * pipeline of simple-protocol messages sent without waiting between them:
 * `BEGIN; guard`, then each statement of the file on its own, then
 * `bookkeeping; COMMIT`. One round trip as before, applied whole or not at
 * all with its bookkeeping, and the first error belongs to one statement, so
 * a run-time error (missing relation, constraint violation, lock timeout)
 * points at that statement's file:line:col, not only a syntax error.
 */
import type { ReservedSql } from 'postgres'
import { InterruptedError, MigrateError, QueryError } from '../errors.js'
import type { StepStatement } from '../types.js'
import { formatMs } from './lock.js'
import { connectionLost, statementError, toQueryError } from './error.js'
import type { MarkerWriter } from './progress.js'
import { ALREADY_APPLIED, LOCK_GONE, NOT_APPLIED } from './tracking.js'

export interface TransactionalRun {
  /** File name for messages. */
  file: string
  /** Statements before the file inside the transaction (guard, settings). */
  prefix: string
  /** The migration file's text, as is (a wrapper blanked out). */
  body: string
  /**
   * The file's statements, each sent as its own message inside the
   * transaction. Absent: the body goes as one message with the rest (errors
   * are then located only from the server's position).
   */
  statements?: StepStatement[]
  /** Bookkeeping after the file, inside the transaction. */
  suffix: string
  /** Cancel the migration after this long (server-side cancel, rolled back). */
  timeoutMs?: number
  /** PostgreSQL lock_timeout inside the migration's transaction. */
  lockTimeoutMs?: number
  /** Aborting it cancels the migration on the server (rolled back): InterruptedError. */
  signal?: AbortSignal
}

/**
 * Back to the user who logged in, after a migration's SET ROLE or SET
 * SESSION AUTHORIZATION (which pg_settings does not list): for the
 * bookkeeping in its transaction, and for the migrations after it.
 */
const OWN_IDENTITY = 'set session authorization default;\nreset role;\n'

/**
 * Undoes what a migration SET for the session (search_path,
 * statement_timeout, custom `app.*` settings, ...), so it does not leak into
 * the migrations after it on this connection, nor (behind a pooler) onto a
 * pooled server connection: `reset all`, keeping link-migrate's own session
 * state, which may live on this very connection (a one-connection pool): the
 * lock token and application_name, that names the lock holder.
 */
const RESET_SESSION =
  // statement_timeout first, so a tiny one the migration set cannot cancel the rest.
  'reset statement_timeout;\n' +
  OWN_IDENTITY +
  "do $lm_reset$ declare token text := current_setting('link_migrate.lock_token', true); " +
  "app text := current_setting('application_name'); begin reset all; " +
  "if coalesce(token, '') <> '' then perform set_config('link_migrate.lock_token', token, false); end if; " +
  'perform set_config(\'application_name\', app, false); end $lm_reset$;'

/**
 * Whether a file may change session settings, so the reset is needed after
 * it. Every way to do so from SQL spells SET, RESET or set_config (also
 * inside DO blocks and strings); a file without those words cannot, except
 * through a function that sets them itself. Skipping the reset matters: its
 * pg_settings scan costs more server time than a small migration.
 */
function maySetSession(body: string): boolean {
  return /\b(set|reset|set_config)\b/i.test(body)
}

/** 'skipped': another runner already did this step (the guard fired). Throws QueryError otherwise. */
export async function runTransactional(conn: ReservedSql, run: TransactionalRun): Promise<'done' | 'skipped'> {
  return settleTransactional(conn, sendTransactional(conn, run))
}

/** A transactional migration whose messages are on their way (see {@link sendTransactional}). */
export interface SentTransaction {
  run: TransactionalRun
  head: string
  queries: ReturnType<ReservedSql['unsafe']>[]
  finished: boolean[]
  /** Each message's failure, or undefined; never rejects. */
  outcomes: Promise<{ e: unknown } | undefined>[]
}

/**
 * Sends a transactional migration's messages without waiting for an answer,
 * behind whatever was sent on `conn` before (postgres.js pipelines a
 * reserved connection's queries): several migrations can be in flight, each
 * its own transaction. If one before it fails, the server answers this
 * one's messages with "transaction is aborted" until the rollback (or its
 * guard stops it: PREVIOUS_NOT_DONE), so it never runs.
 */
export function sendTransactional(conn: ReservedSql, run: TransactionalRun): SentTransaction {
  const lock = run.lockTimeoutMs === undefined ? '' : `set local lock_timeout = ${Math.round(run.lockTimeoutMs)};\n`
  const head = 'begin;\n' + lock + run.prefix
  const setsSession = maySetSession(run.body)
  const tail = (setsSession ? OWN_IDENTITY : '') + run.suffix + 'commit;\n' + (setsSession ? RESET_SESSION : '')
  // One message per statement, the head riding with the first and the
  // bookkeeping with the last: a one-statement file is one message, as cheap
  // as sending the file whole. The newline ends a trailing `--` comment; the
  // `;` ends a last statement without one.
  const statements = run.statements
  const texts = !statements
    ? [head + run.body + '\n;\n' + tail]
    : statements.length === 0
      ? [head + tail]
      : statements.map((s, i) => (i === 0 ? head : '') + s.text + (i === statements.length - 1 ? '\n;\n' + tail : ''))
  const queries = texts.map((text) => conn.unsafe(text))
  const finished = queries.map(() => false)
  const outcomes = queries.map((q, i) =>
    q.then(
      () => void (finished[i] = true),
      (e: unknown) => ((finished[i] = true), { e }),
    ),
  )
  return { run, head, queries, finished, outcomes }
}

/**
 * Waits for a sent migration's answers: its --timeout and the signal count
 * from now (the migrations sent before it have finished by then). After the
 * first error the server answers the rest with "transaction is aborted", so
 * the first failure is the one that counts; it is rolled back, and so is
 * everything sent after it. 'skipped': the guard fired. Throws QueryError,
 * MigrateError (MIGRATION_TIMEOUT, LOCK_LOST) or InterruptedError.
 */
export async function settleTransactional(conn: ReservedSql, sent: SentTransaction): Promise<'done' | 'skipped'> {
  const { run, head, queries, finished, outcomes } = sent
  let timedOut = false
  // The first message not finished: the server cancels the statement it
  // runs, and the ones behind it fail at once in the aborted transaction.
  const cancel = () => {
    const i = finished.indexOf(false)
    if (i !== -1) void Promise.resolve(queries[i]!.cancel()).catch(() => {})
  }
  const timer =
    run.timeoutMs !== undefined
      ? setTimeout(() => {
          timedOut = true
          cancel()
        }, run.timeoutMs)
      : undefined
  // Interrupted: cancel, and again each second while the pipeline runs (a
  // cancel request that reaches the server between two messages is dropped).
  let again: NodeJS.Timeout | undefined
  const onAbort = () => {
    cancel()
    again = setInterval(cancel, 1000)
  }
  if (run.signal?.aborted) onAbort()
  else run.signal?.addEventListener('abort', onAbort, { once: true })
  try {
    const settled = await Promise.all(outcomes)
    const failed = settled.findIndex((o) => o !== undefined)
    if (failed === -1) return 'done'
    const e = settled[failed]!.e
    // The transaction is aborted (on a lost connection the server has already
    // rolled it back); the rollback also waits for what was sent after it.
    await afterFailure(conn, e, 'rollback')
    const state = (e as { code?: string }).code
    if (state === ALREADY_APPLIED || state === NOT_APPLIED) return 'skipped'
    if (state === LOCK_GONE) throw new MigrateError('LOCK_LOST', `${run.file}: ${(e as Error).message}`, { cause: e })
    if (run.signal?.aborted) {
      throw new InterruptedError(`${run.file}: interrupted; the migration was cancelled and rolled back`, { cause: e })
    }
    if (timedOut) {
      throw new MigrateError(
        'MIGRATION_TIMEOUT',
        `${run.file}: cancelled after ${formatMs(run.timeoutMs!)} (--timeout); the migration was rolled back`,
        { cause: e },
      )
    }
    if (!run.statements) throw toQueryError(e, { file: run.file, content: run.body, prefixChars: codePoints(head) })
    const index = failed
    const stmt = run.statements[index]
    // An error of the head or the bookkeeping that shares the message is put
    // at that statement too (the guard's own codes are handled above).
    const prefixChars = index === 0 ? codePoints(head) : 0
    if (stmt) throw statementError(e, { file: run.file, content: run.body, stmt, index, prefixChars, details: [] })
    // A file without statements: the guard or the bookkeeping.
    const where = 'in the bookkeeping'
    const err = toQueryError(e, { file: run.file, content: run.body, prefixChars: Number.MAX_SAFE_INTEGER })
    throw new QueryError(`${run.file}: ${where}: ${(e as Error)?.message ?? String(e)}`, {
      code: 'MIGRATION_FAILED',
      file: run.file,
      sqlState: err.sqlState,
      details: [...err.details, 'The migration was rolled back; nothing of it stays applied.'],
      cause: e,
    })
  } finally {
    if (timer) clearTimeout(timer)
    if (again) clearInterval(again)
    run.signal?.removeEventListener('abort', onAbort)
  }
}

/** Runs bookkeeping-only SQL (mark, repair) in one transaction. */
export async function runBookkeeping(conn: ReservedSql, prefix: string, body: string): Promise<'done' | 'skipped'> {
  try {
    await conn.unsafe('begin;\n' + prefix + body + 'commit;')
    return 'done'
  } catch (e) {
    await afterFailure(conn, e, 'rollback')
    const state = (e as { code?: string }).code
    if (state === ALREADY_APPLIED || state === NOT_APPLIED) return 'skipped'
    throw e
  }
}

/**
 * Cleans up after a failed statement, unless the connection itself is gone:
 * postgres.js 3.4.9 never answers (or crashes on) a query sent on a reserved
 * connection that the server closed.
 */
async function afterFailure(conn: ReservedSql, e: unknown, cleanup: string): Promise<void> {
  if (connectionLost(e)) return
  await conn.unsafe(cleanup).catch(() => {})
}

function codePoints(s: string): number {
  let n = 0
  for (const _ of s) n++
  return n
}

export interface StatementsRun {
  file: string
  /** The whole file, for positions. */
  content: string
  statements: StepStatement[]
  lockTimeoutMs?: number
  /** For the whole file, across its statements. */
  timeoutMs?: number
  /** Aborted: stop before the next statement (the current one finishes): InterruptedError. */
  signal?: AbortSignal
  /** The run's progress marker (db/progress.ts); absent when the table could not be created. */
  marker?: MarkerWriter
}

/**
 * Runs a no-transaction file statement by statement, each as its own
 * simple-protocol message (CREATE INDEX CONCURRENTLY refuses to share one).
 * A failure names file:line:col inside the failing statement and lists the
 * statements that already ran: they are not undone, nothing is recorded, and
 * the next `up` runs the file again from the start. Throws QueryError.
 */
export async function runStatements(conn: ReservedSql, run: StatementsRun): Promise<void> {
  const deadline = run.timeoutMs === undefined ? undefined : Date.now() + run.timeoutMs
  if (run.lockTimeoutMs !== undefined) await conn.unsafe(`set lock_timeout = ${Math.round(run.lockTimeoutMs)}`)
  const marker = run.marker
  // Committed before the first statement: a crash from here on leaves it.
  if (marker) await conn.unsafe(marker.start)
  /** Statements that finished: 1..done. */
  let done = 0
  try {
    for (const [i, stmt] of run.statements.entries()) {
      // A statement of a no-transaction file cannot be rolled back (a cancelled
      // CREATE INDEX CONCURRENTLY leaves an INVALID index): stop between them.
      if (run.signal?.aborted) {
        const ran = run.statements.slice(0, i).map((s) => `line ${s.line}: ${oneLine(s.text)}`)
        throw new InterruptedError(
          `${run.file}: interrupted after ${i} of ${run.statements.length} statements (no transaction); not recorded, the next up runs the file again`,
          { ran, noTransaction: true },
        )
      }
      try {
        // Each statement commits on its own: the marker says, before it is
        // sent, that the one before it finished and that this one runs.
        if (marker) await conn.unsafe(marker.progress(i > 0 ? [i] : [], i + 1))
        await sendBefore(conn, stmt.text, deadline)
        done = i + 1
      } catch (e) {
        const ran = run.statements.slice(0, i)
        const details = ran.length
          ? [
              `${ran.length} statement(s) ran before this one and stay in effect (no transaction); nothing was recorded, so the next up runs the file again:`,
              ...ran.map((s) => `  line ${s.line}: ${oneLine(s.text)}`),
            ]
          : ['No statement of this file ran; nothing was recorded.']
        if ((e as { timedOut?: boolean }).timedOut) {
          throw new MigrateError(
            'MIGRATION_TIMEOUT',
            `${run.file}:${stmt.line}:${stmt.column}: cancelled after ${formatMs(run.timeoutMs!)} (--timeout)`,
            { cause: e, details },
          )
        }
        throw statementError(e, { file: run.file, content: run.content, stmt, index: i, details })
      }
    }
  } catch (e) {
    // As after a transactional migration: a SET in this file (search_path,
    // statement_timeout, ...) and our lock_timeout must not leak into the
    // migrations after it on this connection.
    const stopped = marker ? marker.stopped(numbers(done), (e as Error)?.message ?? String(e)) : ''
    await afterFailure(conn, e, stopped + RESET_SESSION)
    throw e
  }
  await conn.unsafe(RESET_SESSION)
}

/** 1..n */
function numbers(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1)
}

/**
 * Sends one statement on its own; past `deadline` (ms since the epoch) it is
 * cancelled on the server, and the error it then fails with is marked
 * `timedOut: true` (--timeout, not the server's own reason).
 */
async function sendBefore(conn: ReservedSql, text: string, deadline: number | undefined): Promise<void> {
  let timedOut = false
  const query = conn.unsafe(text)
  const timer =
    deadline === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true
          void query.cancel()
        }, Math.max(deadline - Date.now(), 0))
  try {
    await query
  } catch (e) {
    if (timedOut) Object.assign(e as object, { timedOut: true })
    throw e
  } finally {
    if (timer) clearTimeout(timer)
  }
}

/** INVALID indexes among `names` (as written in the files), from a failed CREATE INDEX CONCURRENTLY. */
export async function invalidIndexes(conn: ReservedSql | import('postgres').Sql, names: string[]): Promise<string[]> {
  if (names.length === 0) return []
  const rows = await conn<{ name: string }[]>`
    select n.name from pg_catalog.jsonb_array_elements_text(${JSON.stringify(names)}::text::jsonb) as n(name)
      join pg_index i on i.indexrelid = to_regclass(n.name)
     where not i.indisvalid`
  return rows.map((r) => r.name)
}

/** Drops an INVALID index left by a failed CREATE INDEX CONCURRENTLY, before the file runs again. */
export async function dropInvalidIndex(conn: ReservedSql, name: string): Promise<void> {
  await conn.unsafe(`drop index concurrently if exists ${name}`)
}

function oneLine(sql: string): string {
  const flat = sql.replace(/\s+/g, ' ').trim()
  return flat.length > 100 ? flat.slice(0, 97) + '...' : flat
}

export interface OwnTransactionsRun {
  file: string
  /** The whole file, for positions. */
  content: string
  statements: StepStatement[]
  /** The guard and the bookkeeping, written in the file's last transaction. */
  guard: string
  record: string
  /** For the recovery advice: `link-migrate mark V`. */
  version: number
  lockTimeoutMs?: number
  timeoutMs?: number
  /** The run's progress marker (db/progress.ts); its `clear` is already part of `record`. */
  marker?: MarkerWriter
}

/**
 * Runs a file that manages its own transactions (several `BEGIN ... COMMIT`
 * blocks, `--allow-transaction-control`) statement by statement as psql
 * does. The bookkeeping goes into the file's last transaction (before its
 * final COMMIT), else into its own after the last statement. A failure
 * after an inner COMMIT leaves what was committed in place: the error lists
 * exactly those statements and how to record the version once the rest is
 * done by hand. Throws QueryError.
 */
export async function runOwnTransactions(conn: ReservedSql, run: OwnTransactionsRun): Promise<'done' | 'skipped'> {
  const deadline = run.timeoutMs === undefined ? undefined : Date.now() + run.timeoutMs
  const last = run.statements[run.statements.length - 1]
  const bookkeepingInside = last?.control === 'COMMIT' || last?.control === 'END'
  /** Statements whose effect is committed: outside a block, or in a block that committed. */
  const committed: StepStatement[] = []
  let block: StepStatement[] | undefined
  if (run.lockTimeoutMs !== undefined) await conn.unsafe(`set lock_timeout = ${Math.round(run.lockTimeoutMs)}`)
  const marker = run.marker
  // Committed before the first statement: a crash from here on leaves it.
  if (marker) await conn.unsafe(marker.start)
  /** Statement numbers (1-based) of `committed`, and how many of them the marker holds. */
  const number = new Map(run.statements.map((s, n) => [s, n + 1]))
  const nums = (list: StepStatement[]) => list.map((s) => number.get(s)!)
  let told = 0
  let i = 0
  try {
    for (; i < run.statements.length; i++) {
      const stmt = run.statements[i]!
      const control = stmt.control
      const isLast = i === run.statements.length - 1
      if (bookkeepingInside && isLast) await conn.unsafe(run.guard + run.record)
      else if (marker && !block) {
        // Outside a block a statement commits on its own: say before it runs
        // what committed so far and that this one runs.
        const running = control === 'BEGIN' || control === 'START TRANSACTION' ? null : i + 1
        await conn.unsafe(marker.progress(nums(committed.slice(told)), running))
        told = committed.length
      } else if (marker && block && (control === 'COMMIT' || control === 'END')) {
        // Inside the block, so the marker commits with it or not at all.
        await conn.unsafe(marker.progress(nums([...committed.slice(told), ...block]), null))
      }
      await sendBefore(conn, stmt.text, deadline)
      if (control === 'BEGIN' || control === 'START TRANSACTION') block = []
      else if (control === 'COMMIT' || control === 'END') {
        if (block) committed.push(...block)
        if (marker) told = committed.length
        block = undefined
      } else if (control === 'ROLLBACK' || control === 'ABORT') block = undefined
      else if (block) block.push(stmt)
      else committed.push(stmt)
    }
    const outcome = bookkeepingInside ? 'done' : await runBookkeeping(conn, run.guard, run.record)
    await conn.unsafe(RESET_SESSION)
    return outcome
  } catch (e) {
    // An open block of the file is rolled back; the session settings reset.
    const stopped = marker ? marker.stopped(nums(committed), (e as Error)?.message ?? String(e)) : ''
    await afterFailure(conn, e, 'rollback;\n' + stopped + RESET_SESSION)
    const state = (e as { code?: string }).code
    if (state === ALREADY_APPLIED || state === NOT_APPLIED) return 'skipped'
    const stmt = run.statements[Math.min(i, run.statements.length - 1)]!
    const details = committed.length
      ? [
          `${committed.length} statement(s) of this file were committed before the failure and stay in effect (its own COMMIT); the rest did not run or was rolled back, and nothing was recorded:`,
          ...committed.map((s) => `  line ${s.line}: ${oneLine(s.text)}`),
          `To recover: finish or undo the rest of the file by hand, then record it with \`link-migrate mark ${run.version}\`; ` +
            'or undo the committed statements and run up again.',
        ]
      : ['Nothing of this file was committed; nothing was recorded.']
    if ((e as { timedOut?: boolean }).timedOut) {
      throw new MigrateError('MIGRATION_TIMEOUT', `${run.file}:${stmt.line}:${stmt.column}: cancelled after ${formatMs(run.timeoutMs!)} (--timeout)`, {
        cause: e,
        details,
      })
    }
    throw statementError(e, { file: run.file, content: run.content, stmt, index: i, details })
  }
}
