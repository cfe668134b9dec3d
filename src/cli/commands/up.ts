import { ConfigError } from '../../errors.js'
import type { Context } from '../context.js'
import { printPlan } from './plan.js'

/** `up`: apply pending migrations; the log lines come from the progress renderer. */
export default async function up(ctx: Context): Promise<number> {
  const result = await ctx.migrator().up({
    ...toOrSteps(ctx),
    allowOutOfOrder: ctx.flags.allowOutOfOrder === true,
    strict: ctx.flags.strict === true,
    dryRun: ctx.dryRun,
  })
  if (result.dryRun) printPlan(ctx, result)
  if (ctx.out.json) ctx.out.jsonLine({ type: 'result', ...withoutSql(result) })
  return 0
}

/** --to / --steps, checked before anything connects: both at once is a usage error. */
export function toOrSteps(ctx: Context): { to?: number; steps?: number } {
  const to = ctx.int('to', '--to')
  const steps = ctx.int('steps', '--steps', 1)
  if (to !== undefined && steps !== undefined) throw new ConfigError('--to and --steps cannot be used together', 'USAGE')
  return { to, steps }
}

export function withoutSql<T extends { plan: { sql: string }[] }>(r: T): T {
  return { ...r, plan: r.plan.map(({ sql: _sql, ...rest }) => rest) } as T
}
