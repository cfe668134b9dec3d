/**
 * Executes planned steps one by one, emitting events as it goes. A
 * transactional step runs in one transaction with its bookkeeping; a
 * no-transaction step runs statement by statement and is recorded in its own
 * transaction after the last statement succeeds. A failure stops the run;
 * the error carries the steps that completed (they stay applied).
 */
import type { ReservedSql } from 'postgres'
import { InterruptedError, isMigrateError, MigrateError, QueryError } from '../errors.js'
import {
  dropInvalidIndex,
  invalidIndexes,
  runBookkeeping,
  runOwnTransactions,
  runStatements,
  type SentTransaction,
  sendTransactional,
  settleTransactional,
  type TransactionalRun,
} from '../db/execute.js'
import { formatMs, type HeldLock } from '../db/lock.js'
import { ensureProgressTable, markerClearSql, markerWriter, type MarkerWriter } from '../db/progress.js'
import { guardSql } from '../db/guard.js'
import { recordDownSql, recordUpSql, type Tracking } from '../db/tracking.js'
import type { MigrateEvent, MigrationResult, PlanStep, StepStatement } from '../types.js'
import { type RunGuards, runGuards } from './guards.js'
import { lockLostError } from './watch.js'

export interface RunContext {
  conn: ReservedSql
  /** The service's session lock: re-checked before a file that runs without a transaction. */
  lock?: HeldLock
  tracking: Tracking
  service: string
  timeoutMs?: number
  /** `--ddl-lock-timeout`: lock_timeout for every migration without its own directive. */
  ddlLockTimeoutMs?: number
  /** `--retries`: how often to retry a migration that failed on lock_timeout. */
  retries?: number
  emit: (e: MigrateEvent) => void
  /**
   * Wraps each migration (lock check, client-side bound, lost connection:
   * core/watch.ts); `behind`: the migrations sent after it in the pipeline.
   */
  watch?: (step: PlanStep, run: () => Promise<'done' | 'skipped'>, behind: () => PlanStep[]) => Promise<'done' | 'skipped'>
  /** Aborted: the running migration is cancelled and rolled back (a no-transaction file stops between statements); InterruptedError. */
  signal?: AbortSignal
  /** Reports who blocks a migration that waits for a lock (core/blocked.ts). */
  blocked?: <T>(step: PlanStep, lockTimeoutMs: number | undefined, run: () => Promise<T>) => Promise<T>
  /**
   * Versions that have a progress marker (an earlier statement-by-statement
   * run that did not finish): their bookkeeping deletes it, also when the
   * file now runs in one transaction.
   */
  markers?: ReadonlySet<number>
  /** Transactional migrations sent ahead of the one running (default AHEAD_STEPS; 0: none). */
  sendAhead?: number
  /** Injected for tests. */
  sleep?: (ms: number) => Promise<void>
}

/** SQLSTATE lock_not_available: what lock_timeout raises. */
const LOCK_NOT_AVAILABLE = '55P03'

/**
 * Transactional migrations sent ahead of the one running, in one pipeline:
 * at most this many, and about this many characters of SQL. Enough to keep
 * the server busy between two answers (issue 20: W4's 10,000 tiny ones).
 */
const AHEAD_STEPS = 16
const AHEAD_CHARS = 1 << 20

/**
 * Throws the failing step's error with `completed` set to what ran before it.
 *
 * Transactional migrations are sent ahead: while one runs, the next few are
 * already on the wire, each its own transaction with its guard and
 * bookkeeping. That stays exactly-once and whole-or-nothing: after a
 * failure the server answers everything sent behind it with "transaction is
 * aborted" until the rollback, and a failure at COMMIT (which ends the
 * transaction) is caught by the next one's guard (the previous version must
 * be recorded); the guard also checks that the session lock is still held
 * (so a lost lock stops the run before the next migration, with no round
 * trip of its own). What was sent behind a failure or a skip is sent again
 * when the run goes on.
 */
export async function runSteps(ctx: RunContext, steps: PlanStep[]): Promise<MigrationResult[]> {
  const guards = runGuards(ctx.conn, ctx.tracking, ctx.service, ctx.lock, steps)
  try {
    const completed = await runAll(ctx, steps, guards)
    guards.finish()
    return completed
  } catch (e) {
    guards.finish(e)
    throw e
  }
}

