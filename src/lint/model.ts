/**
 * Turns the files to lint into what the rules read: each file split by our
 * own splitter and classified exactly as `up` will run it (transactional or
 * statement by statement, BEGIN/COMMIT wrapper, directives), each statement
 * parsed by PostgreSQL's parser, and for each statement the state it runs
 * in: the tables earlier migrations and earlier statements created, whether
 * `lock_timeout` is set, whether an explicit transaction block is open.
 */
import type { Node } from 'libpg-query'
import { analyzeFile, type FileAnalysis, type TransactionKeyword } from '../sql/classify.js'
import { SqlSyntaxError } from '../sql/lexer.js'
import { byteOffsetToIndex, offsetFromServerPosition } from '../sql/position.js'
import type { Statement } from '../sql/split.js'
import { parseName, type ParsedName } from '../source/name.js'
import { as, intValue, stringConst } from './ast.js'
import { Timeline, type Known } from './known.js'
import { isFailure, type ParseStatement } from '../sql/parser.js'
import { collectEvery } from '../runtime.js'
import type { LintOptions } from './options.js'

/** A file handed to the linter, read and decoded (or why it could not be). */
export interface LintSource {
  /** The name findings use: relative to the directory, or the path as given. */
  file: string
  /** The file's base name, which the naming rules judge. */
  base: string
  /** The text (BOM dropped), unless the file could not be read or decoded. */
  content?: string
  /** Why the file could not be read or decoded. */
  unreadable?: string
}

/** One statement with everything the rules need about it. */
export interface LintStatement {
  /** Index in the file's statements (the wrapper included): what `allow` comments refer to. */
  index: number
  /** Text and position from our splitter. */
  source: Statement
  /** PostgreSQL's parse tree, unless the statement has a syntax error. */
  node?: Node
  /** The parser's complaint, with its UTF-16 offset in the file. */
  parseError?: { message: string; offset: number }
  /** Why it cannot run inside a transaction block (e.g. `CREATE INDEX CONCURRENTLY`). */
  noTransaction?: string
  /** The transaction-control keyword it starts with (not for the whole-file wrapper). */
  control?: TransactionKeyword
  /** The BEGIN or COMMIT of a whole-file wrapper, which the runner drops. */
  wrapper: boolean
  /** Inside an explicit `BEGIN ... COMMIT` written in the file (not the wrapper). */
  inTransactionBlock: boolean
  /** A non-zero `lock_timeout` is in effect when it runs. */
  lockTimeout: boolean
  /** The schema as known before it runs. */
  known: Known
}

/** One file as the rules see it. */
export interface LintFile {
  file: string
  base: string
  /** The parsed migration name; undefined when the name is off the pattern. */
  name?: ParsedName
  content?: string
  unreadable?: string
  /** Set when the file does not even split (unterminated quote, psql meta-command). */
  lexError?: SqlSyntaxError
  analysis?: FileAnalysis
  /** How `up` will run it: in one transaction, else statement by statement. */
  transactional: boolean
  /** It runs its own BEGIN/COMMIT blocks, as psql would (`--allow-transaction-control`). */
  ownTransactions?: boolean
  /** Every statement, the wrapper's BEGIN/COMMIT included. */
  statements: LintStatement[]
}

/** The migration direction of a file; files off the naming pattern are linted like up files. */
export function directionOf(f: LintFile): 'up' | 'down' {
  return f.name?.direction ?? 'up'
}

/**
 * Builds the model: files in run order (up files and other `.sql` files by
 * version, then the order given; then down files by version), each
 * statement with its state. Never throws for bad input: unreadable files,
 * lexing and parse errors are recorded for the rules to report.
 */
