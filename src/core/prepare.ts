/**
 * Pure preparation of one migration file before anything runs: split it,
 * decide transactional or not, refuse what cannot run safely (transaction
 * control, a BEGIN/COMMIT wrapper around CONCURRENTLY, unterminated quotes,
 * psql meta-commands, misplaced directives), and read its directives.
 * Every refusal is a FileError with file:line:col.
 */
import { FileError, type FileProblem } from '../errors.js'
import { analyzeFile, transactionControl } from '../sql/classify.js'
import { identifierName } from '../sql/lexer.js'
import { lineCol, offsetFromServerPosition } from '../sql/position.js'
import { sourceExcerpt } from '../db/error.js'
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
  /**
   * `--allow-transaction-control`: a file with its own BEGIN/COMMIT blocks
   * runs statement by statement as psql runs it, instead of being refused.
   */
  allowTransactionControl?: boolean
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

  // The directive takes PostgreSQL's syntax (checked, with its position, by
  // analyzeFile): `500` is 500 ms, `1min`, `2 h` and `100us` are fine.
  const lockTimeoutMs = analysis.directives.lockTimeout === undefined ? undefined : pgDurationMs(analysis.directives.lockTimeout)

  const enumNeedsNoTx = analysis.addsEnumValue.length > 0 && input.serverMajor !== undefined && input.serverMajor < 12
  // Only PREPARE TRANSACTION and the two-phase commands stay refused: psql runs the rest.
  const ownTransactions =
    input.allowTransactionControl === true &&
    analysis.transactionControl.length > 0 &&
    analysis.transactionControl.every((u) => !/PREPARE/.test(u.keyword))
  const transactional = analysis.transactional && !enumNeedsNoTx && !input.forceNoTransaction && !ownTransactions
  for (const use of ownTransactions ? [] : analysis.transactionControl) {
    problems.push({
      file,
      line: use.line,
      column: use.column,
      transactionControl: true,
      message: transactional
        ? `${use.keyword} controls the transaction; link-migrate runs each migration in its own transaction with its bookkeeping: remove it`
        : `${use.keyword} in a file that runs without a transaction; link-migrate runs its statements one by one: remove it`,
    })
  }
  const noTransactionReason = transactional
    ? undefined
    : ownTransactions
      ? 'the file runs its own transactions (--allow-transaction-control)'
      : (analysis.noTransactionReasons[0]?.reason ??
      (analysis.directives.noTransaction
        ? 'link-migrate:no-transaction directive'
          : enumNeedsNoTx
            ? 'ALTER TYPE ... ADD VALUE before PostgreSQL 12'
            : 'transactions turned off'))
  if (analysis.wrappedInTransaction && !transactional) {
    // Point at the statement that needs no transaction, else at the wrapper's BEGIN.
    const at = analysis.noTransactionReasons[0] ?? analysis.statements[0]
    problems.push({
      file,
      line: at?.line,
      column: at?.column,
      message: `${noTransactionReason} cannot run inside the file's own BEGIN/COMMIT: drop the wrapper`,
    })
  }
  for (const copy of analysis.clientCopy) {
    problems.push({
      file,
      line: copy.line,
      column: copy.column,
      message: `${copy.what} exchanges rows with the client, which a migration file cannot do (psql's inline data is not supported): load the data with INSERT, or COPY from a server-side file`,
    })
  }
  if (problems.length > 0) throw new FileError(problems)

  // Both kinds run statement by statement: inside one transaction, or each on its own.
  const statements: StepStatement[] = analysis.body.map((s) => ({
    text: s.text,
    start: s.start,
    line: s.line,
    column: s.column,
    createsIndex: transactional ? undefined : createdConcurrentIndex(s),
    ...(ownTransactions ? { control: transactionControl(s) ?? undefined } : {}),
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
    noTransactionReason,
    ...(ownTransactions ? { ownTransactions } : {}),
  }
}

const PG_UNITS_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 }

/**
 * A duration in PostgreSQL's syntax for `lock_timeout` (what analyzeFile
 * accepts: a number and an optional unit us, ms, s, min, h, d; a bare number
 * is milliseconds) in whole milliseconds. A non-zero value never rounds down
 * to 0, which PostgreSQL reads as "no timeout"; 0 stays 0.
 */
function pgDurationMs(arg: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(us|ms|s|min|h|d)?$/.exec(arg.trim())
  // analyzeFile only lets through arguments of this form.
  if (m === null) throw new Error(`unexpected lock-timeout argument ${JSON.stringify(arg)}`)
  const ms = Number(m[1]) * PG_UNITS_MS[m[2] ?? 'ms']!
  return ms === 0 ? 0 : Math.max(1, Math.round(ms))
}

/**
 * The index a `CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS] name ON
 * [ONLY] table ...` makes, as written; undefined otherwise, when unnamed or
 * when the statement is malformed.
 * An index lives in its table's schema (PostgreSQL allows no schema on the
 * index name), so with a schema-qualified table the name is qualified the
 * same way: `... i ON app.t` gives `app.i`. Needed to find and drop the
 * INVALID leftover of a failed attempt, whatever the search_path.
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
  /** A dotted name as written (quoted parts keep their quotes, others are folded); i moves past it. */
  const qualifiedName = (): string[] | undefined => {
    const parts: string[] = []
    for (;;) {
      const tok = t[i]
      const name = tok ? identifierName(tok) : undefined
      if (name === undefined) return undefined
      parts.push(tok!.kind === 'quoted-identifier' ? tok!.text : name)
      i++
      if (t[i]?.text !== '.') return parts
      i++
    }
  }
  const index = qualifiedName()
  // `schema.name` is a syntax error (the server says so when the file runs);
  // guessing from it could only look up the wrong relation.
  if (index === undefined || index.length !== 1) return undefined
  if (!word('ON')) return undefined
  word('ONLY')
  const table = qualifiedName()
  if (table === undefined) return undefined
  return table.length >= 2 ? `${table[table.length - 2]}.${index[0]}` : index[0]
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

