/**
 * Turns engine events into output: the old tool's log lines, a spinner with
 * `[3/120]` progress on a terminal, or JSON lines under `--json`.
 */
import { eventLine } from '../core/messages.js'
import { formatMs } from '../db/lock.js'
import type { MigrateEvent } from '../types.js'
import type { Output } from './render.js'

interface Spinner {
  start(text: string): void
  stop(): void
}

/**
 * The spinner runs only on a terminal, with colour, outside CI and JSON and
 * quiet mode; ora is loaded only then, so piped runs never pay for it.
 */
export async function createProgress(out: Output, opts: { tty: boolean; ci: boolean }): Promise<(e: MigrateEvent) => void> {
  let spinner: Spinner | undefined
  // A terminal that reports 0 columns (some `script`/`docker -t` setups) makes
  // ora compute an endless number of lines to clear and block the event loop.
  const columns = process.stdout.columns ?? 0
  if (opts.tty && columns > 0 && !opts.ci && out.color && !out.json && !out.quiet) {
    const { default: ora } = await import('ora')
    const s = ora({ stream: process.stdout, discardStdin: false })
    spinner = { start: (text) => s.start(text), stop: () => s.stop() }
  }

  return (e: MigrateEvent) => {
    if (out.json) {
      out.jsonLine(out.verbose ? e : withoutSql(e))
      return
    }
    if (e.type === 'migration-start') {
      spinner?.start(`[${e.index}/${e.total}] ${e.step.name} ...`)
      return
    }
    spinner?.stop()
    const line = eventLine(e)
    if (line === null) return
    if (e.type === 'migration-done') {
      const time = spinner ? ` (${formatMs(Math.round(e.result.durationMs))})` : ''
      out.log(line + time, e.result.status === 'skipped' ? 'info' : 'success')
      return
    }
    out.log(line, e.type === 'warning' || e.type === 'lock-wait' ? 'warn' : 'info')
  }
}

/** JSON lines carry SQL only under --verbose: a 50 MB file is not a log line. */
function withoutSql(e: MigrateEvent): unknown {
  if (e.type === 'plan') return { ...e, steps: e.steps.map(({ sql: _sql, ...rest }) => rest) }
  if (e.type === 'migration-start') {
    const { sql: _sql, ...step } = e.step
    return { ...e, step }
  }
  return e
}
