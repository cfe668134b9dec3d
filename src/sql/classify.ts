/**
 * What the runner and the linter need to know about a migration file before
 * running it: which statements cannot run inside a transaction, which are
 * transaction control, whether the whole file is wrapped in `BEGIN; ...
 * COMMIT;`, and the `-- link-migrate:...` directives.
 *
 * Decisions are made on tokens, never on raw text, so words inside strings,
 * comments, quoted identifiers and function bodies never count.
 *
 * Rules (README documents the same):
 *
 * - **Directives** are line comments `-- link-migrate:NAME [ARGS]` (the
 *   space after `--` is optional; NAME is case-insensitive). Block comments
 *   are never directives.
 *   - `no-transaction` and `lock-timeout DURATION` belong to the file header:
 *     they must come before the first statement. Anywhere else they are not
 *     honoured and are reported in `directives.problems` (for the runner to
 *     refuse the file and lint to report it), because a file-level switch
 *     hidden after a statement is easy to miss when reading the file.
 *   - `allow RULE_ID [RULE_ID ...]` (ids separated by spaces or commas)
 *     silences lint rules for one statement: the one the comment trails on
 *     the line where that statement ends (`...; -- link-migrate:allow x`),
 *     else the one the comment sits inside, else the next one after it.
 *   - An unknown NAME, a missing or malformed argument, or a repeated header
 *     directive is a problem too.
 * - **Transaction control** ({@link transactionControl}): a top-level
 *   statement starting with `BEGIN`, `START TRANSACTION`, `COMMIT`, `END`,
 *   `ROLLBACK`, `ABORT`, `COMMIT PREPARED`, `ROLLBACK PREPARED` or
 *   `PREPARE TRANSACTION`. `SAVEPOINT`, `RELEASE [SAVEPOINT]` and `ROLLBACK
 *   [WORK|TRANSACTION] TO [SAVEPOINT]` are not: they work inside the
 *   runner's transaction. `BEGIN ATOMIC` (a SQL-standard routine body) is
 *   never a statement of its own, so it never counts; nor does a plpgsql
 *   `BEGIN ... END` inside a `$$` body (a string).
 * - **Whole-file wrapper**: the first statement is exactly `BEGIN`, `BEGIN
 *   WORK`, `BEGIN TRANSACTION` or `START TRANSACTION` (no transaction modes:
 *   `BEGIN ISOLATION LEVEL ...` asks for something the runner would drop),
 *   the last is exactly `COMMIT` or `END` (optionally `WORK`/`TRANSACTION`),
 *   and no other control statement is in between. Comments may come before
 *   and after. The wrapper is then dropped (`body`, `bodyText`).
 * - **No transaction** ({@link needsNoTransaction}): statements PostgreSQL
 *   refuses inside a transaction block: `CREATE [UNIQUE] INDEX CONCURRENTLY`,
 *   `DROP INDEX CONCURRENTLY`, `REINDEX ... CONCURRENTLY` (keyword or
 *   `(CONCURRENTLY)` option), `REINDEX SCHEMA|DATABASE|SYSTEM`, `VACUUM`,
 *   `ALTER SYSTEM`, `CREATE DATABASE`, `DROP DATABASE`, `ALTER DATABASE ...
 *   SET TABLESPACE`, `CREATE TABLESPACE`, `DROP TABLESPACE`, `CREATE
 *   SUBSCRIPTION` (unless `WITH (connect = false)` or `create_slot = false`),
 *   `DROP SUBSCRIPTION` (it may drop a replication slot: we cannot know
 *   offline), `CLUSTER` without a table (all tables), `ALTER TABLE ... DETACH
 *   PARTITION ... CONCURRENTLY`, and `DISCARD ALL`. `CLUSTER table` and
 *   `REFRESH MATERIALIZED VIEW CONCURRENTLY` run fine in a transaction.
 * - `ALTER TYPE ... ADD VALUE` is reported apart ({@link addsEnumValue}): it
 *   needs no transaction only before PostgreSQL 12, which the runner knows.
 */
