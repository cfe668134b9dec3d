import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import {
  Locator,
  byteOffsetToIndex,
  indexToByteOffset,
  lineCol,
  offsetFromLineCol,
  offsetFromServerPosition,
} from '../../src/sql/position.js'

// "a😀é" then CRLF then "  x" then LF then "ü": offsets 0..11
const MIXED = 'a😀é\r\n  x\nü'

const lc = suite('position: lineCol')

lc('columns count code points: an emoji is one column', () => {
  assert.equal(lineCol(MIXED, 0), { line: 1, column: 1 })
  assert.equal(lineCol(MIXED, 1), { line: 1, column: 2 }) // the emoji
  assert.equal(lineCol(MIXED, 3), { line: 1, column: 3 }) // é, after the 2-unit emoji
  assert.equal(lineCol(MIXED, 4), { line: 1, column: 4 }) // \r
})

lc('CRLF is one line break', () => {
  assert.equal(lineCol(MIXED, 6), { line: 2, column: 1 })
  assert.equal(lineCol(MIXED, 8), { line: 2, column: 3 }) // x
  assert.equal(lineCol(MIXED, 10), { line: 3, column: 1 }) // ü
  assert.equal(lineCol('a\r\nb\r\nc', 6), { line: 3, column: 1 })
})

lc('a lone CR is not a line break', () => {
  assert.equal(lineCol('a\rb', 2), { line: 1, column: 3 })
})

lc('offsets are clamped', () => {
  assert.equal(lineCol(MIXED, -5), { line: 1, column: 1 })
  assert.equal(lineCol(MIXED, 999), { line: 3, column: 2 })
  assert.equal(lineCol('', 0), { line: 1, column: 1 })
})

lc('Locator agrees with lineCol forwards, backwards and at random', () => {
  const text = 'x😀\n'.repeat(5) + 'é\r\nlast'
  const loc = new Locator(text)
  const offsets = [...Array(text.length + 1).keys()]
  for (const o of offsets) assert.equal(loc.locate(o), lineCol(text, o), `~> forward ${o}`)
  for (const o of offsets.reverse()) assert.equal(loc.locate(o), lineCol(text, o), `~> backward ${o}`)
  for (const o of [7, 3, 3, 15, 2, 20, 0]) assert.equal(loc.locate(o), lineCol(text, o), `~> jump ${o}`)
})

const back = suite('position: offsetFromLineCol')

back('inverts lineCol at every character start', () => {
  for (let o = 0; o <= MIXED.length; o++) {
    if (o === 2) continue // the middle of the emoji's surrogate pair is not a character start
    const { line, column } = lineCol(MIXED, o)
    assert.is(offsetFromLineCol(MIXED, line, column), o, `~> offset ${o}`)
  }
})

back('past the end of a line or of the text', () => {
  assert.is(offsetFromLineCol(MIXED, 2, 99), 9) // the \n ending line 2
  assert.is(offsetFromLineCol(MIXED, 9, 1), MIXED.length)
})

const server = suite('position: offsetFromServerPosition')

server('server positions count characters, not UTF-16 units or bytes', () => {
  const sql = "SELECT '😀é' FROMM t"
  // S=1 ... '=8, 😀=9, é=10, '=11, space=12, F=13
  const at = offsetFromServerPosition(sql, 13)
  assert.is(sql.slice(at, at + 5), 'FROMM')
  assert.is(at, 13) // the emoji takes two UTF-16 units but one character
  assert.is(offsetFromServerPosition(sql, 1), 0)
})

server('from: the query sent was one statement of the file', () => {
  const file = "-- 😀\nSELECT 1;\nSELECT 'ü' FROMM t;"
  const start = file.indexOf("SELECT 'ü'")
  const at = offsetFromServerPosition(file, 12, start)
  assert.is(file.slice(at, at + 5), 'FROMM')
  assert.equal(lineCol(file, at), { line: 3, column: 12 })
})

server('out-of-range positions are clamped', () => {
  assert.is(offsetFromServerPosition('abc', 0), 0)
  assert.is(offsetFromServerPosition('abc', -3, 1), 1)
  assert.is(offsetFromServerPosition('abc', 99), 3)
})

const bytes = suite('position: UTF-8 byte offsets')

bytes('round trip with Buffer for ASCII, 2-, 3- and 4-byte characters', () => {
  const text = 'aé€😀b\n'
  for (let i = 0; i <= text.length; i++) {
    if (i === 4) continue // inside the emoji's surrogate pair
    const b = Buffer.byteLength(text.slice(0, i), 'utf8')
    assert.is(indexToByteOffset(text, i), b, `~> index ${i}`)
    assert.is(byteOffsetToIndex(text, b), i, `~> byte ${b}`)
  }
})

bytes('a byte offset inside a character gives that character', () => {
  // é is bytes 1-2, 😀 is bytes 3-6
  assert.is(byteOffsetToIndex('é😀x', 1), 0)
  assert.is(byteOffsetToIndex('é😀x', 2), 1)
  assert.is(byteOffsetToIndex('é😀x', 4), 1)
  assert.is(byteOffsetToIndex('é😀x', 6), 3)
})

bytes('from: byte offsets relative to a later index', () => {
  const text = 'é;SELECT ü, x'
  const start = 2
  assert.is(byteOffsetToIndex(text, 'SELECT ü, '.length + 1, start), text.indexOf('x'))
  assert.is(byteOffsetToIndex(text, 999), text.length)
})

lc.run()
back.run()
server.run()
bytes.run()
