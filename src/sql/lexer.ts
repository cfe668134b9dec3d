/**
 * PostgreSQL lexing, following the server's scanner (src/backend/parser/scan.l,
 * PostgreSQL 18) with `standard_conforming_strings = on`, the default since 9.1.
 *
 * The lexer only finds token *boundaries* and kinds; it does not know the
 * grammar. Its one job is that a `;`, a keyword or a comment marker inside a
 * string, quoted identifier, dollar-quoted body or comment is never mistaken
 * for one outside it. A differential test checks its boundaries against
 * PostgreSQL's own scanner (libpg-query).
 *
 * No I/O, no dependencies. Offsets are UTF-16 indexes into the scanned text.
 */
import { lineCol } from './position.js'

/** What a token is. Whitespace is never a token; comments are. */
export type TokenKind =
  /** An unquoted identifier or keyword: `select`, `Users`, `a$b`. */
  | 'word'
  /** A double-quoted identifier: `"My Table"`, `U&"d\0061t"`. */
  | 'quoted-identifier'
  /** Any string constant; see {@link StringVariant}. */
  | 'string'
  /** `42`, `1.5e3`, `0x1F`, `1_000`, `.5`. */
  | 'number'
  /** A positional parameter: `$1`. */
  | 'parameter'
  /** An operator: `+`, `<>`, `::`, `||`, `:=`, `->>`. */
  | 'operator'
  /** One of `( ) [ ] , ; . :` or `..`. */
  | 'punctuation'
  /** `-- ...` up to (not including) the line break. */
  | 'line-comment'
  /** `/* ... *\/`, nested. */
  | 'block-comment'
  /** Any other single character (`$` alone, `{`, a control character). */
  | 'other'

/** Which kind of string constant a `'string'` token is. */
export type StringVariant =
  /** `'...'` (backslash is an ordinary character). */
  | 'standard'
  /** `E'...'` (backslash escapes, `\'` does not end it). */
  | 'escape'
  /** `U&'...'` */
  | 'unicode'
  /** `B'0101'` */
  | 'bit'
  /** `X'1F'` */
  | 'hex'
  /** `N'...'` (PostgreSQL scans it as the keyword NCHAR and a standard string). */
  | 'national'
  /** `$$...$$` or `$tag$...$tag$` */
  | 'dollar'

/** A token with its exact source slice. */
export interface Token {
  kind: TokenKind
  /** UTF-16 offset of the first character. */
  start: number
  /** UTF-16 offset just after the last character. */
  end: number
  /** `source.slice(start, end)`. */
  text: string
  /** For `word` tokens only: the text upper-cased, for case-insensitive keyword tests. */
  upper?: string
  /** For `string` tokens only. */
  variant?: StringVariant
}

/**
 * A lexical error: an unterminated string, quoted identifier, dollar quote or
 * block comment (located where it began), or a psql meta-command.
 *
 * `message` has no location in it: callers prefix `file:line:column: `.
 */
export class SqlSyntaxError extends Error {
  /** 1-based line of `offset`. */
  readonly line: number
  /** 1-based column of `offset`, in code points. */
  readonly column: number
  /** UTF-16 offset in the scanned text. */
  readonly offset: number

  constructor(message: string, text: string, offset: number) {
    super(message)
    this.name = 'SqlSyntaxError'
    this.offset = offset
    const { line, column } = lineCol(text, offset)
    this.line = line
    this.column = column
  }
}

// Character codes used by the scanner.
const TAB = 9
const LF = 10
const VT = 11
const FF = 12
const CR = 13
const SPACE = 32
const BANG = 33
const DQUOTE = 34
const HASH = 35
const DOLLAR = 36
const PERCENT = 37
const AMP = 38
const QUOTE = 39
const LPAREN = 40
const RPAREN = 41
const STAR = 42
const PLUS = 43
const COMMA = 44
const MINUS = 45
const DOT = 46
const SLASH = 47
const ZERO = 48
const NINE = 57
const COLON = 58
const SEMICOLON = 59
const LT = 60
const EQ = 61
const GT = 62
const QUESTION = 63
const AT = 64
const LBRACKET = 91
const BACKSLASH = 92
const RBRACKET = 93
const CARET = 94
const UNDERSCORE = 95
const BACKTICK = 96
const PIPE = 124
const TILDE = 126