import { splitSource, type Statement } from './split.js'
import { Scanner, makeToken, type Token } from './lexer.js'
import { Locator } from './position.js'
import type { TransactionKeyword } from '../types.js'

export type { TransactionKeyword }

/** A directive that is misplaced, unknown or malformed. */
export interface DirectiveProblem {
  line: number
  column: number
  message: string
}

export interface Directives {
  /** `-- link-migrate:no-transaction` in the header. */
  noTransaction: boolean
  /** The argument of `-- link-migrate:lock-timeout` in the header, e.g. `5s`. */
  lockTimeout?: string
  /** Statement index -> rule ids from `-- link-migrate:allow` comments. */
  allow: Map<number, string[]>
  problems: DirectiveProblem[]
}

export interface NoTransactionReason {
  /** Index into `statements`. */
  statement: number
  /** e.g. `CREATE INDEX CONCURRENTLY`. */
  reason: string
  line: number
  column: number
}

export interface TransactionControlUse {
  /** Index into `statements`. */
  statement: number
  keyword: TransactionKeyword
  line: number
  column: number
}

/** Everything {@link analyzeFile} learns about a file. */
export interface FileAnalysis {
  /** Every statement, wrapper included. Indexes elsewhere point here. */
  statements: Statement[]
  directives: Directives
  /**
   * True when the file runs inside the runner's transaction: no
   * `no-transaction` directive and no statement that needs none.
   */
  transactional: boolean
  noTransactionReasons: NoTransactionReason[]
  /** Indexes of `ALTER TYPE ... ADD VALUE` statements (no-transaction before PostgreSQL 12 only). */
  addsEnumValue: number[]
  /** True when the whole file is `BEGIN; ...; COMMIT;` (the golang-migrate convention). */
  wrappedInTransaction: boolean
  /** `statements` without the wrapper (all of them when not wrapped). */
  body: Statement[]
  /**
   * The file text with the wrapper's BEGIN and COMMIT statements (and their
   * `;`) replaced by spaces, line breaks kept: same length, same offsets and
   * lines as the file, so a server error position in it maps back with
   * `offsetFromServerPosition(bodyText, position)`. The file text itself
   * when not wrapped.
   */
  bodyText: string
  /** Control statements other than the whole-file wrapper. */
  transactionControl: TransactionControlUse[]
  /** `COPY ... FROM STDIN` / `TO STDOUT`: statements that wait for (or send) data over the client connection. */
  clientCopy: ClientCopy[]
}

export interface ClientCopy {
  statement: number
  /** `COPY ... FROM STDIN` or `COPY ... TO STDOUT`. */
  what: string
  line: number
  column: number
}

/**
 * Lazy access to a statement's significant tokens, lexed from its own text
 * only as far as a rule looks: most decisions need the first two or three
 * words, so classifying every statement of a huge file stays cheap and never
 * forces the statements' own `tokens` into existence.
 */
class Cursor {
  readonly #scanner: Scanner
  readonly #tokens: Token[] = []
  #done = false

  constructor(stmt: Statement) {
    this.#scanner = new Scanner(stmt.text)
  }

  /** The token at `i`, or undefined past the end. */
  at(i: number): Token | undefined {
    const tokens = this.#tokens
    while (tokens.length <= i && !this.#done) {
      const s = this.#scanner
      if (!s.next()) this.#done = true
      else if (s.kind !== 'line-comment' && s.kind !== 'block-comment') tokens.push(makeToken(s))
    }
    return tokens[i]
  }

  /** Upper-cased word at `i`, or undefined when it is not a word. */
  word(i: number): string | undefined {
    const t = this.at(i)
    return t !== undefined && t.kind === 'word' ? t.upper : undefined
  }

  isPunct(i: number, ch: string): boolean {
    const t = this.at(i)
    return t !== undefined && t.kind === 'punctuation' && t.text === ch
  }

  /** True when the statement has no token at `i` or after. */
  endsAt(i: number): boolean {
    return this.at(i) === undefined
  }