export function buildModel(sources: LintSource[], parse: ParseStatement, options: LintOptions): LintFile[] {
  const files = sources.map(analyze)
  const order = new Map(files.map((f, i) => [f, i]))
  const version = (f: LintFile) => f.name?.version ?? Infinity
  const upFirst = (f: LintFile) => (directionOf(f) === 'up' ? 0 : 1)
  // Run order: by version, an up file before the down file of its version,
  // so a down file sees what the up files up to its version made. What an
  // up file creates carries over to later files; what a down file or a
  // migration taken as applied creates does not (its own branch).
  const runOrder = [...files].sort((a, b) => version(a) - version(b) || upFirst(a) - upFirst(b) || order.get(a)! - order.get(b)!)
  const timeline = new Timeline()
  const inBatch = newBatch(options)
  // A migration (its up and down file) is one unit: what it creates is new
  // within it. What a down file creates does not carry over (its own branch).
  let loose = 0
  for (const f of runOrder) {
    const unit = f.name?.version ?? -++loose
    const batch = inBatch(f)
    readStatements(f, directionOf(f) === 'down' ? timeline.branch(unit, batch) : timeline.main(unit, batch), parse, options)
  }
  return [...runOrder.filter((f) => directionOf(f) === 'up'), ...runOrder.filter((f) => directionOf(f) === 'down')]
}

/**
 * Which files belong to the batch not yet deployed, whose tables are new
 * for the later migrations of the batch too. Without any option, none: a
 * table created by an earlier migration is an existing table with rows.
 */
function newBatch(options: LintOptions): (f: LintFile) => boolean {
  const since = options.newSince ?? options.assumeApplied
  const files = options.newFiles ? new Set(options.newFiles) : undefined
  const applied = options.appliedVersions ? new Set(options.appliedVersions) : undefined
  return (f) => {
    if (files && (files.has(f.file) || files.has(f.base))) return true
    if (!f.name) return false
    if (since !== undefined && f.name.version > since) return true
    return applied !== undefined && !applied.has(f.name.version)
  }
}

function analyze(s: LintSource): LintFile {
  const f: LintFile = { file: s.file, base: s.base, transactional: true, statements: [] }
  const name = parseName(s.base)
  if (name) f.name = name
  if (s.unreadable !== undefined) {
    f.unreadable = s.unreadable
    return f
  }
  f.content = s.content ?? ''
  try {
    f.analysis = analyzeFile(f.content)
  } catch (e) {
    if (!(e instanceof SqlSyntaxError)) throw e
    f.lexError = e
  }
  return f
}

/** Fills `f.statements`, each with the state it runs in. */
function readStatements(f: LintFile, start: Known, parse: ParseStatement, options: LintOptions): void {
  const a = f.analysis
  if (!a || f.content === undefined) return
  const text = f.content
  // The same decision as `up` (core/prepare.ts), without a server: ALTER TYPE
  // ... ADD VALUE is taken as transactional (PostgreSQL 12 and later).
  // Only PREPARE TRANSACTION and the two-phase commands stay refused with --allow-transaction-control.
  f.ownTransactions =
    options.allowTransactionControl === true && a.transactionControl.length > 0 && a.transactionControl.every((u) => !/PREPARE/.test(u.keyword))
  f.transactional = a.transactional && options.useTransactions !== false && !f.ownTransactions

  const noTx = new Map(a.noTransactionReasons.map((r) => [r.statement, r.reason]))
  const control = new Map(a.transactionControl.map((c) => [c.statement, c.keyword]))
  const last = a.statements.length - 1

  // The file's directive wins over --ddl-lock-timeout, as in `up`.
  let session = a.directives.lockTimeout !== undefined ? !isZeroDuration(a.directives.lockTimeout) : (options.ddlLockTimeout ?? 0) > 0
  let local: boolean | undefined
  let inBlock = false
  let known = start
  const handled = collectEvery()

  a.statements.forEach((source, index) => {
    handled(source.text.length)
    const stmt: LintStatement = {
      index,
      source,
      wrapper: a.wrappedInTransaction && (index === 0 || index === last),
      inTransactionBlock: inBlock,
      lockTimeout: local ?? session,
      known,
    }
    const reason = noTx.get(index)
    if (reason !== undefined) stmt.noTransaction = reason
    const keyword = control.get(index)
    if (keyword !== undefined) stmt.control = keyword

    const parsed = parse(source.text)
    if (isFailure(parsed)) {
      const offset = parsed.position === undefined ? source.start : offsetFromServerPosition(text, parsed.position + 1, source.start)
      stmt.parseError = { message: parsed.message, offset }
    } else if (parsed.nodes[0] !== undefined) {
      // Our splitter and PostgreSQL agree on boundaries (test/sql/differential.test.ts): one node.
      stmt.node = slim(parsed.nodes[0])
    }
    f.statements.push(stmt)

    if (keyword !== undefined) {
      // An explicit block ends its SET LOCAL values with it.
      inBlock = keyword === 'BEGIN' || keyword === 'START TRANSACTION'
      if (!inBlock) local = undefined
    }
    if (stmt.node) {
      known = known.after(stmt.node)
      const set = lockTimeoutChange(stmt.node)
      if (set !== undefined) {
        if (set.local) {
          // SET LOCAL outside a transaction block does nothing (PostgreSQL warns).
          if (f.transactional || inBlock) local = set.on
        } else if (set.reset) {
          session = false
          local = undefined
        } else {
          session = set.on
          local = undefined
        }
      }
    }
  })
}

