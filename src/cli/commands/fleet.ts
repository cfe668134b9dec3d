import { ConfigError, EXIT } from '../../errors.js'
import type { FleetCommand, FleetTarget } from '../../fleet/types.js'
import type { Context } from '../context.js'
import { createFleetProgress, printSummary } from '../fleet-view.js'
import { listenForSignals, SIGNAL_EXIT } from '../signals.js'
import { toOrSteps } from './up.js'

/**
 * up/down/status/verify/check --drift over many databases: targets ->
 * migrateFleet -> live progress, summary table or one JSON document.
 * Exit 0 only when every target succeeded.
 */
export default async function fleet(ctx: Context): Promise<number> {
  const { out } = ctx
  const command = fleetCommand(ctx)
  const file = ctx.str('targets')
  const query = ctx.str('targets-query')
  if (file !== undefined && query !== undefined) throw new ConfigError('--targets and --targets-query cannot be used together', 'USAGE')
  const onError = ctx.str('on-error')
  if (onError !== undefined && onError !== 'stop' && onError !== 'continue') {
    throw new ConfigError(`--on-error must be stop or continue, got ${JSON.stringify(onError)}`, 'USAGE')
  }
  const parallel = ctx.int('parallel', '--parallel', 1)
  const canary = ctx.int('canary', '--canary', 0)
  const up = command === 'up' ? { ...toOrSteps(ctx), allowOutOfOrder: ctx.flags.allowOutOfOrder === true, strict: ctx.flags.strict === true } : undefined
  const down = command === 'down' ? { ...toOrSteps(ctx), all: ctx.flags.all === true } : undefined
  if (command === 'status' && ctx.flags.all === true) throw new ConfigError('status --all lists the services of one database; it does not take --targets', 'USAGE')
  // Only runs that change databases journal by default: a status must not
  // overwrite the journal an interrupted up left for --resume.
  const changes = command === 'up' || command === 'down'
  const journal = ctx.str('journal') ?? (file !== undefined && changes && !ctx.dryRun ? `${file}.journal` : undefined)

  // The fleet module (and its targets parsing) loads only for fleet runs.
  const { readTargets, queryTargets, resolveTargets } = await import('../../fleet/targets.js')
  let targets: FleetTarget[]
  if (file !== undefined) targets = await readTargets(file, ctx.env)
  else {
    if (!ctx.connection) throw new ConfigError('--targets-query needs a database to ask: --database-url or DATABASE_URL', 'USAGE')
    targets = await queryTargets(query!, ctx.connection, ctx.migratorSettings.waitForDatabase)
  }
  // Every target's password is a secret of this run's output.
  for (const t of resolveTargets(targets, ctx.env).targets) out.addSecret(t.connection.password)

  const progress = await createFleetProgress(out, { tty: Boolean(process.stdout.isTTY), ci: Boolean(ctx.env.CI && ctx.env.CI !== 'false') })
  // Ctrl-C / SIGTERM: no new target; the running migrations are cancelled and
  // rolled back (signals.ts: a second signal exits at once).
  const signals = listenForSignals()
  const { migrateFleet } = await import('../../fleet/run.js')
  let result
  try {
    result = await migrateFleet({
      ...ctx.migratorSettings,
      targets,
      dir: ctx.target!.dir,
      service: ctx.target!.service,
      command,
      up,
      down,
      parallel,
      canary,
      onError: onError as 'stop' | 'continue' | undefined,
      journal,
      resume: ctx.flags.resume === true,
      signal: signals.signal,
      env: ctx.env,
      onEvent: progress.onEvent,
    })
  } finally {
    progress.stop()
    signals.dispose()
  }

  if (out.json) out.jsonDocument(result)
  else printSummary(out, result)
  const signalled = signals.received()
  if (signalled) return SIGNAL_EXIT[signalled]!
  if (!result.ok) {
    const failed = result.targets.filter((r) => r.result === 'failed')
    return command === 'verify' && failed.length > 0 && failed.every((r) => r.error?.code === 'INTEGRITY') ? EXIT.integrity : EXIT.failure
  }
  if (command === 'status' && ctx.flags.exitCode === true && result.targets.some((r) => (r.pending ?? 0) > 0)) return EXIT.pending
  return EXIT.ok
}

function fleetCommand(ctx: Context): FleetCommand {
  if (ctx.command === 'check') {
    if (ctx.flags.drift !== true) throw new ConfigError('check with --targets runs only as check --drift (a rehearsal needs no fleet)', 'USAGE')
    return 'drift'
  }
  if (ctx.command === 'up' || ctx.command === 'down' || ctx.command === 'status' || ctx.command === 'verify') return ctx.command
  throw new ConfigError(`--targets is for up, down, status, verify and check --drift, not ${ctx.command}`, 'USAGE')
}
