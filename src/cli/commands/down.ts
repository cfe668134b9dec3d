import type { Context } from '../context.js'
import { interruptible, toOrSteps } from './up.js'

/** `down`: roll back the latest applied migration, or more with --steps/--to. */
export default async function down(ctx: Context): Promise<number> {
  return interruptible(ctx, 'down', (signal) =>
    ctx.migrator().down({
      ...toOrSteps(ctx),
      all: ctx.flags.all === true,
      dryRun: ctx.dryRun,
      signal,
    }),
  )
}
