/**
 * Turns engine events into output: the old tool's log lines, a spinner with
 * `[3/120]` progress on a terminal, or JSON lines under `--json`. Each
 * applied/rolled-back line carries its duration after the old tool's words,
 * the last line the run's total, and a migration running longer than 5 s
 * gets a still-running line every 10 s (plain output: logs need a pulse).
 */
import { eventLine } from '../core/messages.js'
import type { MigrateEvent, PlanStep } from '../types.js'
import type { Output } from './render.js'

interface Spinner {
  start(text: string): void
  stop(): void
}

/**
 * The spinner runs only on a terminal, with colour, outside CI and JSON and
 * quiet mode; ora is loaded only then, so piped runs never pay for it.
 */
export interface Progress {
  (e: MigrateEvent): void
  /** Stops the still-running timer (the run ended, maybe with an error). */
  stop(): void
}

/** First still-running line after this long, then one every STILL_EVERY_MS. */
const STILL_AFTER_MS = 5_000
const STILL_EVERY_MS = 10_000

/**
 * `jsonEvents`: under --json, events are JSON lines on stdout (up/down);
 * otherwise (a command that prints one document) they stay human lines,
 * which --json sends to stderr.
 */
export async function createProgress(out: Output, opts: { tty: boolean; ci: boolean; jsonEvents?: boolean }): Promise<Progress> {
  let spinner: Spinner | undefined
  // A terminal that reports 0 columns (some `script`/`docker -t` setups) makes
  // ora compute an endless number of lines to clear and block the event loop.
  const columns = process.stdout.columns ?? 0
  if (opts.tty && columns > 0 && !opts.ci && out.color && !out.json && !out.quiet) {
    const { default: ora } = await import('ora')
    const s = ora({ stream: process.stdout, discardStdin: false })
    spinner = { start: (text) => s.start(text), stop: () => s.stop() }
  }

  // The still-running line: one timer re-armed at each migration's start
  // (one made and cleared per migration costs 10,000 tiny ones ~15 ms of
  // CPU); any event ends the wait for it. Unref'd: a pending line never
  // keeps the process alive.
  let still: NodeJS.Timeout | undefined
  let again: NodeJS.Timeout | undefined
  let running: { name: string; began: number } | undefined
  const stillLine = () => {
    if (!running) return
    out.log(`Still running migration ${running.name} (${duration(performance.now() - running.began)})`)
    again = setTimeout(stillLine, STILL_EVERY_MS).unref()
  }
  const stopStill = () => {
    running = undefined
    if (again) again = void clearTimeout(again)
  }
  let startedAt: number | undefined

  const progress = ((e: MigrateEvent) => {
    stopStill()
    if (out.json && opts.jsonEvents !== false) {
      out.jsonLine(out.verbose ? e : withoutSql(e))
      return
    }
    if (e.type === 'start') startedAt = performance.now()
    if (e.type === 'migration-start') {
      spinner?.start(`[${e.index}/${e.total}] ${e.step.name} ...`)
      if (!spinner) {
        running = { name: e.step.name, began: performance.now() }
        if (still) still.refresh()
        else still = setTimeout(stillLine, STILL_AFTER_MS).unref()
      }
      return
    }
    spinner?.stop()
    const line = eventLine(e)
    if (line === null) return
    if (e.type === 'migration-done') {
      out.log(`${line} (${duration(e.result.durationMs)})`, e.result.status === 'skipped' ? 'info' : 'success')
      return
    }
    if (e.type === 'done' && startedAt !== undefined) {
      const n = e.applied
      const what = `${n} migration${n === 1 ? '' : 's'} ${e.direction === 'up' ? 'applied' : 'rolled back'}`
      out.log(`${line} (${what}, total ${duration(performance.now() - startedAt)})`)
      return
    }
    out.log(line, e.type === 'warning' || e.type === 'lock-wait' || e.type === 'blocked' ? 'warn' : 'info')
  }) as Progress
  progress.stop = () => {
    stopStill()
    clearTimeout(still)
    spinner?.stop()
  }
  return progress
}

/** `35 ms`, `1.2 s`, `2 min 5 s`. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${+(ms / 1000).toFixed(1)} s`
  const s = Math.round(ms / 1000)
  return `${Math.floor(s / 60)} min ${s % 60} s`
}

/**
 * JSON lines carry SQL only under --verbose: a 50 MB file is not a log line.
 * Statements keep their place (line, column) without their text.
 */
export function withoutSql(e: MigrateEvent): object {
  if (e.type === 'plan') return { ...e, steps: e.steps.map(stepWithoutSql) }
  if (e.type === 'migration-start') return { ...e, step: stepWithoutSql(e.step) }
  return e
}

export function stepWithoutSql({ sql: _sql, ...step }: PlanStep): object {
  return step.statements ? { ...step, statements: step.statements.map(({ text: _text, ...rest }) => rest) } : step
}