  /** Index just after the parenthesised group opening at `i` (which must be `(`). */
  skipParens(i: number): number {
    let depth = 0
    let k = i
    for (; this.at(k) !== undefined; k++) {
      if (this.isPunct(k, '(')) depth++
      else if (this.isPunct(k, ')') && --depth === 0) return k + 1
    }
    return k
  }

  /** Index of the first word `w` at parenthesis depth 0 from `from`, or -1. */
  findWord(w: string, from: number): number {
    let depth = 0
    for (let k = from; this.at(k) !== undefined; k++) {
      if (this.isPunct(k, '(')) depth++
      else if (this.isPunct(k, ')')) depth--
      else if (depth === 0 && this.word(k) === w) return k
    }
    return -1
  }

  /**
   * Reads an option list `( name [=] [value], ... )` opening at `i` into
   * upper-cased name -> boolean (true when the value is absent or not a
   * false-like value).
   */
  booleanOptions(i: number): Map<string, boolean> {
    const options = new Map<string, boolean>()
    const end = this.skipParens(i)
    let k = i + 1
    while (k < end - 1) {
      const name = this.word(k) ?? this.at(k)?.text.toUpperCase()
      k++
      if (this.at(k)?.kind === 'operator' && this.at(k)?.text === '=') k++
      let value = true
      if (k < end - 1 && !this.isPunct(k, ',')) {
        value = !isFalseLike(this.at(k))
        k++
      }
      if (name !== undefined) options.set(name, value)
      while (k < end - 1 && !this.isPunct(k, ',')) k++ // skip anything unexpected
      k++ // the comma
    }
    return options
  }
}

/** `false`, `off`, `no`, `0`, or one of those quoted: PostgreSQL's defGetBoolean spellings of false. */
function isFalseLike(t: Token | undefined): boolean {
  if (t === undefined) return false
  let v = t.text
  if (t.kind === 'string' && t.variant === 'standard') v = v.slice(1, -1)
  else if (t.kind !== 'word' && t.kind !== 'number') return false
  v = v.toLowerCase()
  return v === 'false' || v === 'off' || v === 'no' || v === '0'
}

/**
 * Why this statement cannot run inside a transaction block, or `null` when
 * it can. The reason names the construct, e.g. `CREATE INDEX CONCURRENTLY`,
 * `REINDEX CONCURRENTLY`, `VACUUM` (see the module comment for the list).
 * Never throws for a statement from the splitter (its text is re-lexed, and
 * it lexed before).
 *
 * @example needsNoTransaction(splitStatements('create index concurrently i on t (a)')[0]!) // 'CREATE INDEX CONCURRENTLY'
 */
export function needsNoTransaction(stmt: Statement): string | null {
  return noTransactionReason(new Cursor(stmt))
}