/**
 * Data statements keep only what a rule reads (their kind, target table and
 * `SELECT ... INTO`): the tree of a 1000-row INSERT is ~100 times its text,
 * and a 200 MB backfill's trees did not fit in memory (issue 13). No rule
 * looks inside them; one that needs to must widen this.
 */
function slim(node: Node): Node {
  const insert = as(node, 'InsertStmt')
  if (insert) return { InsertStmt: { relation: insert.relation } } as Node
  const update = as(node, 'UpdateStmt')
  if (update) return { UpdateStmt: { relation: update.relation } } as Node
  const del = as(node, 'DeleteStmt')
  if (del) return { DeleteStmt: { relation: del.relation } } as Node
  const select = as(node, 'SelectStmt')
  if (select) return { SelectStmt: select.intoClause ? { intoClause: select.intoClause } : {} } as Node
  return node
}

/** How a statement changes `lock_timeout`, if it does. */
function lockTimeoutChange(node: Node): { on: boolean; local: boolean; reset: boolean } | undefined {
  const set = as(node, 'VariableSetStmt')
  if (!set) return undefined
  if (set.kind === 'VAR_RESET_ALL') return { on: false, local: false, reset: true }
  if (set.name !== 'lock_timeout') return undefined
  const local = set.is_local === true
  if (set.kind === 'VAR_SET_DEFAULT' || set.kind === 'VAR_RESET') return { on: false, local, reset: !local }
  if (set.kind !== 'VAR_SET_VALUE') return undefined
  const arg = set.args?.[0]
  const n = intValue(arg)
  const s = stringConst(arg)
  const zero = n !== undefined ? n === 0 : s !== undefined ? isZeroDuration(s) : false
  return { on: !zero, local, reset: false }
}

/** `0`, `0s`, `0 ms`: PostgreSQL reads a zero lock_timeout as "wait forever". */
function isZeroDuration(value: string): boolean {
  return /^\s*0*\.?0*\s*[a-z]*\s*$/i.test(value) && !/[1-9]/.test(value)
}

/**
 * The UTF-16 offset in the file of an AST `location` (a UTF-8 byte offset
 * into the statement's text), or the statement's start when absent.
 */
export function offsetOf(file: LintFile, stmt: LintStatement, location: number | undefined): number {
  if (location === undefined || location < 0 || file.content === undefined) return stmt.source.start
  return byteOffsetToIndex(file.content, location, stmt.source.start)
}

/** A parsed statement of a file, for the rules that judge statements. */
export interface StatementAt {
  file: LintFile
  stmt: LintStatement
  node: Node
}

/**
 * Every parsed statement of `files` (the wrapper's BEGIN/COMMIT left out),
 * of up files only when `direction` is 'up'.
 */
export function* parsedStatements(files: readonly LintFile[], direction?: 'up'): Generator<StatementAt> {
  for (const file of files) {
    if (direction !== undefined && directionOf(file) !== direction) continue
    for (const stmt of file.statements) {
      if (stmt.node !== undefined && !stmt.wrapper) yield { file, stmt, node: stmt.node }
    }
  }
}
