import type { Context } from '../context.js'
import { printPlan } from './plan.js'
import { toOrSteps, withoutSql } from './up.js'

/** `down`: roll back the latest applied migration, or more with --steps/--to. */
export default async function down(ctx: Context): Promise<number> {
  const result = await ctx.migrator().down({
    ...toOrSteps(ctx),
    dryRun: ctx.dryRun,
  })
  if (result.dryRun) printPlan(ctx, result)
  if (ctx.out.json) ctx.out.jsonLine({ type: 'result', ...withoutSql(result) })
  return 0
}
