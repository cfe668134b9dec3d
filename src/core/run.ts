/**
 * Executes planned steps one by one, emitting events as it goes. A
 * transactional step runs in one transaction with its bookkeeping; a
 * no-transaction step runs statement by statement and is recorded in its own
 * transaction after the last statement succeeds. A failure stops the run;
 * the error carries the steps that completed (they stay applied).
 */
import type { ReservedSql } from 'postgres'
import { InterruptedError, isMigrateError, MigrateError, QueryError } from '../errors.js'
import { dropInvalidIndex, invalidIndexes, runBookkeeping, runOwnTransactions, runStatements, runTransactional } from '../db/execute.js'
import { formatMs, type HeldLock } from '../db/lock.js'
import { guardSql, recordDownSql, recordUpSql, type Tracking } from '../db/tracking.js'
import type { MigrateEvent, MigrationResult, PlanStep } from '../types.js'

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
  /** Wraps each migration (lock check, client-side bound, lost connection: core/watch.ts). */
  watch?: (step: PlanStep, run: () => Promise<'done' | 'skipped'>) => Promise<'done' | 'skipped'>
  /** Aborted: the running migration is cancelled and rolled back (a no-transaction file stops between statements); InterruptedError. */
  signal?: AbortSignal
  /** Reports who blocks a migration that waits for a lock (core/blocked.ts). */
  blocked?: <T>(step: PlanStep, lockTimeoutMs: number | undefined, run: () => Promise<T>) => Promise<T>
  /** Injected for tests. */
  sleep?: (ms: number) => Promise<void>
}

/** SQLSTATE lock_not_available: what lock_timeout raises. */
const LOCK_NOT_AVAILABLE = '55P03'

/** Throws the failing step's error with `completed` set to what ran before it. */
export async function runSteps(ctx: RunContext, steps: PlanStep[]): Promise<MigrationResult[]> {
  const completed: MigrationResult[] = []
  for (const [i, step] of steps.entries()) {
    if (ctx.signal?.aborted) {
      const err = new InterruptedError(`interrupted before ${step.name}`)
      err.completed = completed
      throw err
    }
    ctx.emit({ type: 'migration-start', service: ctx.service, index: i + 1, total: steps.length, step })
    const started = performance.now()
    let outcome: 'done' | 'skipped'
    try {
      const lockTimeoutMs = step.lockTimeoutMs ?? ctx.ddlLockTimeoutMs
      const run = () => (ctx.blocked ? ctx.blocked(step, lockTimeoutMs, () => runStep(ctx, step)) : runStep(ctx, step))
      outcome = await withRetries(ctx, step, ctx.watch ? () => ctx.watch!(step, run) : run)
    } catch (e) {
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

async function runStep(ctx: RunContext, step: PlanStep): Promise<'done' | 'skipped'> {
  const guard = guardSql(ctx.tracking, ctx.service, step.version, step.direction)
  const record =
    step.direction === 'up' ? recordUpSql(ctx.tracking, ctx.service, step) : recordDownSql(ctx.tracking, ctx.service, step.version)
  const lockTimeoutMs = step.lockTimeoutMs ?? ctx.ddlLockTimeoutMs

  if (step.transactional) {
    return runTransactional(ctx.conn, {
      file: step.file,
      prefix: guard,
      body: step.sql,
      statements: step.statements,
      suffix: record,
      timeoutMs: ctx.timeoutMs,
      lockTimeoutMs,
      signal: ctx.signal,
    })
  }

  // Without a transaction only the session lock prevents a second runner from
  // running the same statements: refuse when it is not really held.
  if (ctx.lock && (ctx.lock.pooled || !(await ctx.lock.verify()))) {
    throw new MigrateError(
      'POOLER_UNSAFE',
      `${step.file} runs without a transaction (${step.noTransactionReason}), and the migration lock is not held ` +
        'on one server session (a connection pooler in transaction mode?): run it over a direct connection to PostgreSQL',
    )
  }
  const statements = step.statements ?? []
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
    })
  }
  // A failed CREATE INDEX CONCURRENTLY leaves an INVALID index that
  // IF NOT EXISTS would silently keep: drop the ones this file creates.
  const created = statements.flatMap((s) => (s.createsIndex ? [s.createsIndex] : []))
  for (const name of await invalidIndexes(ctx.conn, created)) {
    ctx.emit({ type: 'warning', service: ctx.service, message: `dropping INVALID index ${name} left by an earlier failed run of ${step.file}` })
    await dropInvalidIndex(ctx.conn, name)
  }
  await runStatements(ctx.conn, { file: step.file, content: step.sql, statements, lockTimeoutMs, timeoutMs: ctx.timeoutMs, signal: ctx.signal })
  return runBookkeeping(ctx.conn, guard, record)
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
