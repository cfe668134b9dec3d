/**
 * Sending one migration to the server. A transactional migration is one
 * simple-protocol message, `BEGIN; guard; <file>; bookkeeping; COMMIT`: one
 * round trip, applied whole or not at all with its bookkeeping.
 */
import type { ReservedSql } from 'postgres'
import { MigrateError } from '../errors.js'
import { formatMs } from './lock.js'
import { toQueryError } from './error.js'
import { ALREADY_APPLIED, NOT_APPLIED } from './tracking.js'

export interface TransactionalRun {
  /** File name for messages. */
  file: string
  /** Statements before the file inside the transaction (guard, settings). */
  prefix: string
  /** The migration file's text, as is. */
  body: string
  /** Bookkeeping after the file, inside the transaction. */
  suffix: string
  /** Cancel the migration after this long (server-side cancel, rolled back). */
  timeoutMs?: number
}

/** 'skipped': another runner already did this step (the guard fired). Throws QueryError otherwise. */
export async function runTransactional(conn: ReservedSql, run: TransactionalRun): Promise<'done' | 'skipped'> {
  const head = 'begin;\n' + run.prefix
  // The newline ends a trailing `--` comment; the `;` ends a last statement without one.
  const text = head + run.body + '\n;\n' + run.suffix + 'commit;\nreset all;'
  let timedOut = false
  const query = conn.unsafe(text)
  const timer =
    run.timeoutMs !== undefined
      ? setTimeout(() => {
          timedOut = true
          void query.cancel()
        }, run.timeoutMs)
      : undefined
  try {
    await query
    return 'done'
  } catch (e) {
    // The rest of the message was skipped and the transaction is aborted.
    await conn.unsafe('rollback').catch(() => {})
    const state = (e as { code?: string }).code
    if (state === ALREADY_APPLIED || state === NOT_APPLIED) return 'skipped'
    if (timedOut) {
      throw new MigrateError(
        'MIGRATION_TIMEOUT',
        `${run.file}: cancelled after ${formatMs(run.timeoutMs!)} (--timeout); the migration was rolled back`,
        { cause: e },
      )
    }
    throw toQueryError(e, { file: run.file, content: run.body, prefixChars: codePoints(head) })
  } finally {
    if (timer) clearTimeout(timer)
  }
}

/** Runs bookkeeping-only SQL (mark, repair) in one transaction. */
export async function runBookkeeping(conn: ReservedSql, prefix: string, body: string): Promise<'done' | 'skipped'> {
  try {
    await conn.unsafe('begin;\n' + prefix + body + 'commit;')
    return 'done'
  } catch (e) {
    await conn.unsafe('rollback').catch(() => {})
    const state = (e as { code?: string }).code
    if (state === ALREADY_APPLIED || state === NOT_APPLIED) return 'skipped'
    throw e
  }
}

function codePoints(s: string): number {
  let n = 0
  for (const _ of s) n++
  return n
}