function isSpace(c: number): boolean {
  return c === SPACE || c === TAB || c === LF || c === CR || c === FF || c === VT
}

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE
}

function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102)
}

/** The digits of a number literal: 0x (hex), 0o (octal), 0b (binary) or none (decimal). */
const DECIMAL = 10
const HEX = 16
const OCTAL = 8
const BINARY = 2
type Radix = typeof DECIMAL | typeof HEX | typeof OCTAL | typeof BINARY

function isRadixDigit(c: number, radix: Radix): boolean {
  switch (radix) {
    case DECIMAL:
      return isDigit(c)
    case HEX:
      return isHexDigit(c)
    case OCTAL:
      return c >= ZERO && c <= 55
    case BINARY:
      return c === ZERO || c === 49
  }
}

/**
 * scan.l's ident_start: ASCII letters, `_`, and every byte >= 0x80. In UTF-16
 * terms every code unit >= 0x80, so any non-ASCII character (even U+00A0 or
 * a stray BOM) is an identifier character to PostgreSQL.
 */
function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === UNDERSCORE || c >= 0x80
}

/** scan.l's ident_cont: `$` is allowed after the first character, so `a$b$` is one identifier. */
function isIdentCont(c: number): boolean {
  return isIdentStart(c) || isDigit(c) || c === DOLLAR
}

/** scan.l's dolq_cont: like ident_cont but without `$`. */
function isDolqCont(c: number): boolean {
  return isIdentStart(c) || isDigit(c)
}

/** scan.l's op_chars. */
function isOpChar(c: number): boolean {
  switch (c) {
    case TILDE:
    case BANG:
    case AT:
    case HASH:
    case CARET:
    case AMP:
    case PIPE:
    case BACKTICK:
    case QUESTION:
    case PLUS:
    case MINUS:
    case STAR:
    case SLASH:
    case PERCENT:
    case LT:
    case GT:
    case EQ:
      return true
    default:
      return false
  }
}

/** Operator characters that are not in SQL's own operators (scan.l's trailing `+`/`-` rule). */
function isNonSqlOpChar(c: number): boolean {
  return (
    c === TILDE || c === BANG || c === AT || c === HASH || c === CARET || c === AMP || c === PIPE || c === BACKTICK || c === QUESTION || c === PERCENT
  )
}

/**
 * A pull scanner: `next()` advances to the next token and exposes it through
 * `kind`, `start`, `end` and `variant`, allocating nothing per token. The
 * splitter drives it directly so that a large file costs no token objects
 * unless they are asked for; {@link tokenize} wraps it into `Token[]`.
 *
 * @example
 * const s = new Scanner("select 'a;b';")
 * while (s.next()) console.log(s.kind, s.start, s.end)
 */
export class Scanner {
  readonly text: string
  /** Kind of the current token (valid after `next()` returned true). */
  kind: TokenKind = 'other'
  /** Offsets of the current token. */
  start = 0
  end = 0
  /** Variant of the current token when `kind === 'string'`. */
  variant: StringVariant | undefined = undefined
  #pos = 0

  constructor(text: string) {
    this.text = text
  }

