/**
 * Words for an unfinished statement-by-statement run (states `interrupted`
 * and `partial`): what took effect and what to do. Shared by verify, up's
 * warnings and status, so they say the same thing.
 */
import type { Interruption } from '../types.js'

/** Short, for a status table cell: `interrupted (up: 1 of 3 statements ran)`. */
export function interruptionState(i: Interruption): string {
  if (i.kind === 'own-transactions') return `partially applied (${i.direction}: ${count(i.ran.length)} committed)`
  const running = i.running ? `, statement ${i.running.statement} was running` : ''
  return `interrupted (${i.direction}: ${i.ran.length} of ${count(i.statements)} ran${running})`
}

/** One line for verify and warnings: what ran, what may have, and how to resolve it. */
export function describeInterruption(name: string, version: number, i: Interruption): string {
  const lines = (list: { line: number }[]) => (list.length === 1 ? `line ${list[0]!.line}` : `lines ${list.map((s) => s.line).join(', ')}`)
  const of = i.kind === 'own-transactions' ? '' : ` of ${count(i.statements)}`
  const ran = i.ran.length === 0 ? `none${of ? ` of its ${count(i.statements)}` : ''} took effect` : `${i.kind === 'own-transactions' ? count(i.ran.length) : i.ran.length + of} ${i.kind === 'own-transactions' ? 'committed' : 'took effect'} (${lines(i.ran)})`
  const running = i.running ? `; statement ${i.running.statement} (line ${i.running.line}) was running and may have taken effect` : ''
  const why = i.error ? ` after an error (${firstLine(i.error)})` : ' (the process was stopped)'
  if (i.kind === 'own-transactions') {
    const mark = i.direction === 'up' ? `link-migrate mark ${version}` : `link-migrate mark ${version} --pending`
    return (
      `${name} is partially ${i.direction === 'up' ? 'applied' : 'rolled back'}: its ${i.direction} file ${i.file} runs its own transactions and stopped${why}; ` +
      `${ran}${running}. Finish or undo the rest by hand and record it with \`${mark}\`, or undo the committed statements and run ${i.direction} again`
    )
  }
  return (
    `${name}: the ${i.direction} file ${i.file} (no transaction) stopped half-way${why}: ${ran}${running}. ` +
    `Run ${i.direction} again: the file runs again from its first statement (INVALID indexes it creates are dropped first)`
  )
}

function count(n: number): string {
  return `${n} statement${n === 1 ? '' : 's'}`
}

function firstLine(s: string): string {
  const line = s.split('\n')[0]!
  return line.length > 160 ? line.slice(0, 157) + '...' : line
}
