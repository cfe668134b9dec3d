/**
 * Offsets in SQL text <-> `line:column`, and the two foreign position units
 * that point into it: PostgreSQL's error `position` (characters) and
 * libpg-query's locations (UTF-8 bytes).
 *
 * Units used throughout link-migrate:
 * - an *offset* (or *index*) is a UTF-16 code-unit index into a JS string;
 * - `line` and `column` are 1-based; a column counts *code points*, so an
 *   emoji before a token moves it by one column, as PostgreSQL and editors
 *   count it;
 * - a line break is `\n`; the `\r` of a CRLF pair is the last character of
 *   its line, so a CRLF file has the same line numbers as its LF twin. A lone
 *   `\r` (classic Mac) is not a line break: git, GitHub and PostgreSQL's own
 *   `LINE n:` error context do not count it either.
 *
 * Every function here is total: out-of-range input is clamped, never thrown.
 */

/** A 1-based position in a text. */
export interface LineCol {
  line: number
  /** 1-based, counted in code points. */
  column: number
}

const LF = 10

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff
}

function clamp(n: number, lo: number, hi: number): number {
  return n < lo ? lo : n > hi ? hi : n
}

/**
 * The 1-based line and column of a UTF-16 `offset` in `text`.
 * O(offset); for many increasing offsets in one text use {@link Locator}.
 * Never throws: the offset is clamped to `[0, text.length]`.
 *
 * @example lineCol('a\n😀b', 4) // { line: 2, column: 2 }
 */
export function lineCol(text: string, offset: number): LineCol {
  return new Locator(text).locate(offset)
}

/**
 * Locates many offsets in one text in amortised O(distance moved): the
 * splitter asks for every statement start in increasing order, and a fresh
 * scan from the top each time would make a file of many statements
 * quadratic. Going backwards restarts from the last line start (or the top).
 * Never throws.
 *
 * @example
 * const loc = new Locator(text)
 * for (const s of statements) console.log(loc.locate(s.start))
 */
export class Locator {
  readonly #text: string
  #offset = 0
  #line = 1
  #column = 1
  /** Offset of the first character of the current line. */
  #lineStart = 0

  constructor(text: string) {
    this.#text = text
  }

  /** Line and column of `offset` (clamped to the text). */
  locate(offset: number): LineCol {
    const text = this.#text
    const target = clamp(Math.floor(offset), 0, text.length)
    if (target < this.#offset) {
      if (target >= this.#lineStart) {
        // Same line: recount the columns from the line start.
        this.#offset = this.#lineStart
        this.#column = 1
      } else {
        this.#offset = 0
        this.#line = 1
        this.#column = 1
        this.#lineStart = 0
      }
    }
    let i = this.#offset
    let line = this.#line
    let column = this.#column
    let lineStart = this.#lineStart
    while (i < target) {
      const c = text.charCodeAt(i)
      if (c === LF) {
        line++
        column = 1
        lineStart = i + 1
      } else if (!(isLowSurrogate(c) && i > lineStart && isHighSurrogate(text.charCodeAt(i - 1)))) {
        // The second half of a surrogate pair is not a new character.
        column++
      }
      i++
    }
    this.#offset = i
    this.#line = line
    this.#column = column
    this.#lineStart = lineStart
    return { line, column }
  }
}

/**
 * The UTF-16 offset of a 1-based `line` and code-point `column`: the inverse
 * of {@link lineCol}. A line past the end gives `text.length`; a column past
 * the end of its line gives the offset of that line's `\n` (or the end).
 * Never throws.
 *
 * @example offsetFromLineCol('a\n😀b', 2, 2) // 4
 */
export function offsetFromLineCol(text: string, line: number, column: number): number {
  let i = 0
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', i)
    if (nl < 0) return text.length
    i = nl + 1
  }
  for (let col = 1; col < column && i < text.length; col++) {
    const c = text.charCodeAt(i)
    if (c === LF) break
    i += isHighSurrogate(c) && isLowSurrogate(text.charCodeAt(i + 1)) ? 2 : 1
  }
  return i
}

/**
 * Converts PostgreSQL's error `position` into a UTF-16 offset in `text`.
 *
 * The server reports `position` as a 1-based count of *characters* (code
 * points, for a UTF-8 database) into the query string it received, not
 * bytes and not UTF-16 units. `from` is the offset in `text` where that query
 * string began (the statement's `start` when a no-transaction file is sent
 * statement by statement; 0 when the whole file, or its `bodyText`, is sent).
 * Positions before 1 give `from`; positions past the end give `text.length`.
 * Never throws.
 *
 * @example offsetFromServerPosition('SELECT \'😀\' FROMM', 12) // 12, the "F"
 */
export function offsetFromServerPosition(text: string, position: number, from = 0): number {
  let i = clamp(Math.floor(from), 0, text.length)
  for (let n = 1; n < position && i < text.length; n++) {
    i += isHighSurrogate(text.charCodeAt(i)) && isLowSurrogate(text.charCodeAt(i + 1)) ? 2 : 1
  }
  return i
}

/** Number of UTF-8 bytes that encode the code point starting at UTF-16 index `i`, and its UTF-16 length. */
function utf8Width(text: string, i: number): [bytes: number, units: number] {
  const c = text.charCodeAt(i)
  if (c < 0x80) return [1, 1]
  if (c < 0x800) return [2, 1]
  if (isHighSurrogate(c) && isLowSurrogate(text.charCodeAt(i + 1))) return [4, 2]
  // Lone surrogates are encoded as U+FFFD (3 bytes) by TextEncoder/Buffer.
  return [3, 1]
}

/**
 * Converts a UTF-8 byte offset (libpg-query's `stmt_location`, scan token
 * `start`/`end`) into a UTF-16 index in `text`. `from` is the index where the
 * byte-counted string began. A byte offset inside a multi-byte character gives
 * the index of that character; past the end gives `text.length`. Never throws.
 *
 * @example byteOffsetToIndex('é;', 2) // 1
 */
export function byteOffsetToIndex(text: string, byteOffset: number, from = 0): number {
  let i = clamp(Math.floor(from), 0, text.length)
  let bytes = 0
  while (i < text.length) {
    const [b, u] = utf8Width(text, i)
    if (bytes + b > byteOffset) break
    bytes += b
    i += u
  }
  return i
}

/**
 * The UTF-8 byte offset of UTF-16 index `index` in `text` (the inverse of
 * {@link byteOffsetToIndex}). Never throws; the index is clamped.
 *
 * @example indexToByteOffset('é;', 1) // 2
 */
export function indexToByteOffset(text: string, index: number): number {
  const end = clamp(Math.floor(index), 0, text.length)
  let bytes = 0
  let i = 0
  while (i < end) {
    const [b, u] = utf8Width(text, i)
    bytes += b
    i += u
  }
  return bytes
}
