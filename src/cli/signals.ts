/**
 * Ctrl-C and SIGTERM (`docker stop`, a rolling deploy) during up/down: the
 * first signal aborts the run (the engine cancels the running migration on
 * the server and rolls it back, releases the lock, and rejects with an
 * InterruptedError), then one line says what happened, exit 130/143. A
 * second signal exits at once.
 */
import { InterruptedError, isMigrateError } from '../errors.js'
import type { MigrationResult } from '../types.js'

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM']

/** 128 + the signal's number, as shells report it. */
export const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 }

export interface Interruptible {
  signal: AbortSignal
  /** The first signal received, if any. */
  received(): NodeJS.Signals | undefined
  dispose(): void
}

/** `onFirst` runs when the first signal arrives, before the run is aborted (to say so at once). */
export function listenForSignals(onFirst?: (sig: NodeJS.Signals) => void): Interruptible {
  const controller = new AbortController()
  let received: NodeJS.Signals | undefined
  const onSignal = (sig: NodeJS.Signals) => {
    if (received) {
      // process.exit, not a re-raised signal: as PID 1 in a container a
      // signal with no handler is ignored.
      process.exit(SIGNAL_EXIT[sig] ?? 1)
    }
    received = sig
    onFirst?.(sig)
    controller.abort()
  }
  for (const s of SIGNALS) process.on(s, onSignal)
  return {
    signal: controller.signal,
    received: () => received,
    dispose: () => {
      for (const s of SIGNALS) process.off(s, onSignal)
    },
  }
}

export function isInterrupted(e: unknown): e is InterruptedError {
  return isMigrateError(e) && e.code === 'INTERRUPTED'
}

/** Said as soon as the first signal arrives: a stop can take a while (a statement without a transaction runs to its end). */
export function stoppingLine(sig: NodeJS.Signals): string {
  return `Received ${sig}: stopping (the running migration is cancelled and rolled back; a file without a transaction stops after its current statement); a second signal exits at once`
}

/**
 * `Interrupted (SIGTERM): 003_c rolled back; 001_a, 002_b applied; current version 2`.
 */
export function interruptedLine(sig: NodeJS.Signals, direction: 'up' | 'down', e: InterruptedError): string {
  const parts: string[] = []
  if (e.step && e.noTransaction) {
    const n = e.ran?.length ?? 0
    parts.push(`${e.step} stopped after ${n} statement${n === 1 ? '' : 's'} (no transaction: they stay; not recorded, the next up runs the file again)`)
  } else if (e.step) {
    parts.push(direction === 'up' ? `${e.step} rolled back` : `down of ${e.step} cancelled (${e.step} stays applied)`)
  } else if (/waiting for the migration lock/.test(e.message)) {
    parts.push('while waiting for the migration lock')
  }
  const done = (e.completed ?? []).filter((r) => r.status !== 'skipped')
  parts.push(`${names(done) || 'nothing'} ${direction === 'up' ? 'applied' : 'rolled back'}`)
  if (e.currentVersion !== undefined) parts.push(`current version ${e.currentVersion}`)
  return `Interrupted (${sig}): ${parts.join('; ')}`
}

/** `001_a, 002_b` or, for many, `001_a .. 120_x (120)`. */
function names(results: MigrationResult[]): string {
  if (results.length <= 3) return results.map((r) => r.name).join(', ')
  return `${results[0]!.name} .. ${results[results.length - 1]!.name} (${results.length})`
}
