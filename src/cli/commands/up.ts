import { ConfigError } from '../../errors.js'
import type { RunResult } from '../../types.js'
import { MAX_VERSION } from '../../source/name.js'
import type { Context } from '../context.js'
import { interruptedLine, isInterrupted, listenForSignals, SIGNAL_EXIT, stoppingLine } from '../signals.js'
import { failedRunLine, jsonError } from '../json.js'
import { stepWithoutSql } from '../progress.js'
import { printPlan } from './plan.js'

/** `up`: apply pending migrations; the log lines come from the progress renderer. */
export default async function up(ctx: Context): Promise<number> {
  return interruptible(ctx, 'up', (signal) =>
    ctx.migrator().up({
      ...toOrSteps(ctx),
      allowOutOfOrder: ctx.flags.allowOutOfOrder === true,
      strict: ctx.flags.strict === true,
      dryRun: ctx.dryRun,
      signal,
    }),
  )
}

/**
 * Runs up/down with SIGINT/SIGTERM turned into a clean stop: the engine
 * cancels and rolls back the running migration and releases the lock; one
 * line says what happened; exit 130 (SIGINT) or 143 (SIGTERM).
 */
export async function interruptible(ctx: Context, direction: 'up' | 'down', run: (signal: AbortSignal) => Promise<RunResult>): Promise<number> {
  const signals = listenForSignals((sig) => ctx.out.log(stoppingLine(sig), 'warn'))
  try {
    const result = await run(signals.signal)
    if (result.dryRun) printPlan(ctx, result)
    if (ctx.out.json) ctx.out.jsonLine(resultLine(ctx, result))
    return 0
  } catch (e) {
    const sig = signals.received()
    // Any other failure: main() prints the error and the failed result line.
    if (!sig || !isInterrupted(e)) throw e
    ctx.out.log(interruptedLine(sig, direction, e), 'error')
    const exitCode = SIGNAL_EXIT[sig]!
    if (ctx.out.json) {
      ctx.out.jsonLine({ type: 'error', error: jsonError(e) })
      ctx.out.jsonLine(failedRunLine(direction, e, { service: ctx.target?.service ?? null, dryRun: ctx.dryRun, exitCode, signal: sig }))
    }
    return exitCode
  } finally {
    signals.dispose()
  }
}

/** --to / --steps, checked before anything connects: both at once is a usage error. */
export function toOrSteps(ctx: Context): { to?: number; steps?: number } {
  // Versions go up to 2^53 - 1 (timestamps such as 20240101120000).
  const to = ctx.int('to', '--to', 0, MAX_VERSION)
  const steps = ctx.int('steps', '--steps', 1)
  if (to !== undefined && steps !== undefined) throw new ConfigError('--to and --steps cannot be used together', 'USAGE')
  return { to, steps }
}

/** The last JSON line of a run that succeeded (schemas/run-event.schema.json, type "result"). */
function resultLine(ctx: Context, r: RunResult): object {
  return {
    type: 'result',
    ok: true,
    exitCode: 0,
    service: r.service,
    direction: r.direction,
    dryRun: r.dryRun,
    plan: ctx.out.verbose ? r.plan : r.plan.map(stepWithoutSql),
    results: r.results,
    currentVersion: r.currentVersion,
    warnings: r.warnings,
  }
}
