/**
 * Executes planned steps one by one, each in its own transaction with its
 * bookkeeping, emitting events as it goes. A failure stops the run; the error
 * carries the steps that completed (they stay applied).
 */
import type { ReservedSql } from 'postgres'
import { isMigrateError, MigrateError } from '../errors.js'
import { runTransactional } from '../db/execute.js'
import { guardSql, recordDownSql, recordUpSql, type Tracking } from '../db/tracking.js'
import type { MigrateEvent, MigrationResult, PlanStep } from '../types.js'

export interface RunContext {
  conn: ReservedSql
  tracking: Tracking
  service: string
  timeoutMs?: number
  emit: (e: MigrateEvent) => void
}

/** Throws the failing step's error with `completed` set to what ran before it. */
export async function runSteps(ctx: RunContext, steps: PlanStep[]): Promise<MigrationResult[]> {
  const completed: MigrationResult[] = []
  for (const [i, step] of steps.entries()) {
    ctx.emit({ type: 'migration-start', service: ctx.service, index: i + 1, total: steps.length, step })
    const started = performance.now()
    let outcome: 'done' | 'skipped'
    try {
      outcome = await runTransactional(ctx.conn, {
        file: step.file,
        prefix: guardSql(ctx.tracking, ctx.service, step.version, step.direction),
        body: step.sql,
        suffix:
          step.direction === 'up'
            ? recordUpSql(ctx.tracking, ctx.service, step)
            : recordDownSql(ctx.tracking, ctx.service, step.version),
        timeoutMs: ctx.timeoutMs,
      })
    } catch (e) {
      const err = isMigrateError(e) ? e : new MigrateError('MIGRATION_FAILED', `${step.file}: ${(e as Error).message}`, { cause: e })
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