  /**
   * Advances to the next token; false at the end of the text.
   * Throws {@link SqlSyntaxError} on an unterminated construct or a psql
   * meta-command (a backslash outside any string or comment).
   */
  next(): boolean {
    const text = this.text
    const len = text.length
    let i = this.#pos
    while (i < len && isSpace(text.charCodeAt(i))) i++
    if (i >= len) {
      this.#pos = len
      return false
    }
    const c = text.charCodeAt(i)
    const c1 = i + 1 < len ? text.charCodeAt(i + 1) : -1
    this.start = i
    this.variant = undefined

    if (c === MINUS && c1 === MINUS) return this.#emit('line-comment', this.#lineCommentEnd(i))
    if (c === SLASH && c1 === STAR) return this.#emit('block-comment', this.#blockCommentEnd(i))
    if (c === QUOTE) return this.#string('standard', i, i + 1)
    if (c === DQUOTE) return this.#emit('quoted-identifier', this.#quotedIdentifierEnd(i, i + 1))

    if (isIdentStart(c)) {
      // One-letter prefixes win over the identifier rule only when the quote
      // follows at once (flex's longest match: `e'` beats the identifier `e`,
      // but `xe'` is the identifier `xe` followed by a string).
      if (c1 === QUOTE) {
        switch (c | 0x20) {
          case 101: // e
            return this.#string('escape', i, i + 2)
          case 98: // b
            return this.#string('bit', i, i + 2)
          case 120: // x
            return this.#string('hex', i, i + 2)
          case 110: // n
            return this.#string('national', i, i + 2)
        }
      } else if ((c | 0x20) === 117 && c1 === AMP) {
        // u&
        const c2 = text.charCodeAt(i + 2)
        if (c2 === QUOTE) return this.#string('unicode', i, i + 3)
        if (c2 === DQUOTE) return this.#emit('quoted-identifier', this.#quotedIdentifierEnd(i, i + 3))
        // `u&` followed by anything else is the identifier `u` and the operator `&`.
      }
      return this.#emit('word', this.#identEnd(i))
    }

    if (isDigit(c) || (c === DOT && isDigit(c1))) return this.#emit('number', this.#numberEnd(i))

    switch (c) {
      case DOLLAR:
        return this.#dollar(i, c1)
      case LPAREN:
      case RPAREN:
      case LBRACKET:
      case RBRACKET:
      case COMMA:
      case SEMICOLON:
        return this.#emit('punctuation', i + 1)
      case DOT:
        return this.#emit('punctuation', c1 === DOT ? i + 2 : i + 1)
      case COLON:
        if (c1 === COLON || c1 === EQ) return this.#emit('operator', i + 2)
        return this.#emit('punctuation', i + 1)
      case BACKSLASH:
        throw this.#metaCommand(i)
    }
    if (isOpChar(c)) return this.#emit('operator', this.#operatorEnd(i))
    // A lone surrogate pair half cannot reach here: every code unit >= 0x80 is an identifier character.
    return this.#emit('other', i + 1)
  }

