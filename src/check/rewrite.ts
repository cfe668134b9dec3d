/**
 * Pure: what the embedded engine runs differently from a server, decided on
 * tokens (words in strings, comments and bodies never count).
 *
 * - Rewritten, because the result is exactly the same on a one-session
 *   engine: `CONCURRENTLY` is dropped from `CREATE [UNIQUE] INDEX`, `DROP
 *   INDEX`, `REINDEX ... CONCURRENTLY` and `ALTER TABLE ... DETACH PARTITION
 *   ... CONCURRENTLY`. Concurrently only changes how long other sessions are
 *   blocked, and there are none; the index (or detached table) is the same.
 *   The keyword is replaced by spaces, so error positions still point into
 *   the file. The file still runs statement by statement, as `up` runs it.
 * - Skipped (never passed): a migration that creates an extension the
 *   embedded engine does not have (postgis, vector, ...).
 */
import { analyzeFile } from '../sql/classify.js'
import { identifierName, tokenize, type Token } from '../sql/lexer.js'
import { lineCol } from '../sql/position.js'
import type { PlanStep, StepStatement } from '../types.js'
import type { Rewrite } from './types.js'

/** The step to run instead, what was rewritten, or why it cannot run at all. */
export interface Adaptation {
  step: PlanStep
  rewrites: Rewrite[]
  skip?: string
}

/**
 * Adapts a prepared step for the embedded engine.
 *
 * @param available extensions the engine can create
 * @param engineLabel e.g. `PGlite 0.5.16`, for the skip reason
 * @example adaptForEmbedded(step, new Set(['plpgsql', 'pgcrypto']), 'PGlite 0.5.16').rewrites
 */
export function adaptForEmbedded(step: PlanStep, available: ReadonlySet<string>, engineLabel: string): Adaptation {
  const missing = createdExtensions(step.sql).filter((e) => !available.has(e.name))
  if (missing.length > 0) {
    const names = [...new Set(missing.map((m) => `"${m.name}"`))].join(', ')
    const at = missing[0]!
    return {
      step,
      rewrites: [],
      skip:
        `${step.file}:${at.line}:${at.column}: extension ${names} is not available in the embedded engine (${engineLabel}); ` +
        'check this migration on a server that has it (check --database-url URL)',
    }
  }
  if (step.transactional || !step.statements) return { step, rewrites: [] }

  const rewrites: Rewrite[] = []
  let sql = step.sql
  const statements: StepStatement[] = step.statements.map((s) => {
    const tokens = tokenize(s.text, { comments: false, base: s.start })
    const found = concurrentlyToken(tokens)
    if (!found) return s
    const { token, statement } = found
    const blank = ' '.repeat(token.end - token.start)
    sql = sql.slice(0, token.start) + blank + sql.slice(token.end)
    const { line, column } = lineCol(step.sql, token.start)
    rewrites.push({
      file: step.file,
      line,
      column,
      from: `${statement} CONCURRENTLY`,
      to: statement,
      reason: 'one session: nothing to wait for, and the result is the same',
    })
    const at = token.start - s.start
    return { ...s, text: s.text.slice(0, at) + blank + s.text.slice(at + blank.length) }
  })
  return rewrites.length === 0 ? { step, rewrites } : { step: { ...step, sql, statements }, rewrites }
}

/** The CONCURRENTLY keyword of a statement that takes one, and the statement's kind. */
function concurrentlyToken(t: Token[]): { token: Token; statement: string } | undefined {
  const word = (i: number) => t[i]?.upper
  if (word(0) === 'CREATE') {
    const i = word(1) === 'UNIQUE' ? 2 : 1
    if (word(i) === 'INDEX' && word(i + 1) === 'CONCURRENTLY') {
      return { token: t[i + 1]!, statement: i === 2 ? 'CREATE UNIQUE INDEX' : 'CREATE INDEX' }
    }
  }
  if (word(0) === 'DROP' && word(1) === 'INDEX' && word(2) === 'CONCURRENTLY') return { token: t[2]!, statement: 'DROP INDEX' }
  // REINDEX [ (options) ] { INDEX | TABLE | SCHEMA | DATABASE | SYSTEM } CONCURRENTLY name.
  // The option form, REINDEX (CONCURRENTLY) ..., is left alone (PGlite runs it as is).
  if (word(0) === 'REINDEX' && word(2) === 'CONCURRENTLY') return { token: t[2]!, statement: `REINDEX ${word(1)}` }
  if (word(0) === 'ALTER' && word(1) === 'TABLE') {
    const detach = t.findIndex((k, i) => k.upper === 'DETACH' && t[i + 1]?.upper === 'PARTITION')
    const last = t[t.length - 1]
    if (detach > 0 && last?.upper === 'CONCURRENTLY') return { token: last, statement: 'ALTER TABLE ... DETACH PARTITION' }
  }
  return undefined
}

export interface CreatedExtension {
  name: string
  line: number
  column: number
}

/**
 * Extensions a file creates (`CREATE EXTENSION [IF NOT EXISTS] name`), with
 * where. A file that does not split yields none (the runner reports it).
 */
export function createdExtensions(sql: string): CreatedExtension[] {
  if (!/extension/i.test(sql)) return []
  let statements
  try {
    statements = analyzeFile(sql).statements
  } catch {
    return []
  }
  const out: CreatedExtension[] = []
  for (const s of statements) {
    const t = s.tokens ?? []
    if (t[0]?.upper !== 'CREATE' || t[1]?.upper !== 'EXTENSION') continue
    const i = t[2]?.upper === 'IF' && t[3]?.upper === 'NOT' && t[4]?.upper === 'EXISTS' ? 5 : 2
    const name = t[i] ? identifierName(t[i]!) : undefined
    if (name !== undefined) out.push({ name, line: s.line, column: s.column })
  }
  return out
}