/**
 * Prepares every file of a plan and refuses them all at once: one FileError
 * listing every problem of every file (file:line:col), not the first file's
 * only. `prepare` throws FileError for one file.
 */
export function prepareAll<T>(items: T[], prepare: (item: T) => PlanStep): PlanStep[] {
  const steps: PlanStep[] = []
  const problems: FileProblem[] = []
  for (const item of items) {
    try {
      steps.push(prepare(item))
    } catch (e) {
      if (!(e instanceof FileError)) throw e
      problems.push(...e.problems)
    }
  }
  if (problems.length === 0) return steps
  const hint = problems.some((p) => p.transactionControl)
    ? ['Files written for psql with their own BEGIN ... COMMIT blocks can run as psql runs them: --allow-transaction-control (README "How a file runs").']
    : []
  throw new FileError(problems, hint)
}

/** Statements longer than this (UTF-16 units) are not parsed before the run. */
const PARSE_LIMIT = 8 * 1024 * 1024

/**
 * Statements are checked in batches of about this many characters, joined
 * by `;` into one parser call: each call has a fixed cost (the text copied
 * into the WASM heap, the parser set up), so 10,000 one-line files cost
 * ~40 ms instead of ~100 ms. A batch that fails is checked statement by
 * statement, so every error is still found and placed.
 */
const BATCH_CHARS = 256 * 1024

/**
 * Whether a statement can share a parser call. A `;` outside parentheses
 * ends a statement in PostgreSQL's grammar everywhere except inside a
 * `BEGIN ATOMIC ... END` routine body, and the splitter has refused every
 * unterminated string, identifier and comment: so a statement checked
 * joined is valid exactly when it is valid alone (one that is not makes the
 * batch fail). A statement that may hold a routine body (an unbalanced one
 * could swallow the next statement's `END`) is checked alone.
 */
function batchable(text: string): boolean {
  return text.length <= BATCH_CHARS && !/atomic/i.test(text)
}

/**
 * Parses every step with PostgreSQL's own grammar (libpg-query, loaded on
 * first use) before anything runs, so a syntax error in the 8th file of a
 * run stops it before the first change instead of half-way. Throws one
 * FileError naming every file:line:col. The server stays the judge of
 * everything else (missing relations, types, permissions).
 */
export async function checkSyntax(steps: PlanStep[]): Promise<void> {
  if (steps.length === 0) return
  const { isFailure, loadParser } = await import('../sql/parser.js')
  const parse = await loadParser()
  // Already loaded by loadParser: fingerprinting checks the grammar without
  // building the JSON tree (twice as fast); only a failure is parsed again
  // for its message and position.
  const { fingerprintSync } = await import('libpg-query')
  const valid = (text: string): boolean => {
    try {
      fingerprintSync(text)
      return true
    } catch {
      return false
    }
  }
  // Statement by statement (or a batch of small ones): libpg-query's memory
  // grows with what it is given (a 200 MB file ran it out of memory: issue
  // 13), and a statement too large for it is left to the server to judge.
  const piecesOf = (step: PlanStep) => (step.statements?.length ? step.statements : [{ text: step.sql, start: 0 }])
  /** Steps whose statements all passed in a batch. */
  const passed = new Set<PlanStep>()
  let batch: PlanStep[] = []
  let texts: string[] = []
  let chars = 0
  const flush = () => {
    if (texts.length > 0 && valid(texts.join('\n;\n'))) for (const step of batch) passed.add(step)
    batch = []
    texts = []
    chars = 0
  }
  for (const step of steps) {
    const pieces = piecesOf(step)
    if (!pieces.every((p) => batchable(p.text))) continue
    let size = 0
    for (const p of pieces) size += p.text.length + 3
    // A step larger than a batch goes statement by statement below: joined
    // whole, a 200 MB file made one 200 MB parser call (1.5 GB of RSS).
    if (size > BATCH_CHARS) continue
    if (chars + size > BATCH_CHARS) flush()
    batch.push(step)
    for (const p of pieces) texts.push(p.text)
    chars += size
  }
  flush()
  const problems: FileProblem[] = []
  for (const step of steps) {
    if (passed.has(step)) continue
    for (const piece of piecesOf(step)) {
      if (piece.text.length > PARSE_LIMIT || valid(piece.text)) continue
      const result = parse(piece.text)
      if (!isFailure(result)) continue
      // The wrapper is blanked with spaces in step.sql, so offsets are the file's.
      const at =
        result.position === undefined
          ? undefined
          : lineCol(step.sql, Math.min(offsetFromServerPosition(step.sql, result.position + 1, piece.start), step.sql.length))
      problems.push({ file: step.file, line: at?.line, column: at?.column, message: result.message, sqlState: '42601' })
      break
    }
  }
  if (problems.length === 0) return
  // One syntax error is shown as the server would show it: its line, a caret, the code.
  const one = problems.length === 1 ? problems[0]! : undefined
  const step = one && steps.find((s) => s.file === one.file)
  const excerpt = one?.line && step ? [...sourceExcerpt(step.sql, one.line, one.column ?? 1), 'SQLSTATE: 42601'] : []
  throw new FileError(problems, excerpt)
}