/** The steps in order (see runSteps). */
async function runAll(ctx: RunContext, steps: PlanStep[], guards: RunGuards): Promise<MigrationResult[]> {
  const completed: MigrationResult[] = []
  const ahead = new Map<number, SentTransaction>()
  /** What was in flight behind the step that just failed (for the lost-connection report). */
  let spoiled: number[] = []
  const dropAhead = () => {
    if (ahead.size > 0) spoiled = [...ahead.keys()]
    ahead.clear()
  }
  const behind = () => (ahead.size > 0 ? [...ahead.keys()] : spoiled).map((j) => steps[j]!)
  /** Sends step `from` (unless already sent) and the transactional ones after it, up to the window. */
  const sendFrom = (from: number) => {
    let chars = 0
    const depth = 1 + Math.max(0, ctx.sendAhead ?? AHEAD_STEPS)
    for (let j = from; j < steps.length && j < from + depth && chars < AHEAD_CHARS; j++) {
      const step = steps[j]!
      if (!step.transactional || (j > from && ctx.signal?.aborted)) break
      if (!ahead.has(j)) ahead.set(j, sendTransactional(ctx.conn, transactionalRun(ctx, guards, step, steps[j - 1])))
      chars += step.sql.length
    }
  }
  for (const [i, step] of steps.entries()) {
    // A migration already sent may be running: wait for it (the cancel stops it).
    if (ctx.signal?.aborted && !ahead.has(i)) {
      const err = new InterruptedError(`interrupted before ${step.name}`)
      err.completed = completed
      throw err
    }
    try {
      ctx.emit({ type: 'migration-start', service: ctx.service, index: i + 1, total: steps.length, step })
    } catch (e) {
      // The caller's hook stops the run here (fleet: sendAhead 0). What is
      // on the wire runs on the server: wait for it, never leave the
      // connection mid-pipeline.
      await drain(ctx, [...ahead.values()])
      throw e
    }
    const started = performance.now()
    let outcome: 'done' | 'skipped'
    try {
      const lockTimeoutMs = step.lockTimeoutMs ?? ctx.ddlLockTimeoutMs
      const once = step.transactional
        ? async () => {
            spoiled = []
            await guards.ready()
            sendFrom(i)
            const sent = ahead.get(i)!
            ahead.delete(i)
            try {
              const result = await settleTransactional(ctx.conn, sent)
              // A skip aborted its transaction: what was sent behind it failed and goes again.
              if (result === 'skipped') dropAhead()
              return result
            } catch (e) {
              dropAhead()
              if (isMigrateError(e) && e.code === 'LOCK_LOST') throw lockLostError(ctx.service, step, e)
              throw e
            }
          }
        : async () => {
            const result = await runStep(ctx, step)
            await guards.restoreAfter(step)
            return result
          }
      const run = () => (ctx.blocked ? ctx.blocked(step, lockTimeoutMs, once) : once())
      outcome = await withRetries(ctx, step, ctx.watch ? () => ctx.watch!(step, run, behind) : run)
    } catch (e) {
      dropAhead()
      let err = isMigrateError(e) ? e : new MigrateError('MIGRATION_FAILED', `${step.file}: ${(e as Error).message}`, { cause: e })
      // Whatever the cancel made the server answer, the run was interrupted.
      if (ctx.signal?.aborted && !(err instanceof InterruptedError)) {
        err = new InterruptedError(`${step.file}: interrupted; the migration was rolled back`, { cause: e })
      }
      if (err instanceof InterruptedError) {
        err.step = step.name
        err.noTransaction ??= !step.transactional
      }
      err.completed = completed
      throw err
    }
    const result: MigrationResult = {
      version: step.version,
      name: step.name,
      direction: step.direction,
      status: outcome === 'skipped' ? 'skipped' : step.direction === 'up' ? 'applied' : 'rolled-back',
      durationMs: Math.round((performance.now() - started) * 10) / 10,
    }
    completed.push(result)
    ctx.emit({ type: 'migration-done', service: ctx.service, index: i + 1, total: steps.length, result })
  }
  return completed
}

/** Waits for migrations already sent; rolls back what a failure among them left open. */
async function drain(ctx: RunContext, sent: SentTransaction[]): Promise<void> {
  if (sent.length === 0) return
  const outcomes = await Promise.all(sent.flatMap((s) => s.outcomes))
  if (outcomes.some((o) => o !== undefined)) await ctx.conn.unsafe('rollback').catch(() => {})
}

/** What a transactional step sends: its guard checks the lock and, after another step of the run, that one's outcome. */
function transactionalRun(ctx: RunContext, guards: RunGuards, step: PlanStep, previous: PlanStep | undefined): TransactionalRun {
  const guard = guards.prefix(step, previous)
  return {
    file: step.file,
    prefix: guard.sql,
    body: step.sql,
    statements: step.statements,
    suffix:
      // The guard function writes an up's bookkeeping itself (db/guard.ts).
      (guard.records
        ? ''
        : step.direction === 'up'
          ? recordUpSql(ctx.tracking, ctx.service, step)
          : recordDownSql(ctx.tracking, ctx.service, step.version)) +
      // An earlier statement-by-statement run of it left a marker: it goes with the bookkeeping.
      (ctx.markers?.has(step.version) ? markerClearSql(ctx.tracking, ctx.service, step.version) : '') +
      guards.restore(step),
    timeoutMs: ctx.timeoutMs,
    lockTimeoutMs: step.lockTimeoutMs ?? ctx.ddlLockTimeoutMs,
    signal: ctx.signal,
  }
}