  #emit(kind: TokenKind, end: number): true {
    this.kind = kind
    this.end = end
    this.#pos = end
    return true
  }

  #lineCommentEnd(i: number): number {
    // Ends before \n or \r (scan.l accepts either as a newline).
    const text = this.text
    const len = text.length
    let j = i + 2
    while (j < len) {
      const c = text.charCodeAt(j)
      if (c === LF || c === CR) break
      j++
    }
    return j
  }

  #blockCommentEnd(i: number): number {
    // Block comments nest in PostgreSQL (unlike C): `/* /* */ */` is one comment.
    const text = this.text
    const len = text.length
    let depth = 1
    let j = i + 2
    while (j < len) {
      const c = text.charCodeAt(j)
      if (c === STAR && text.charCodeAt(j + 1) === SLASH) {
        j += 2
        if (--depth === 0) return j
      } else if (c === SLASH && text.charCodeAt(j + 1) === STAR) {
        j += 2
        depth++
      } else {
        j++
      }
    }
    throw new SqlSyntaxError('unterminated /* comment', text, i)
  }

  #quotedIdentifierEnd(start: number, from: number): number {
    const text = this.text
    let j = from
    for (;;) {
      const q = text.indexOf('"', j)
      if (q < 0) throw new SqlSyntaxError('unterminated quoted identifier', text, start)
      if (text.charCodeAt(q + 1) === DQUOTE) {
        j = q + 2 // "" is a literal double quote
        continue
      }
      return q + 1
    }
  }

  /**
   * A quoted string of any variant but dollar. `from` is just after the
   * opening quote. After each closing quote, scan.l's quote continuation
   * applies: `'a'` <whitespace with a newline> `'b'` is one literal, and it
   * stays in the first part's mode, so in `E'a'\n'\';'` the `\'` is escaped.
   */
  #string(variant: StringVariant, start: number, from: number): true {
    const text = this.text
    const len = text.length
    let j = from
    for (;;) {
      let close: number
      if (variant === 'escape') {
        close = -1
        while (j < len) {
          const c = text.charCodeAt(j)
          if (c === BACKSLASH) {
            j += 2 // a backslash escapes whatever follows, including a quote or a newline
          } else if (c === QUOTE) {
            if (text.charCodeAt(j + 1) === QUOTE) {
              j += 2
            } else {
              close = j
              break
            }
          } else {
            j++
          }
        }
      } else {
        close = text.indexOf("'", j)
        // Bit and hex strings have no '' escape: B'1''0' is B'1' followed by '0'.
        // That splits the same way, but keep the token boundaries PostgreSQL's.
        while (close >= 0 && variant !== 'bit' && variant !== 'hex' && text.charCodeAt(close + 1) === QUOTE) {
          close = text.indexOf("'", close + 2)
        }
      }
      if (close < 0) {
        const what =
          variant === 'bit' ? 'unterminated bit string literal' : variant === 'hex' ? 'unterminated hexadecimal string literal' : 'unterminated quoted string'
        throw new SqlSyntaxError(what, text, start)
      }
      const next = this.#continuation(close + 1)
      if (next < 0) {
        this.variant = variant
        return this.#emit('string', close + 1)
      }
      j = next + 1
    }
  }

  /**
   * scan.l's {quotecontinue}: after a closing quote, whitespace and `--`
   * comments containing at least one newline, then a quote, continue the
   * literal. Returns the offset of that quote, or -1.
   */
  #continuation(i: number): number {
    const text = this.text
    const len = text.length
    let sawNewline = false
    while (i < len) {
      const c = text.charCodeAt(i)
      if (c === LF || c === CR) {
        sawNewline = true
        i++
      } else if (c === SPACE || c === TAB || c === FF || c === VT) {
        i++
      } else if (c === MINUS && text.charCodeAt(i + 1) === MINUS) {
        i = this.#lineCommentEnd(i)
      } else {
        break
      }
    }
    return sawNewline && i < len && text.charCodeAt(i) === QUOTE ? i : -1
  }

  /** `$1`, `$tag$...$tag$`, `$$...$$`, or a lone `$`. */
  #dollar(i: number, c1: number): true {
    const text = this.text
    const len = text.length
    if (isDigit(c1)) {
      let j = i + 2
      while (j < len && isDigit(text.charCodeAt(j))) j++
      // `$1abc` is an error for the server ("trailing junk after parameter");
      // keep it one token. (`$1$2` is two parameters: `$` cannot start an identifier.)
      if (j < len && isIdentStart(text.charCodeAt(j))) j = this.#identEnd(j)
      return this.#emit('parameter', j)
    }
    let j = i + 1
    if (c1 !== DOLLAR) {
      // A tag is identifier-like but cannot start with a digit and cannot contain `$`.
      if (!isIdentStart(c1)) return this.#emit('other', i + 1)
      j++
      while (j < len && isDolqCont(text.charCodeAt(j))) j++
      if (text.charCodeAt(j) !== DOLLAR) return this.#emit('other', i + 1) // scan.l's dolqfailed: a lone `$`
    }
    const delimiter = text.slice(i, j + 1)
    // The body ends at the first occurrence of the exact (case-sensitive)
    // opening delimiter. scan.l tries a delimiter at every `$` of the body,
    // which finds exactly the first occurrence, so indexOf is equivalent.
    const close = text.indexOf(delimiter, j + 1)
    if (close < 0) throw new SqlSyntaxError('unterminated dollar-quoted string', text, i)
    this.variant = 'dollar'
    return this.#emit('string', close + delimiter.length)
  }

  #numberEnd(i: number): number {
    const text = this.text
    const len = text.length
    let j = i
    const c0 = text.charCodeAt(i)
    const radix = c0 === ZERO ? text.charCodeAt(i + 1) | 0x20 : 0
    if (radix === 120 /* x */ || radix === 111 /* o */ || radix === 98 /* b */) {
      j = this.#digitsEnd(i + 2, radix === 120 ? HEX : radix === 111 ? OCTAL : BINARY)
    } else {
      if (c0 !== DOT) j = this.#digitsEnd(j, DECIMAL)
      // `1..10` is 1, `..`, 10 (scan.l's numericfail)
      if (text.charCodeAt(j) === DOT && text.charCodeAt(j + 1) !== DOT) j = this.#digitsEnd(j + 1, DECIMAL)
      if ((text.charCodeAt(j) | 0x20) === 101 /* e */) {
        let k = j + 1
        const sign = text.charCodeAt(k)
        if (sign === PLUS || sign === MINUS) k++
        if (isDigit(text.charCodeAt(k))) j = this.#digitsEnd(k, DECIMAL)
      }
    }
    // An identifier glued to a number (`1abc`, `0x1Fg`, `1e`) is "trailing
    // junk" to PostgreSQL 15+; swallow it so that e.g. `1e'x'` does not look
    // like an E'' string.
    if (j < len && isIdentStart(text.charCodeAt(j))) j = this.#identEnd(j)
    return j
  }

  /**
   * End of `digit (_? digit)*` from `j`: an underscore only between digits.
   * A method, not a closure in #numberEnd: Bun (JSC) allocated one per
   * number token, ~200 MB of garbage for a 200 MB file of INSERTs (issue 13).
   */
  #digitsEnd(j: number, radix: Radix): number {
    const text = this.text
    const len = text.length
    while (j < len) {
      const c = text.charCodeAt(j)
      if (isRadixDigit(c, radix)) j++
      else if (c === UNDERSCORE && isRadixDigit(text.charCodeAt(j + 1), radix)) j += 2
      else break
    }
    return j
  }

  /** End of the identifier whose first character is at `i`. */
  #identEnd(i: number): number {
    const text = this.text
    const len = text.length
    let j = i + 1
    while (j < len && isIdentCont(text.charCodeAt(j))) j++
    return j
  }

  #operatorEnd(i: number): number {
    const text = this.text
    const len = text.length
    let j = i + 1
    while (j < len && isOpChar(text.charCodeAt(j))) j++
    // A comment start inside an operator ends it: `+/*x*/` is `+` and a comment.
    for (let k = i + 1; k < j - 1; k++) {
      const a = text.charCodeAt(k)
      const b = text.charCodeAt(k + 1)
      if ((a === SLASH && b === STAR) || (a === MINUS && b === MINUS)) {
        j = k
        break
      }
    }
    // SQL compatibility: a multi-character operator cannot end in + or -
    // unless it contains a character that no SQL operator has (`=-` is `=`
    // and `-`, but `?-` is one operator).
    if (j - i > 1) {
      const last = text.charCodeAt(j - 1)
      if (last === PLUS || last === MINUS) {
        let special = false
        for (let k = i; k < j - 1; k++) {
          if (isNonSqlOpChar(text.charCodeAt(k))) {
            special = true
            break
          }
        }
        if (!special) {
          do j--
          while (j - i > 1 && (text.charCodeAt(j - 1) === PLUS || text.charCodeAt(j - 1) === MINUS))
        }
      }
    }
    return j
  }

  #metaCommand(i: number): SqlSyntaxError {
    // A backslash outside any string or comment is never SQL (the server has
    // no such token); in a file it is almost always a psql meta-command
    // (`\connect`, `\i`, `\set`, `\gexec`), usually at the start of a line.
    const text = this.text
    let j = i + 1
    while (j < text.length && !isSpace(text.charCodeAt(j)) && j - i < 40) j++
    const command = text.slice(i, j)
    return new SqlSyntaxError(`psql meta-command ${command} is not SQL; link-migrate sends files to the server as they are`, text, i)
  }
}

