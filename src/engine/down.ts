/** down: rolls back applied migrations, newest first, under the service's lock. */
import type { Sql } from 'postgres'
import { checkTarget, isRecorded, planDown, type DownOptions, type State } from '../core/plan.js'
import { checkSyntax, prepareAll } from '../core/prepare.js'
import { runSteps } from '../core/run.js'
import { InterruptedError } from '../errors.js'
import { readSource } from '../source/scan.js'
import type { RunResult, Source } from '../types.js'
import type { Context } from './context.js'
import { locked, runContext } from './locked.js'
import { count, ignoredFiles, interruptedWarnings, prepare } from './steps.js'

export type DownRunOptions = DownOptions & { dryRun?: boolean; signal?: AbortSignal }

export async function down(ctx: Context, opts: DownRunOptions = {}): Promise<RunResult> {
  const { service, emit } = ctx
  const dryRun = opts.dryRun ?? ctx.options.dryRun ?? false
  checkTarget(opts)
  const source = await ctx.load()
  emit({ type: 'start', service, direction: 'down', dryRun })
  const sql = await ctx.db()
  const plan = (state: State) => planSteps(ctx, sql, source, state, opts)

  if (dryRun) {
    const { state } = await ctx.readState(sql, await ctx.tables(), source)
    const { steps, warnings } = await plan(state)
    for (const w of warnings) emit({ type: 'warning', service, message: w })
    emit({ type: 'plan', service, direction: 'down', count: steps.length, steps })
    for (const w of interruptedWarnings(state, steps, 'down')) emit({ type: 'warning', service, message: w })
    return { service, direction: 'down', dryRun, plan: steps, results: [], currentVersion: state.currentVersion, warnings }
  }

  await ctx.usableBeforeWriting(source)
  return locked(ctx, opts.signal, async (s) => {
    const { state } = await ctx.readState(s.work, s.t, source)
    const { steps, warnings } = await plan(state)
    for (const w of warnings) emit({ type: 'warning', service, message: w })
    emit({ type: 'plan', service, direction: 'down', count: steps.length, steps })
    for (const w of interruptedWarnings(state, steps, 'down')) emit({ type: 'warning', service, message: w })
    const markers = new Set(state.interrupted.map((e) => e.version))
    const results = await runSteps(runContext(ctx, s, opts.signal, markers), steps).catch((e: unknown) => {
      if (e instanceof InterruptedError) {
        const gone = new Set((e.completed ?? []).map((r) => r.version))
        const applied = state.entries.filter((x) => isRecorded(x) && !gone.has(x.version)).map((x) => x.version)
        e.currentVersion = Math.max(0, ...applied)
      }
      throw e
    })
    const after = await ctx.readState(s.work, s.t, source, false)
    emit({ type: 'done', service, direction: 'down', applied: count(results, 'rolled-back'), currentVersion: after.state.currentVersion })
    return { service, direction: 'down' as const, dryRun: false, plan: steps, results, currentVersion: after.state.currentVersion, warnings }
  })
}

/** The down files to run for `state`, read and checked, with a warning for each whose up file changed. */
async function planSteps(ctx: Context, sql: Sql, source: Source, state: State, opts: DownOptions) {
  const files = planDown(state, source.migrations, opts)
  const warnings = [
    ...ignoredFiles(source),
    ...files
      .filter((f) => state.modified.some((m) => m.version === f.version))
      .map((f) => `${f.up.file} changed since it was applied; its down file may not match what is in the database`),
  ]
  const contents = await Promise.all(files.map(async (f) => (await readSource(f.down!)).content))
  const steps = prepareAll(files, (f) => prepare(ctx, sql, f, 'down', contents[files.indexOf(f)]!, f.down!.file))
  // A syntax error in the 8th down of `down --to 40` stops it before the first rollback.
  await checkSyntax(steps)
  return { steps, warnings }
}
