import { EXIT } from '../../errors.js'
import { confirmMany } from '../confirm.js'
import type { Context } from '../context.js'
import { interruptible, toOrSteps } from './up.js'

/**
 * `down`: roll back the latest applied migration, or more with --steps/--to;
 * more than one asks first (or needs --yes without a terminal).
 */
export default async function down(ctx: Context): Promise<number> {
  const target = toOrSteps(ctx)
  const all = ctx.flags.all === true
  const many = all || target.to !== undefined || (target.steps ?? 1) > 1
  if (many && !ctx.dryRun && ctx.flags.yes !== true) {
    const what = all
      ? 'down --all rolls back every applied migration'
      : target.to !== undefined
        ? `down --to ${target.to} rolls back every migration above version ${target.to}`
        : `down --steps ${target.steps} rolls back ${target.steps} migrations`
    const ok = await confirmMany(what, { stdin: process.stdin, stderr: process.stderr, tty: Boolean(process.stdout.isTTY) })
    if (!ok) {
      ctx.out.log('Cancelled: nothing was rolled back', 'warn')
      return EXIT.failure
    }
  }
  return interruptible(ctx, 'down', (signal) =>
    ctx.migrator().down({
      ...target,
      all,
      dryRun: ctx.dryRun,
      signal,
    }),
  )
}
