/**
 * Pure judgements on a lock trace: the `--fail-on` conditions, and lint's
 * lock and rewrite findings held against what the trace saw (confirmed or
 * not; and what the trace saw that lint missed). Plain data in, plain data
 * out: the CLI prints it.
 */
import type { LintFinding } from '../lint/types.js'
import { isStrong, sqlName, strength } from './lock-modes.js'
import type { TracedLock, TracedStatement } from './trace.js'

/**
 * - `rewrite`: a table or index that existed before the migration is rewritten;
 * - `access-exclusive`: ACCESS EXCLUSIVE on a relation (not an index) that existed before the migration;
 * - `blocks-writes`: SHARE or stronger (writes wait) on such a relation;
 * - `lock-held-across-statements`: such a lock is held while more statements of the file run.
 */
export type TraceCondition = 'rewrite' | 'access-exclusive' | 'blocks-writes' | 'lock-held-across-statements'

export const TRACE_CONDITIONS: readonly TraceCondition[] = ['rewrite', 'access-exclusive', 'blocks-writes', 'lock-held-across-statements']

export interface TraceViolation {
  condition: TraceCondition
  file: string
  line: number
  message: string
}

/** A lint finding about a lock or a rewrite, and whether the trace saw it. */
export interface LintVerdict {
  rule: string
  file: string
  line: number
  column: number
  message: string
  confirmed: boolean
  /** What the trace saw at that statement. */
  trace: string
}

/** Something the trace saw on an existing relation with no lint finding at that statement. */
export interface LintMiss {
  file: string
  line: number
  statement: string
  trace: string
}

export interface TraceReview {
  failOn: TraceCondition[]
  violations: TraceViolation[]
  /** Absent when lint was not run. */
  lint?: { verdicts: LintVerdict[]; missed: LintMiss[] }
}

/** A lock on a relation other sessions use (it existed before the migration; indexes go with their table). */
function onExisting(l: TracedLock): boolean {
  return l.existed && l.kind !== 'index' && l.kind !== 'partitioned index'
}

/** What the statement took, in a few words: `AccessExclusiveLock on users (blocks reads and writes); rewrites users`. */
export function describeStatement(s: TracedStatement): string {
  const parts: string[] = []
  const strongest = s.locks.filter(onExisting)
  if (strongest.length > 0) {
    const l = strongest[0]!
    parts.push(`${l.mode} on ${l.relation} (blocks ${l.blocks})`)
  } else if (s.locks.length > 0) parts.push(`${s.locks[0]!.mode} on ${s.locks[0]!.relation} (new)`)
  else parts.push('no lock')
  if (s.rewrites.length > 0) parts.push(`rewrites ${s.rewrites.join(', ')}`)
  return parts.join('; ')
}

/** Every statement that meets one of `conditions`, with a sentence each. */
export function violations(statements: TracedStatement[], conditions: readonly TraceCondition[]): TraceViolation[] {
  const out: TraceViolation[] = []
  for (const s of statements) {
    const at = { file: s.file, line: s.line }
    for (const c of conditions) {
      const existing = s.locks.filter(onExisting)
      switch (c) {
        case 'rewrite':
          if (s.rewrites.length > 0) out.push({ condition: c, ...at, message: `rewrites ${s.rewrites.join(', ')} (every row copied under an ACCESS EXCLUSIVE lock)` })
          break
        case 'access-exclusive': {
          const l = existing.find((x) => x.mode === 'AccessExclusiveLock')
          if (l) out.push({ condition: c, ...at, message: `takes ACCESS EXCLUSIVE on ${l.relation}: reads and writes wait` })
          break
        }
        case 'blocks-writes': {
          const l = existing.find((x) => isStrong(x.mode))
          if (l) out.push({ condition: c, ...at, message: `takes ${sqlName(l.mode)} on ${l.relation}: ${l.blocks} wait` })
          break
        }
        case 'lock-held-across-statements': {
          const l = existing.find((x) => isStrong(x.mode))
          if (l && s.heldWhile > 0) {
            out.push({ condition: c, ...at, message: `${sqlName(l.mode)} on ${l.relation} is held while ${s.heldWhile} more statement${s.heldWhile === 1 ? ' runs' : 's run'} (until COMMIT)` })
          }
          break
        }
      }
    }
  }
  return out
}

/** The locks in effect while a statement runs: its own, and those earlier statements of its transaction still hold. */
interface InEffect {
  statement: TracedStatement
  locks: { lock: TracedLock; since: number }[]
}

const isAccessExclusive = (l: TracedLock) => onExisting(l) && l.mode === 'AccessExclusiveLock'
const blocksWrites = (l: TracedLock) => onExisting(l) && isStrong(l.mode)