function noTransactionReason(c: Cursor): string | null {
  switch (c.word(0)) {
    case 'CREATE': {
      const i = c.word(1) === 'UNIQUE' ? 2 : 1
      if (c.word(i) === 'INDEX' && c.word(i + 1) === 'CONCURRENTLY') return 'CREATE INDEX CONCURRENTLY'
      switch (c.word(1)) {
        case 'DATABASE':
          return 'CREATE DATABASE'
        case 'TABLESPACE':
          return 'CREATE TABLESPACE'
        case 'SUBSCRIPTION': {
          // The default (connect = true, create_slot = true) creates a
          // replication slot, which PostgreSQL refuses inside a transaction.
          const w = c.findWord('WITH', 2)
          if (w >= 0 && c.isPunct(w + 1, '(')) {
            const options = c.booleanOptions(w + 1)
            if (options.get('CONNECT') === false || options.get('CREATE_SLOT') === false) return null
          }
          return 'CREATE SUBSCRIPTION'
        }
      }
      return null
    }
    case 'DROP':
      switch (c.word(1)) {
        case 'INDEX':
          return c.word(2) === 'CONCURRENTLY' ? 'DROP INDEX CONCURRENTLY' : null
        case 'DATABASE':
          return 'DROP DATABASE'
        case 'TABLESPACE':
          return 'DROP TABLESPACE'
        case 'SUBSCRIPTION':
          return 'DROP SUBSCRIPTION'
      }
      return null
    case 'REINDEX': {
      let i = 1
      let concurrently = false
      if (c.isPunct(1, '(')) {
        const options = c.booleanOptions(1)
        concurrently = options.get('CONCURRENTLY') === true
        i = c.skipParens(1)
      }
      const target = c.word(i)
      if (c.word(i + 1) === 'CONCURRENTLY') concurrently = true
      if (concurrently) return 'REINDEX CONCURRENTLY'
      if (target === 'SCHEMA' || target === 'DATABASE' || target === 'SYSTEM') return `REINDEX ${target}`
      return null
    }
    case 'VACUUM':
      return 'VACUUM'
    case 'ALTER':
      switch (c.word(1)) {
        case 'SYSTEM':
          return 'ALTER SYSTEM'
        case 'DATABASE': {
          // ALTER DATABASE name SET TABLESPACE t (a database name is one token)
          return c.word(3) === 'SET' && c.word(4) === 'TABLESPACE' ? 'ALTER DATABASE SET TABLESPACE' : null
        }
        case 'TABLE': {
          const detach = c.findWord('DETACH', 2)
          if (detach >= 0 && c.word(detach + 1) === 'PARTITION' && c.findWord('CONCURRENTLY', detach + 2) >= 0) {
            return 'ALTER TABLE DETACH PARTITION CONCURRENTLY'
          }
          return null
        }
      }
      return null
    case 'CLUSTER': {
      // Only the form without a table (recluster every clustered table) is
      // refused in a transaction: CLUSTER [VERBOSE] | CLUSTER (options).
      let i = 1
      if (c.isPunct(1, '(')) i = c.skipParens(1)
      if (c.word(i) === 'VERBOSE') i++
      return c.endsAt(i) ? 'CLUSTER without a table' : null
    }
    case 'DISCARD':
      return c.word(1) === 'ALL' ? 'DISCARD ALL' : null
  }
  return null
}

/**
 * True for `ALTER TYPE ... ADD VALUE`, which cannot run in a transaction on
 * PostgreSQL before 12 (and whose new value cannot be used in the same
 * transaction on any version). Never throws.
 *
 * @example addsEnumValue(splitStatements("alter type mood add value 'meh'")[0]!) // true
 */
export function addsEnumValue(stmt: Statement): boolean {
  return isAddValue(new Cursor(stmt))
}

function isAddValue(c: Cursor): boolean {
  if (c.word(0) !== 'ALTER' || c.word(1) !== 'TYPE') return false
  const add = c.findWord('ADD', 3)
  return add >= 0 && c.word(add + 1) === 'VALUE'
}

/**
 * The transaction-control keyword this statement starts with, or `null`
 * (see the module comment for the list; savepoints are not control).
 * Never throws.
 *
 * @example transactionControl(splitStatements('commit')[0]!) // 'COMMIT'
 */
export function transactionControl(stmt: Statement): TransactionKeyword | null {
  return controlKeyword(new Cursor(stmt))
}

function controlKeyword(c: Cursor): TransactionKeyword | null {
  switch (c.word(0)) {
    case 'BEGIN':
      return 'BEGIN'
    case 'START':
      return c.word(1) === 'TRANSACTION' ? 'START TRANSACTION' : null
    case 'COMMIT':
      return c.word(1) === 'PREPARED' ? 'COMMIT PREPARED' : 'COMMIT'
    case 'END':
      return 'END'
    case 'ABORT':
      return 'ABORT'
    case 'ROLLBACK': {
      if (c.word(1) === 'PREPARED') return 'ROLLBACK PREPARED'
      const i = c.word(1) === 'WORK' || c.word(1) === 'TRANSACTION' ? 2 : 1
      return c.word(i) === 'TO' ? null : 'ROLLBACK'
    }
    case 'PREPARE':
      return c.word(1) === 'TRANSACTION' ? 'PREPARE TRANSACTION' : null
  }
  return null
}