/** A step that runs without a transaction, or with its own transactions. */
async function runStep(ctx: RunContext, step: PlanStep): Promise<'done' | 'skipped'> {
  const guard = guardSql(ctx.tracking, ctx.service, step.version, step.direction)
  let record =
    step.direction === 'up' ? recordUpSql(ctx.tracking, ctx.service, step) : recordDownSql(ctx.tracking, ctx.service, step.version)
  const lockTimeoutMs = step.lockTimeoutMs ?? ctx.ddlLockTimeoutMs

  // Without a transaction only the session lock prevents a second runner from
  // running the same statements: refuse when it is not really held.
  if (ctx.lock && (ctx.lock.pooled || !(await ctx.lock.verify()))) {
    throw new MigrateError(
      'POOLER_UNSAFE',
      `${step.file} runs without a transaction (${step.noTransactionReason}), and the migration lock is not held ` +
        'on one server session (the connection goes through a pooler or proxy, or a migration released the lock): ' +
        'run it over a direct connection to PostgreSQL',
    )
  }
  const statements = step.statements ?? []
  const marker = await markerFor(ctx, step, statements)
  if (marker) record += marker.clear
  if (step.ownTransactions) {
    return runOwnTransactions(ctx.conn, {
      file: step.file,
      content: step.sql,
      statements,
      guard,
      record,
      version: step.version,
      lockTimeoutMs,
      timeoutMs: ctx.timeoutMs,
      marker,
    })
  }
  // A failed CREATE INDEX CONCURRENTLY leaves an INVALID index that
  // IF NOT EXISTS would silently keep: drop the ones this file creates.
  const created = statements.flatMap((s) => (s.createsIndex ? [s.createsIndex] : []))
  for (const name of await invalidIndexes(ctx.conn, created)) {
    ctx.emit({ type: 'warning', service: ctx.service, message: `dropping INVALID index ${name} left by an earlier failed run of ${step.file}` })
    await dropInvalidIndex(ctx.conn, name)
  }
  await runStatements(ctx.conn, { file: step.file, content: step.sql, statements, lockTimeoutMs, timeoutMs: ctx.timeoutMs, signal: ctx.signal, marker })
  return runBookkeeping(ctx.conn, guard, record)
}

/** Per connection: whether the progress table exists (created once per run, on the first file that needs it). */
const progressTables = new WeakMap<object, Promise<boolean>>()

/**
 * The progress marker of a file that runs statement by statement, so a run
 * killed half-way shows in status and verify (db/progress.ts). Without the
 * privilege to create its table the file runs without one, with a warning.
 */
async function markerFor(ctx: RunContext, step: PlanStep, statements: StepStatement[]): Promise<MarkerWriter | undefined> {
  let ready = progressTables.get(ctx.conn)
  if (!ready) progressTables.set(ctx.conn, (ready = ensureProgressTable(ctx.conn, ctx.tracking)))
  if (!(await ready)) {
    ctx.emit({
      type: 'warning',
      service: ctx.service,
      message: `cannot create the progress table ${ctx.tracking.progress} (no CREATE privilege): if ${step.file} is interrupted half-way, status will not show it`,
    })
    return undefined
  }
  return markerWriter(ctx.tracking, {
    service: ctx.service,
    version: step.version,
    direction: step.direction,
    name: step.name,
    file: step.file,
    checksum: step.checksum,
    kind: step.ownTransactions ? 'own-transactions' : 'no-transaction',
    lines: statements.map((s) => s.line),
  })
}

/** Retries only lock_timeout failures, with exponential backoff (0.5 s, 1 s, 2 s, ... at most 30 s). */
async function withRetries(ctx: RunContext, step: PlanStep, attempt: () => Promise<'done' | 'skipped'>): Promise<'done' | 'skipped'> {
  const retries = ctx.retries ?? 0
  const sleep = ctx.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)))
  for (let n = 0; ; n++) {
    try {
      return await attempt()
    } catch (e) {
      const lockWait = e instanceof QueryError && e.sqlState === LOCK_NOT_AVAILABLE
      if (!lockWait) throw e
      if (n >= retries) {
        if (retries > 0) {
          throw new QueryError(`${e.message} (gave up after ${retries + 1} tries waiting for a lock)`, {
            code: 'MIGRATION_FAILED',
            file: e.file,
            line: e.line,
            column: e.column,
            sqlState: e.sqlState,
            statement: e.statement,
            details: e.details,
            cause: e,
          })
        }
        throw e
      }
      const wait = Math.min(500 * 2 ** n, 30_000)
      ctx.emit({
        type: 'warning',
        service: ctx.service,
        message: `${step.file} waited too long for a lock (lock_timeout); retry ${n + 1} of ${retries} in ${formatMs(wait)}`,
      })
      await sleep(wait)
    }
  }
}
