/**
 * Tokens -> statements, the way psql splits a script: a `;` ends a statement
 * only outside parentheses and outside a `BEGIN ATOMIC ... END` routine body.
 * Strings, quoted identifiers, dollar-quoted bodies and comments are opaque
 * (the lexer guarantees that).
 *
 * Each statement keeps its exact source slice and offsets, so errors and
 * lint findings can point back at `file:line:column`.
 */
import { Scanner, makeToken, tokenize, type Token } from './lexer.js'
import { Locator } from './position.js'

/** One SQL statement of a file. */
export interface Statement {
  /**
   * The exact source slice from the first token to the end of the last
   * token: no terminating `;`, no surrounding whitespace, and no comments
   * before the first or after the last token (comments between tokens stay).
   */
  text: string
  /** UTF-16 offset of the first token in the file text. */
  start: number
  /** UTF-16 offset just after the last token. */
  end: number
  /** 1-based line of `start`. */
  line: number
  /** 1-based column of `start`, in code points. */
  column: number
  /** Offset of the `;` that ends the statement; absent when the file ends first. */
  semicolon?: number
  /**
   * The statement's tokens without comments, with file offsets (absent when
   * split with `tokens: false`). Materialised on first read and then kept:
   * the splitter itself needs no token objects, so a 50 MB file splits
   * without allocating millions of them unless someone looks.
   */
  tokens?: Token[]
}

export interface SplitOptions {
  /** Give each statement its (lazy) `tokens` property (default true). */
  tokens?: boolean
}

/** Statements and every comment of a file (line and block, in source order). */
export interface SplitResult {
  statements: Statement[]
  comments: Token[]
}

const SEMICOLON = 59
const LPAREN = 40
const RPAREN = 41

/**
 * Re-lexes a statement's own slice into tokens with file offsets. The slice
 * starts and ends on token boundaries, so lexing it alone gives the same
 * tokens as lexing it in place (and it cannot throw: it lexed before).
 */
function materialize(this: Statement): Token[] {
  const tokens = tokenize(this.text, { comments: false, base: this.start })
  Object.defineProperty(this, 'tokens', { value: tokens, writable: true, enumerable: true, configurable: true })
  return tokens
}

function assign(this: Statement, tokens: Token[]): void {
  Object.defineProperty(this, 'tokens', { value: tokens, writable: true, enumerable: true, configurable: true })
}

/**
 * One shared descriptor for every statement: an enumerable getter that
 * replaces itself with the token array on first read (so deep equality,
 * spreading and JSON see a plain `tokens` array).
 */
const LAZY_TOKENS: PropertyDescriptor = { get: materialize, set: assign, enumerable: true, configurable: true }

/** Case-insensitive test of `text[start, end)` against an upper-case ASCII word, without allocating. */
function wordIs(text: string, start: number, end: number, upper: string): boolean {
  if (end - start !== upper.length) return false
  for (let k = 0; k < upper.length; k++) {
    const c = text.charCodeAt(start + k)
    const u = c >= 97 && c <= 122 ? c - 32 : c
    if (u !== upper.charCodeAt(k)) return false
  }
  return true
}

/**
 * Splits a file into statements. Empty statements (`;;`) and a tail of only
 * comments are dropped. A `;` inside parentheses (`CREATE RULE ... DO ALSO
 * (a; b)`) or inside a SQL-standard routine body (`CREATE FUNCTION ...
 * BEGIN ATOMIC a; b; END`) does not end the statement.
 *
 * Throws {@link SqlSyntaxError} (from the lexer) on an unterminated string,
 * quoted identifier, dollar quote or block comment, or on a psql
 * meta-command.
 *
 * @example
 * splitStatements("select ';';\n-- c\nselect 2")
 * // [{ text: "select ';'", line: 1, column: 1, ... }, { text: 'select 2', line: 3, column: 1, ... }]
 */
