/**
 * Pure preparation of one migration file before anything runs: split it,
 * decide transactional or not, refuse what cannot run safely (transaction
 * control, a BEGIN/COMMIT wrapper around CONCURRENTLY, unterminated quotes,
 * psql meta-commands, misplaced directives), and read its directives.
 * Every refusal is a FileError with file:line:col.
 */
import { parseDuration } from '../cli/values.js'
import { FileError, isMigrateError, type FileProblem } from '../errors.js'
import { analyzeFile } from '../sql/classify.js'
import { identifierName } from '../sql/lexer.js'
import { SqlSyntaxError } from '../sql/lexer.js'
import type { Statement } from '../sql/split.js'
import type { PlanStep, StepStatement } from '../types.js'

export interface PrepareInput {
  version: number
  name: string
  direction: 'up' | 'down'
  file: string
  checksum: string
  content: string
  /** Server major version when known: `ALTER TYPE ... ADD VALUE` needs no transaction before 12. */
  serverMajor?: number
  /** The caller turned transactions off (`useTransactions: false`). */
  forceNoTransaction?: boolean
}

/** Throws FileError (exit 1) naming file:line:col. */
export function prepareStep(input: PrepareInput): PlanStep {
  const { file, content } = input
  let analysis
  try {
    analysis = analyzeFile(content)
  } catch (e) {
    if (e instanceof SqlSyntaxError) throw new FileError([{ file, line: e.line, column: e.column, message: e.message }])
    throw e
  }
  const problems: FileProblem[] = analysis.directives.problems.map((p) => ({ file, line: p.line, column: p.column, message: p.message }))

  let lockTimeoutMs: number | undefined
  if (analysis.directives.lockTimeout !== undefined) {
    try {
      lockTimeoutMs = parseDuration('-- link-migrate:lock-timeout', analysis.directives.lockTimeout)
    } catch (e) {
      problems.push({ file, message: isMigrateError(e) ? e.message : String(e) })
    }
  }

  const enumNeedsNoTx = analysis.addsEnumValue.length > 0 && input.serverMajor !== undefined && input.serverMajor < 12
  const transactional = analysis.transactional && !enumNeedsNoTx && !input.forceNoTransaction
  for (const use of analysis.transactionControl) {
    problems.push({
      file,
      line: use.line,
      column: use.column,
      message: transactional
        ? `${use.keyword} controls the transaction; link-migrate runs each migration in its own transaction with its bookkeeping: remove it`
        : `${use.keyword} in a file that runs without a transaction; link-migrate runs its statements one by one: remove it`,
    })
  }
  if (analysis.wrappedInTransaction && !transactional) {
    const first = analysis.noTransactionReasons[0]
    problems.push({
      file,
      line: first?.line,
      column: first?.column,
      message: `${first?.reason ?? 'this file'} cannot run inside the file's own BEGIN/COMMIT: drop the wrapper`,
    })
  }
  if (problems.length > 0) throw new FileError(problems)

  const statements: StepStatement[] | undefined = transactional
    ? undefined
    : analysis.body.map((s) => ({
        text: s.text,
        start: s.start,
        line: s.line,
        column: s.column,
        createsIndex: createdConcurrentIndex(s),
      }))

  return {
    version: input.version,
    name: input.name,
    direction: input.direction,
    file,
    transactional,
    checksum: input.checksum,
    // The wrapper (if any) is blanked out with spaces, so offsets still match the file.
    sql: analysis.bodyText,
    wrapped: analysis.wrappedInTransaction,
    lockTimeoutMs,
    statements,
    noTransactionReason: transactional ? undefined : (analysis.noTransactionReasons[0]?.reason ??
          (analysis.directives.noTransaction ? 'link-migrate:no-transaction directive' : enumNeedsNoTx ? 'ALTER TYPE ... ADD VALUE before PostgreSQL 12' : 'transactions turned off')),
  }
}

/**
 * The index a `CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS] name ON ...`
 * makes, as written (maybe schema-qualified); undefined otherwise or when
 * unnamed. Needed to drop the INVALID leftover of a failed attempt.
 */
export function createdConcurrentIndex(s: Statement): string | undefined {
  const t = s.tokens ?? []
  let i = 0
  const word = (w: string) => t[i]?.upper === w && ++i > 0
  if (!word('CREATE')) return undefined
  word('UNIQUE')
  if (!word('INDEX') || !word('CONCURRENTLY')) return undefined
  if (t[i]?.upper === 'IF' && t[i + 1]?.upper === 'NOT' && t[i + 2]?.upper === 'EXISTS') i += 3
  if (t[i]?.upper === 'ON') return undefined
  const parts: string[] = []
  for (;;) {
    const tok = t[i]
    const name = tok ? identifierName(tok) : undefined
    if (name === undefined) return undefined
    parts.push(tok!.kind === 'quoted-identifier' ? tok!.text : name)
    if (t[i + 1]?.text !== '.') break
    i += 2
  }
  return parts.join('.')
}

/**
 * Index names that the files create with CREATE INDEX CONCURRENTLY, for
 * reporting INVALID leftovers. Files that cannot be split are skipped (they
 * are reported elsewhere); only files mentioning CONCURRENTLY are split.
 */
export function concurrentIndexNames(contents: string[]): string[] {
  const names: string[] = []
  for (const content of contents) {
    if (!/concurrently/i.test(content)) continue
    try {
      for (const s of analyzeFile(content).body) {
        const name = createdConcurrentIndex(s)
        if (name) names.push(name)
      }
    } catch {
      // A file that does not split is refused by up and reported by verify.
    }
  }
  return names
}
