/**
 * How `check --locks` (and `lint --trace`) shows the lock trace: per
 * statement lines as each migration is checked, then lint held against
 * the trace and the --fail-on verdicts; GitHub annotations for the strong
 * locks and rewrites.
 */
import type { CheckResult, MigrationCheck, TracedLock, TracedStatement } from '../check/index.js'
import { isStrong } from '../check/lock-modes.js'
import type { Output } from './render.js'

/**
 * A lock other sessions feel: on a relation that existed before the
 * migration (its table's lock covers an index, except for a documented
 * lock, which names only what the statement names).
 */
function felt(l: TracedLock, s?: TracedStatement): boolean {
  return l.existed && ((s !== undefined && !s.observed) || (l.kind !== 'index' && l.kind !== 'partitioned index'))
}

/** `held while 3 more statements run (until COMMIT)`, or `released when it ends`. */
export function heldPhrase(s: TracedStatement): string {
  if (s.heldWhile === 0) return s.observed ? 'released when it ends' : 'runs outside a transaction'
  return `held while ${s.heldWhile} more statement${s.heldWhile === 1 ? '' : 's'} run${s.heldWhile === 1 ? 's' : ''} (until COMMIT)`
}

/**
 * The lines for one statement: where and what, then each lock and the
 * rewrites. `heldSince`: the line of an earlier statement of its
 * transaction whose lock on an existing relation is still held (a lock
 * already held is not taken again, so it shows no new one).
 */
export function statementLines(s: TracedStatement, heldSince?: number): string[] {
  const lines = [`${s.file}:${s.line}  ${s.statement.length > 100 ? s.statement.slice(0, 97) + '...' : s.statement}`]
  const shown = s.locks.filter((l) => felt(l, s))
  const made = s.locks.filter((l) => !l.existed && l.kind !== 'index')
  for (const l of shown) {
    const doc = s.observed ? '' : ' (documented; not observable outside a transaction)'
    lines.push(`    ${l.mode} on ${l.relation}${doc}: blocks ${l.blocks}; ${heldPhrase(s)}`)
  }
  if (shown.length === 0) {
    if (made.length > 0) lines.push(`    locks only what it creates (${made.map((l) => l.relation).join(', ')})`)
    else if (heldSince !== undefined) lines.push(`    no new lock: runs under the locks taken at line ${heldSince}`)
    else lines.push('    no lock on an existing relation')
  }
  if (s.rewrites.length > 0) lines.push(`    rewrites ${s.rewrites.join(', ')}`)
  return lines
}

/** Per-migration trace lines (human mode), right after the migration's status line. */
export function printStatements(out: Output, m: MigrationCheck): void {
  if (!m.statements || out.quiet) return
  for (const [i, s] of m.statements.entries()) {
    const strong = s.rewrites.length > 0 || s.locks.some((l) => felt(l) && isStrong(l.mode))
    const earlier = m.statements
      .slice(0, i)
      .filter((e, j) => e.file === s.file && e.heldWhile >= i - j && e.locks.some((l) => felt(l)))
      .at(-1)
    for (const line of statementLines(s, earlier?.line)) out.log(`  ${line}`, strong ? 'warn' : 'info')
  }
}

/** After the check: lint held against the trace, then the --fail-on verdicts. */
export function printReview(out: Output, r: CheckResult): void {
  const review = r.trace
  if (!review) return
  if (review.lint) {
    const { verdicts, missed } = review.lint
    const confirmed = verdicts.filter((v) => v.confirmed).length
    out.log(`Lint vs trace: ${confirmed} confirmed, ${verdicts.length - confirmed} not confirmed, ${missed.length} missed by lint`)
    for (const v of verdicts) out.log(`  ${v.file}:${v.line}:${v.column} ${v.rule}: ${v.confirmed ? 'confirmed' : 'NOT confirmed'} (${v.trace})`, v.confirmed ? 'info' : 'warn')
    for (const m of missed) out.log(`  ${m.file}:${m.line} missed by lint: ${m.trace}`, 'warn')
  }
  if (review.failOn.length > 0) {
    const n = review.violations.length
    out.log(`--fail-on ${review.failOn.join(',')}: ${n === 0 ? 'nothing holds' : `${n} statement${n === 1 ? '' : 's'} fail${n === 1 ? 's' : ''}`}`, n === 0 ? 'success' : 'error')
    for (const v of review.violations) out.log(`  ${v.file}:${v.line} [${v.condition}] ${v.message}`, 'error')
  }
}

/** `::warning` at each statement with a strong lock or a rewrite; `::error` for each --fail-on verdict. */
export function annotateTrace(out: Output, r: CheckResult): void {
  const failing = new Set((r.trace?.violations ?? []).map((v) => `${v.file}:${v.line}`))
  for (const m of r.migrations) {
    for (const s of m.statements ?? []) {
      if (failing.has(`${s.file}:${s.line}`)) continue
      const l = s.locks.find((x) => felt(x) && isStrong(x.mode))
      if (!l && s.rewrites.length === 0) continue
      const parts = [l ? `${l.mode} on ${l.relation} blocks ${l.blocks}, ${heldPhrase(s)}` : '', s.rewrites.length > 0 ? `rewrites ${s.rewrites.join(', ')}` : '']
      out.annotation('warning', `lock trace: ${parts.filter(Boolean).join('; ')}`, { file: out.annotationPath(s.file), line: s.line })
    }
  }
  for (const v of r.trace?.violations ?? []) out.annotation('error', `lock trace [${v.condition}]: ${v.message}`, { file: out.annotationPath(v.file), line: v.line })
}
