/** up: applies the pending migrations, in order, under the service's lock. */
import { computeState, planUp } from '../core/plan.js'
import { checkSyntax, prepareAll } from '../core/prepare.js'
import { runSteps } from '../core/run.js'
import { readMarkers } from '../db/progress.js'
import { readBookkeeping, tracking } from '../db/tracking.js'
import { InterruptedError } from '../errors.js'
import type { MigrationFile, PlanStep, RunResult } from '../types.js'
import { usable, type Context } from './context.js'
import { locked, POOLED_WARNING, runContext } from './locked.js'
import { checkVersionColumns, count, ignoredFiles, interruptedWarnings, modifiedWarnings, prepare } from './steps.js'
import type { RunOptions } from './types.js'

export async function up(ctx: Context, opts: RunOptions = {}): Promise<RunResult> {
  const { service, emit } = ctx
  const dryRun = opts.dryRun ?? ctx.options.dryRun ?? false
  // Every read a no-op `up` needs, in one round trip, the first after login
  // (the step-by-step path when it cannot tell), begun before the directory
  // is read so that both wait at once.
  const known = ctx.trackingPromise !== undefined
  const read = ctx.ahead(known ? '' : 'reading the bookkeeping tables', (sql) =>
    known ? Promise.resolve(undefined) : readBookkeeping(sql, ctx.options.trackingSchema, service),
  )
  const source = await ctx.load().catch(async (e: unknown) => {
    // A refused directory: as before, no connection is left behind.
    await ctx.abandon()
    throw e
  })
  emit({ type: 'start', service, direction: 'up', dryRun })
  ctx.release()
  const { sql, first: fast } = await read
  if (fast) ctx.trackingPromise ??= Promise.resolve(tracking(fast.schema))
  const t = await ctx.tables()
  // Markers of unfinished runs: a second read only where such a table exists.
  const first = fast
    ? {
        state: computeState(source.migrations, fast.applied.rows, await ctx.net(sql, 'reading the progress markers', readMarkers(sql, t, service, fast.exist.progress))),
        duplicates: fast.applied.duplicates,
        exist: fast.exist,
      }
    : await ctx.readState(sql, t, source)
  usable(source, first.state)
  const warnings = [...ignoredFiles(source), ...modifiedWarnings(first.state)]
  for (const w of warnings) emit({ type: 'warning', service, message: w })
  const prepared = new Map<number, PlanStep>()
  const stepsFor = (files: MigrationFile[]) =>
    prepareAll(files, (f) => {
      let step = prepared.get(f.version)
      if (!step) prepared.set(f.version, (step = prepare(ctx, sql, f, 'up', f.up.content, f.up.file)))
      return step
    })
  const steps = stepsFor(planUp(first.state, opts))
  // Everything that can be seen before a change stops the run here, not half-way.
  await checkSyntax(steps)
  await checkVersionColumns(sql, t, steps)

  // Nothing pending: no lock and no write needed, whatever other runners do.
  if (dryRun || steps.length === 0) {
    emit({ type: 'plan', service, direction: 'up', count: steps.length, steps })
    for (const w of interruptedWarnings(first.state, steps, 'up')) emit({ type: 'warning', service, message: w })
    // A run that takes the lock says it from there; this one should too (the next may have files to run).
    if (!dryRun && fast && !fast.oneSession) emit({ type: 'warning', service, message: POOLED_WARNING })
    if (!dryRun) emit({ type: 'done', service, direction: 'up', applied: 0, currentVersion: first.state.currentVersion })
    return { service, direction: 'up', dryRun, plan: steps, results: [], currentVersion: first.state.currentVersion, warnings }
  }

  return locked(ctx, opts.signal, async (s) => {
    // Another runner may have applied some while we waited for the lock.
    const { state } = await ctx.readState(s.work, s.t, source)
    const steps = stepsFor(planUp(state, opts))
    emit({ type: 'plan', service, direction: 'up', count: steps.length, steps })
    for (const w of interruptedWarnings(state, steps, 'up')) emit({ type: 'warning', service, message: w })
    const markers = new Set(state.interrupted.map((e) => e.version))
    const results = await runSteps(runContext(ctx, s, opts.signal, markers), steps).catch((e: unknown) => {
      if (e instanceof InterruptedError) e.currentVersion = Math.max(state.currentVersion, ...(e.completed ?? []).map((r) => r.version))
      throw e
    })
    // A skipped step was applied by another runner: it counts as applied too.
    const currentVersion = Math.max(state.currentVersion, ...results.map((r) => r.version))
    emit({ type: 'done', service, direction: 'up', applied: count(results, 'applied'), currentVersion })
    return { service, direction: 'up' as const, dryRun: false, plan: steps, results, currentVersion, warnings }
  })
}