export interface TokenizeOptions {
  /** Include comment tokens (default true). */
  comments?: boolean
  /**
   * Added to every offset: the position of `text` in a larger source, so a
   * statement's slice can be re-lexed with file offsets (default 0).
   */
  base?: number
}

/**
 * Splits `text` into tokens (whitespace never, comments unless turned off).
 * Throws {@link SqlSyntaxError} on an unterminated string, quoted identifier,
 * dollar quote or block comment, or on a psql meta-command.
 *
 * @example tokenize("select 'a'") // [{ kind: 'word', text: 'select', upper: 'SELECT', ... }, { kind: 'string', variant: 'standard', ... }]
 */
export function tokenize(text: string, options: TokenizeOptions = {}): Token[] {
  const comments = options.comments ?? true
  const base = options.base ?? 0
  const scanner = new Scanner(text)
  const tokens: Token[] = []
  while (scanner.next()) {
    if (!comments && (scanner.kind === 'line-comment' || scanner.kind === 'block-comment')) continue
    const token = makeToken(scanner)
    if (base !== 0) {
      token.start += base
      token.end += base
    }
    tokens.push(token)
  }
  return tokens
}

/** Materialises the scanner's current token. Never throws. */
export function makeToken(scanner: Scanner): Token {
  const { kind, start, end } = scanner
  const text = scanner.text.slice(start, end)
  const token: Token = { kind, start, end, text }
  if (kind === 'word') token.upper = text.toUpperCase()
  else if (kind === 'string') token.variant = scanner.variant
  return token
}

/**
 * The name an identifier token stands for: an unquoted word with its ASCII
 * letters folded to lower case (as PostgreSQL does), a quoted identifier with its quotes removed and
 * `""` collapsed. `undefined` for other tokens and for `U&"..."` identifiers
 * (their escapes depend on a later UESCAPE clause). Never throws.
 *
 * @example identifierName(tokenize('"Users"')[0]!) // 'Users'
 */