/** What a lint rule says about locks or rewrites, as a test on a traced statement. */
const CLAIMS: Record<string, { says: string; holds: (e: InEffect) => boolean }> = {
  'alter-column-type': { says: 'a rewrite', holds: (e) => e.statement.rewrites.length > 0 },
  'volatile-default': { says: 'a rewrite', holds: (e) => e.statement.rewrites.length > 0 },
  'set-not-null': { says: 'ACCESS EXCLUSIVE', holds: (e) => e.locks.some((x) => isAccessExclusive(x.lock)) },
  'missing-lock-timeout': { says: 'ACCESS EXCLUSIVE', holds: (e) => e.locks.some((x) => isAccessExclusive(x.lock)) },
  'index-without-concurrently': { says: 'a lock that blocks writes', holds: (e) => e.locks.some((x) => blocksWrites(x.lock)) },
  'constraint-without-not-valid': {
    says: 'a lock that blocks writes',
    holds: (e) => e.locks.some((x) => onExisting(x.lock) && strength(x.lock.mode) >= strength('ShareRowExclusiveLock')),
  },
}

/** `AccessExclusiveLock on users (blocks reads and writes, held since line 3)`: the strongest lock in effect. */
function describeInEffect(e: InEffect): string {
  const felt = e.locks.filter((x) => onExisting(x.lock)).sort((a, b) => strength(b.lock.mode) - strength(a.lock.mode))
  const top = felt[0]
  if (!top || top.since === e.statement.line) return describeStatement(e.statement)
  const rewrites = e.statement.rewrites.length > 0 ? `; rewrites ${e.statement.rewrites.join(', ')}` : ''
  return `${top.lock.mode} on ${top.lock.relation} (blocks ${top.lock.blocks}, held since line ${top.since})${rewrites}`
}

/** The lint rules whose findings the trace can confirm. */
export const TRACEABLE_RULES: readonly string[] = Object.keys(CLAIMS)

/**
 * Holds lint's lock and rewrite findings against the trace. A finding
 * belongs to the statement of its file that starts at or before its line.
 * Missed: a rewrite, or a lock that blocks writes, on a relation that
 * existed before the migration, at a statement with no such finding.
 */
export function compareWithLint(statements: TracedStatement[], findings: LintFinding[]): { verdicts: LintVerdict[]; missed: LintMiss[] } {
  const byFile = new Map<string, TracedStatement[]>()
  for (const s of statements) {
    const list = byFile.get(s.file) ?? []
    list.push(s)
    byFile.set(s.file, list)
  }
  const statementOf = (file: string, line: number): InEffect | undefined => {
    const list = byFile.get(file) ?? []
    let at = -1
    for (const [i, s] of list.entries()) if (s.line <= line && (at < 0 || s.line >= list[at]!.line)) at = i
    if (at < 0) return undefined
    const statement = list[at]!
    const locks = statement.locks.map((lock) => ({ lock, since: statement.line }))
    for (let i = at - 1; i >= 0; i--) {
      const earlier = list[i]!
      if (earlier.direction === statement.direction && earlier.heldWhile >= at - i) locks.push(...earlier.locks.map((lock) => ({ lock, since: earlier.line })))
    }
    return { statement, locks }
  }
  const verdicts: LintVerdict[] = []
  const covered = new Set<TracedStatement>()
  for (const f of findings) {
    const claim = CLAIMS[f.rule]
    if (!claim) continue
    const e = statementOf(f.file, f.line)
    if (!e) continue // not traced (the migration failed or was skipped earlier)
    covered.add(e.statement)
    const confirmed = claim.holds(e)
    verdicts.push({
      rule: f.rule,
      file: f.file,
      line: f.line,
      column: f.column,
      message: f.message,
      confirmed,
      trace: confirmed ? describeInEffect(e) : `no ${claim.says}: ${describeInEffect(e)}`,
    })
  }
  const missed: LintMiss[] = []
  for (const s of statements) {
    if (covered.has(s) || !s.observed) continue
    if (s.rewrites.length > 0 || s.locks.some((l) => onExisting(l) && isStrong(l.mode))) {
      missed.push({ file: s.file, line: s.line, statement: s.statement, trace: describeStatement(s) })
    }
  }
  return { verdicts, missed }
}

/** Parses `--fail-on rewrite,access-exclusive`; throws a one-line Error naming the bad word. */
export function parseConditions(value: string): TraceCondition[] {
  const out: TraceCondition[] = []
  for (const raw of value.split(',')) {
    const word = raw.trim()
    if (word === '') continue
    if (!(TRACE_CONDITIONS as readonly string[]).includes(word)) {
      throw new Error(`unknown condition ${JSON.stringify(word)} (expected ${TRACE_CONDITIONS.join(', ')})`)
    }
    if (!out.includes(word as TraceCondition)) out.push(word as TraceCondition)
  }
  if (out.length === 0) throw new Error(`no condition given (expected ${TRACE_CONDITIONS.join(', ')})`)
  return out
}
