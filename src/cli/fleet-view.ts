/**
 * What a person sees of a fleet run: a live line on a terminal (done /
 * running / failed, via ora), one plain line per finished target in logs,
 * then the summary table. Under --json every event is a JSON line on stderr's
 * side (human text), and the result one document on stdout.
 */
import { eventLine } from '../core/messages.js'
import { formatMs } from '../db/lock.js'
import type { FleetEvent, FleetResult, FleetRow } from '../fleet/types.js'
import type { Output } from './render.js'
import { table } from './table.js'

/** The event handler for a fleet run; `stop()` clears the live line before the summary is printed. */
export async function createFleetProgress(
  out: Output,
  opts: { tty: boolean; ci: boolean },
): Promise<{ onEvent: (e: FleetEvent) => void; stop: () => void }> {
  let spinner: { text: string; readonly isSpinning: boolean; start(): void; stop(): void } | undefined
  const columns = process.stdout.columns ?? 0
  if (opts.tty && columns > 0 && !opts.ci && out.color && !out.json && !out.quiet) {
    const { default: ora } = await import('ora')
    spinner = ora({ stream: process.stdout, discardStdin: false })
  }
  let total = 0
  let finished = 0
  let failed = 0
  const running = new Set<string>()
  const live = () => {
    if (!spinner) return
    const names = [...running].slice(0, 3).join(', ') + (running.size > 3 ? ', ...' : '')
    spinner.text = `${finished}/${total} done, ${running.size} running${failed ? `, ${failed} failed` : ''}${names ? `: ${names}` : ''}`
  }
  /** Prints a line above the live one. */
  const say = (line: string, kind: Parameters<Output['log']>[1]) => {
    spinner?.stop()
    out.log(line, kind)
    if (spinner && finished < total) spinner.start()
  }

  const onEvent = (e: FleetEvent) => {
    switch (e.type) {
      case 'fleet-start':
        total = e.total - e.resumed
        live()
        say(
          `Fleet ${e.command}: ${e.total} target(s)` +
            (e.resumed ? `, ${e.resumed} already done (journal)` : '') +
            `, ${e.parallel} at a time` +
            (e.canary ? `, canary: the first ${e.canary}` : ''),
          'info',
        )
        return
      case 'target-start':
        running.add(e.target)
        live()
        // The live line starts with the first target (ora renders on start).
        if (spinner && !spinner.isSpinning) spinner.start()
        if (!spinner) out.log(`${e.target}: started (${e.url})`, 'detail')
        return
      case 'target-event': {
        // Each target's own log lines only under --verbose: 200 databases x 20
        // migrations is 4,000 lines nobody reads.
        const line = eventLine(e.event)
        if (line && out.verbose) say(`${e.target}: ${line}`, 'detail')
        return
      }
      case 'target-done':
        running.delete(e.row.target)
        finished++
        if (e.row.result === 'failed') failed++
        live()
        say(targetLine(e.row), e.row.result === 'failed' ? 'error' : e.row.result === 'ok' ? 'success' : 'warn')
        return
      case 'fleet-stopping':
        say(stoppingLine(e.reason, e.target), 'warn')
        return
      case 'fleet-done':
        spinner?.stop()
        return
    }
  }
  return { onEvent, stop: () => spinner?.stop() }
}

function stoppingLine(reason: 'canary' | 'error' | 'interrupted', target?: string): string {
  if (reason === 'canary') return `Canary ${target} did not succeed: the other targets are not started`
  if (reason === 'error') return `${target} failed: no new target starts (--on-error stop); running ones stop after their current migration`
  return 'Interrupted: no new target starts; the running migrations are cancelled and rolled back (again to exit at once)'
}

/** `t012: ok 3 -> 20, 17 applied (1.2s)`; a failure with its first error. */
export function targetLine(r: FleetRow): string {
  const versions = r.before === null && r.after === null ? '' : r.before === r.after ? ` at ${v(r.after)}` : ` ${v(r.before)} -> ${v(r.after)}`
  const applied = r.applied ? `, ${r.applied} ${r.before !== null && r.after !== null && r.after < r.before ? 'rolled back' : 'applied'}` : ''
  const pending = r.pending !== undefined ? `, ${r.pending} pending` : ''
  const head = `${r.target}: ${r.result}${versions}${applied}${pending} (${formatMs(r.durationMs)})`
  return r.error ? `${head}: ${errorText(r)}` : head
}

function v(n: number | null): string {
  return n === null ? '?' : String(n)
}

/** `003_x.up.sql:14:7: syntax error ...`: the message already names the file when it has one. */
function errorText(r: FleetRow): string {
  const e = r.error!
  const at = e.file ? `${e.file}${e.line ? ':' + e.line : ''}${e.line && e.column ? ':' + e.column : ''}` : ''
  return at && !e.message.startsWith(e.file!) ? `${at}: ${e.message}` : e.message
}

/** The summary table and a totals line. */
export function printSummary(out: Output, result: FleetResult): void {
  const rows = result.targets.map((r) => [
    r.target,
    r.before === null && r.after === null ? '-' : r.before === r.after ? v(r.after) : `${v(r.before)} -> ${v(r.after)}`,
    String((result.command === 'status' ? r.pending : result.command === 'verify' || result.command === 'drift' ? r.problems : r.applied) ?? '-'),
    r.result === 'skipped' || r.result === 'done-before' ? '-' : formatMs(r.durationMs),
    r.result,
    r.error ? oneLine(errorText(r), 100) : '',
  ])
  const third =
    result.command === 'status' ? 'PENDING' : result.command === 'verify' || result.command === 'drift' ? 'PROBLEMS' : result.command === 'down' ? 'ROLLED BACK' : 'APPLIED'
  out.print('')
  out.print(table(['TARGET', 'VERSION', third, 'TIME', 'RESULT', 'FIRST ERROR'], rows))
  out.print('')
  const c = result.counts
  const parts = (['ok', 'done-before', 'failed', 'stopped', 'skipped'] as const).filter((k) => c[k] > 0).map((k) => `${c[k]} ${k}`)
  out.print(`${c.total} target(s): ${parts.join(', ')} in ${formatMs(result.durationMs)}`)
  for (const d of result.duplicates) out.print(`${d.target} (${d.origin ?? ''}) is the same database as ${d.sameAs}: run once`)
  if (result.journal) out.print(`Journal: ${result.journal}${result.ok ? '' : ' (run again with --resume to skip the targets already done)'}`)
}

function oneLine(s: string, max: number): string {
  const line = s.replace(/\s+/g, ' ')
  return line.length > max ? line.slice(0, max - 3) + '...' : line
}