export function identifierName(token: Token): string | undefined {
  // PostgreSQL folds only ASCII letters (in multibyte encodings): CAFÉ -> cafÉ.
  if (token.kind === 'word') return token.text.replace(/[A-Z]+/g, (m) => m.toLowerCase())
  if (token.kind === 'quoted-identifier' && token.text.charCodeAt(0) === DQUOTE) {
    return token.text.slice(1, -1).replaceAll('""', '"')
  }
  return undefined
}

/**
 * The value of a string constant token: `standard`, `national`, `escape`
 * (backslash escapes decoded) and `dollar` strings, with quote continuations
 * joined. `undefined` for other tokens and for `U&''`, `B''` and `X''`
 * strings. Never throws (a malformed escape is kept as written).
 *
 * @example stringValue(tokenize("E'a\\'b'")[0]!) // "a'b"
 */
export function stringValue(token: Token): string | undefined {
  if (token.kind !== 'string') return undefined
  const t = token.text
  switch (token.variant) {
    case 'dollar': {
      const open = t.indexOf('$', 1) + 1
      return t.slice(open, t.length - open)
    }
    case 'standard':
    case 'national':
      return joinParts(t.slice(token.variant === 'national' ? 1 : 0), false)
    case 'escape':
      return joinParts(t.slice(1), true)
    default:
      return undefined
  }
}

/** Decodes `'part'<ws>'part'...` (the text starts at the first quote). */
function joinParts(t: string, escapes: boolean): string {
  let out = ''
  let i = 1 // after the opening quote
  for (;;) {
    // Within a part.
    while (i < t.length) {
      const c = t.charCodeAt(i)
      if (c === QUOTE) {
        if (t.charCodeAt(i + 1) === QUOTE) {
          out += "'"
          i += 2
          continue
        }
        break
      }
      if (escapes && c === BACKSLASH) {
        const [s, n] = decodeEscape(t, i)
        out += s
        i += n
        continue
      }
      out += t[i]
      i++
    }
    // At a closing quote: skip the whitespace and `--` comments (which may
    // hold quotes) up to the next part's opening quote, if any.
    i++
    while (i < t.length && t.charCodeAt(i) !== QUOTE) {
      if (t.charCodeAt(i) === MINUS && t.charCodeAt(i + 1) === MINUS) {
        while (i < t.length && t.charCodeAt(i) !== LF && t.charCodeAt(i) !== CR) i++
      } else {
        i++
      }
    }
    if (i >= t.length) return out
    i++
  }
}

/** Decodes the backslash escape at `t[i]`: [decoded, length consumed]. */
function decodeEscape(t: string, i: number): [string, number] {
  const e = t[i + 1]
  if (e === undefined) return ['\\', 1]
  switch (e) {
    case 'b':
      return ['\b', 2]
    case 'f':
      return ['\f', 2]
    case 'n':
      return ['\n', 2]
    case 'r':
      return ['\r', 2]
    case 't':
      return ['\t', 2]
    case 'v':
      return ['\v', 2]
  }
  let m = /^[0-7]{1,3}/.exec(t.slice(i + 1, i + 4))
  if (m) return [String.fromCharCode(parseInt(m[0], 8) & 0xff), 1 + m[0].length]
  if (e === 'x') {
    m = /^[0-9A-Fa-f]{1,2}/.exec(t.slice(i + 2, i + 4))
    if (m) return [String.fromCharCode(parseInt(m[0], 16)), 2 + m[0].length]
  }
  if (e === 'u' || e === 'U') {
    const n = e === 'u' ? 4 : 8
    const hex = t.slice(i + 2, i + 2 + n)
    if (hex.length === n && /^[0-9A-Fa-f]+$/.test(hex)) {
      const cp = parseInt(hex, 16)
      // A \uD83D\uDE00 surrogate pair decodes to the two halves, which JS joins.
      if (cp <= 0x10ffff) return [String.fromCodePoint(cp), 2 + n]
    }
  }
  // Any other escaped character stands for itself (\\ -> \, \' -> ').
  const cp = t.codePointAt(i + 1) ?? 0
  return [String.fromCodePoint(cp), 1 + (cp > 0xffff ? 2 : 1)]
}