/** `BEGIN`, `BEGIN WORK`, `BEGIN TRANSACTION`, `START TRANSACTION` and nothing more. */
function isPlainStart(c: Cursor): boolean {
  if (c.word(0) === 'BEGIN') return c.endsAt(1) || ((c.word(1) === 'WORK' || c.word(1) === 'TRANSACTION') && c.endsAt(2))
  return c.word(0) === 'START' && c.word(1) === 'TRANSACTION' && c.endsAt(2)
}

/** `COMMIT` or `END`, optionally with `WORK`/`TRANSACTION`, and nothing more. */
function isPlainCommit(c: Cursor): boolean {
  const w = c.word(0)
  if (w !== 'COMMIT' && w !== 'END') return false
  return c.endsAt(1) || ((c.word(1) === 'WORK' || c.word(1) === 'TRANSACTION') && c.endsAt(2))
}

/** PostgreSQL duration syntax for lock_timeout: a number with an optional unit (plain = ms). */
const DURATION = /^\d+(\.\d+)?\s*(us|ms|s|min|h|d)?$/

const DIRECTIVE = /^link-migrate\s*:\s*([A-Za-z-]*)\s*(.*)$/s

/**
 * Splits and classifies a whole migration file (see the module comment for
 * every rule). Throws {@link SqlSyntaxError} when the file does not lex
 * (unterminated string, quoted identifier, dollar quote or comment, or a
 * psql meta-command); everything else is reported in the result.
 *
 * @example
 * const a = analyzeFile('-- link-migrate:no-transaction\ncreate index concurrently i on t (a);')
 * a.transactional // false
 * a.noTransactionReasons // [{ statement: 0, reason: 'CREATE INDEX CONCURRENTLY', line: 2, column: 1 }]
 */
export function analyzeFile(text: string): FileAnalysis {
  const { statements, comments } = splitSource(text)
  const directives = readDirectives(text, statements, comments)

  const noTransactionReasons: NoTransactionReason[] = []
  const addsEnum: number[] = []
  const control: TransactionControlUse[] = []
  const clientCopy: ClientCopy[] = []
  // Only the first and last statements' cursors are needed again (for the wrapper test).
  let firstCursor: Cursor | undefined
  let lastCursor: Cursor | undefined
  statements.forEach((stmt, i) => {
    const c = new Cursor(stmt)
    if (i === 0) firstCursor = c
    if (i === statements.length - 1) lastCursor = c
    const reason = noTransactionReason(c)
    if (reason !== null) noTransactionReasons.push({ statement: i, reason, line: stmt.line, column: stmt.column })
    if (isAddValue(c)) addsEnum.push(i)
    const keyword = controlKeyword(c)
    if (keyword !== null) control.push({ statement: i, keyword, line: stmt.line, column: stmt.column })
    const copy = copyOverClient(c)
    if (copy !== null) clientCopy.push({ statement: i, what: copy, line: stmt.line, column: stmt.column })
  })

  const first = statements[0]
  const last = statements[statements.length - 1]
  const wrapped =
    first !== undefined &&
    last !== undefined &&
    firstCursor !== undefined &&
    lastCursor !== undefined &&
    statements.length >= 2 &&
    control.length === 2 &&
    isPlainStart(firstCursor) &&
    isPlainCommit(lastCursor)

  let body = statements
  let bodyText = text
  let transactionControlUses = control
  if (wrapped) {
    body = statements.slice(1, -1)
    bodyText = blank(text, [first, last])
    transactionControlUses = []
  }

  return {
    statements,
    directives,
    transactional: !directives.noTransaction && noTransactionReasons.length === 0,
    noTransactionReasons,
    addsEnumValue: addsEnum,
    wrappedInTransaction: wrapped,
    body,
    bodyText,
    transactionControl: transactionControlUses,
    clientCopy,
  }
}