export function splitStatements(text: string, options: SplitOptions = {}): Statement[] {
  return split(text, options.tokens ?? true, null)
}

/**
 * Like {@link splitStatements}, and also returns every comment (the
 * directives `-- link-migrate:...` live in comments). Throws
 * {@link SqlSyntaxError} like {@link splitStatements}.
 *
 * @example splitSource('-- hi\nselect 1').comments[0].text // '-- hi'
 */
export function splitSource(text: string, options: SplitOptions = {}): SplitResult {
  const comments: Token[] = []
  const statements = split(text, options.tokens ?? true, comments)
  return { statements, comments }
}

function split(text: string, withTokens: boolean, comments: Token[] | null): Statement[] {
  const scanner = new Scanner(text)
  const locator = new Locator(text)
  const statements: Statement[] = []

  // State of the statement being read.
  let start = -1
  let lastEnd = -1
  let count = 0 // significant tokens so far
  let parenDepth = 0
  // The first words decide whether this is CREATE [OR REPLACE] FUNCTION|PROCEDURE,
  // the only statements where BEGIN ATOMIC can open a routine body (psql's heuristic).
  let head = ''
  let routine = false
  let atomicDepth = 0
  let sawBegin = false

  const finish = (semicolon: number | undefined): void => {
    const { line, column } = locator.locate(start)
    const stmt: Statement = { text: text.slice(start, lastEnd), start, end: lastEnd, line, column }
    if (semicolon !== undefined) stmt.semicolon = semicolon
    if (withTokens) Object.defineProperty(stmt, 'tokens', LAZY_TOKENS)
    statements.push(stmt)
    start = -1
    count = 0
    parenDepth = 0
    head = ''
    routine = false
    atomicDepth = 0
    sawBegin = false
  }

  while (scanner.next()) {
    const kind = scanner.kind
    const s = scanner.start
    const e = scanner.end
    if (kind === 'line-comment' || kind === 'block-comment') {
      if (comments) comments.push(makeToken(scanner))
      continue
    }
    if (kind === 'punctuation') {
      const c = text.charCodeAt(s)
      if (c === SEMICOLON) {
        if (parenDepth === 0 && atomicDepth === 0) {
          if (start >= 0) finish(s)
          continue // an empty statement (`;;`) is dropped
        }
      } else if (c === LPAREN) {
        parenDepth++
      } else if (c === RPAREN) {
        if (parenDepth > 0) parenDepth--
      }
    }
    if (start < 0) start = s
    lastEnd = e
    count++

    if (count <= 4) {
      // Keep the first four tokens as "W1 W2 ..." to recognise the routine header.
      head += (kind === 'word' ? text.slice(s, e).toUpperCase() : '?') + ' '
      if (count === 2 || count === 4) {
        routine =
          head === 'CREATE FUNCTION ' ||
          head === 'CREATE PROCEDURE ' ||
          head.startsWith('CREATE FUNCTION ') ||
          head.startsWith('CREATE PROCEDURE ') ||
          head === 'CREATE OR REPLACE FUNCTION ' ||
          head === 'CREATE OR REPLACE PROCEDURE '
      }
    }
    if (routine && parenDepth === 0) {
      // `BEGIN ATOMIC` opens the body; inside it CASE ... END nests and the
      // final END closes it. psql counts any BEGIN here; requiring ATOMIC
      // right after keeps `CREATE FUNCTION begin() ...` from confusing us.
      if (kind === 'word') {
        if (sawBegin && wordIs(text, s, e, 'ATOMIC')) {
          atomicDepth++
        } else if (atomicDepth > 0 && wordIs(text, s, e, 'CASE')) {
          atomicDepth++
        } else if (atomicDepth > 0 && wordIs(text, s, e, 'END')) {
          atomicDepth--
        }
        sawBegin = atomicDepth === 0 && wordIs(text, s, e, 'BEGIN')
      } else {
        sawBegin = false
      }
    }
  }
  if (start >= 0) finish(undefined)
  return statements
}