/**
 * `COPY ... FROM STDIN` and `COPY ... TO STDOUT` (top level, so a FROM inside
 * `COPY (select ... from t) TO ...` does not count): the server then waits
 * for the client to send or take rows, which a migration file cannot do.
 */
function copyOverClient(c: Cursor): string | null {
  if (c.word(0) !== 'COPY') return null
  const from = c.findWord('FROM', 1)
  if (from >= 0 && c.word(from + 1) === 'STDIN') return 'COPY ... FROM STDIN'
  const to = c.findWord('TO', 1)
  if (to >= 0 && c.word(to + 1) === 'STDOUT') return 'COPY ... TO STDOUT'
  return null
}

/** Replaces each statement and its `;` by spaces, keeping line breaks so offsets and lines still match. */
function blank(text: string, stmts: Statement[]): string {
  let out = ''
  let at = 0
  for (const s of stmts) {
    const end = s.semicolon !== undefined ? s.semicolon + 1 : s.end
    out += text.slice(at, s.start) + text.slice(s.start, end).replace(/[^\r\n]/g, ' ')
    at = end
  }
  return out + text.slice(at)
}

function readDirectives(text: string, statements: Statement[], comments: Token[]): Directives {
  const directives: Directives = { noTransaction: false, allow: new Map(), problems: [] }
  const firstStart = statements[0]?.start ?? Infinity
  let target = 0 // index of the first statement that ends after the current comment
  let sawLockTimeout = false
  let sawNoTransaction = false
  // Comments come in source order, so one forward-moving locator stays linear.
  const locator = new Locator(text)

  for (const comment of comments) {
    if (comment.kind !== 'line-comment') continue
    const m = DIRECTIVE.exec(comment.text.slice(2).trim())
    if (m === null) continue
    const name = (m[1] ?? '').toLowerCase()
    const arg = (m[2] ?? '').trim()
    const { line, column } = locator.locate(comment.start)
    const problem = (message: string): void => {
      directives.problems.push({ line, column, message })
    }
    const inHeader = comment.start < firstStart

    switch (name) {
      case 'no-transaction':
        if (!inHeader) problem('-- link-migrate:no-transaction must come before the first statement; it is ignored here')
        else if (arg !== '') problem(`-- link-migrate:no-transaction takes no argument, got "${arg}"`)
        else if (sawNoTransaction) problem('-- link-migrate:no-transaction is repeated')
        else {
          directives.noTransaction = true
          sawNoTransaction = true
        }
        break
      case 'lock-timeout':
        if (!inHeader) problem('-- link-migrate:lock-timeout must come before the first statement; it is ignored here')
        else if (!DURATION.test(arg)) {
          problem(`-- link-migrate:lock-timeout needs a duration such as 5s, 500ms or 1min, got "${arg}"`)
        } else if (sawLockTimeout) problem('-- link-migrate:lock-timeout is repeated')
        else {
          directives.lockTimeout = arg
          sawLockTimeout = true
        }
        break
      case 'allow': {
        const ids = arg.split(/[\s,]+/).filter((s) => s !== '')
        if (ids.length === 0) {
          problem('-- link-migrate:allow needs at least one rule id')
          break
        }
        while (target < statements.length && (statements[target]?.end ?? 0) <= comment.start) target++
        let index = target
        // A comment trailing a statement on the line where it ends
        // (`... DROP COLUMN a; -- link-migrate:allow x`) is about that statement.
        const previous = statements[target - 1]
        const between = (statements[target]?.start ?? Infinity) > comment.start
        if (between && previous !== undefined && !text.slice(previous.semicolon ?? previous.end, comment.start).includes('\n')) index = target - 1
        if (index >= statements.length) {
          problem('-- link-migrate:allow is not followed by a statement')
          break
        }
        const list = directives.allow.get(index) ?? []
        for (const id of ids) if (!list.includes(id)) list.push(id)
        directives.allow.set(index, list)
        break
      }
      default:
        problem(`unknown directive link-migrate:${name} (known: no-transaction, lock-timeout, allow)`)
    }
  }
  return directives
}
