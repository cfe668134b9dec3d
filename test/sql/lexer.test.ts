import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Scanner, SqlSyntaxError, identifierName, stringValue, tokenize, type Token } from '../../src/sql/lexer.js'

/** [kind(/variant), text] pairs: compact enough to assert whole token lists. */
function kinds(text: string): string[][] {
  return tokenize(text).map((t) => [t.kind + (t.variant ? `/${t.variant}` : ''), t.text])
}

function lexError(text: string): { message: string; line: number; column: number; offset: number } {
  try {
    tokenize(text)
  } catch (e) {
    assert.instance(e, SqlSyntaxError)
    assert.instance(e, Error)
    const err = e as SqlSyntaxError
    assert.is(err.name, 'SqlSyntaxError')
    return { message: err.message, line: err.line, column: err.column, offset: err.offset }
  }
  throw new Error(`expected a SqlSyntaxError for ${JSON.stringify(text)}`)
}

const kindsSuite = suite('lexer: token kinds')

kindsSuite('every kind of token', () => {
  assert.equal(kinds(`select "a""b", 'x', E'y', U&'z', B'1', X'f', N'n', $$d$$, $1, 1.5, a::int, ( ) [ ] ; . : .. -- c\n/* c */ {`), [
    ['word', 'select'],
    ['quoted-identifier', '"a""b"'],
    ['punctuation', ','],
    ['string/standard', "'x'"],
    ['punctuation', ','],
    ['string/escape', "E'y'"],
    ['punctuation', ','],
    ['string/unicode', "U&'z'"],
    ['punctuation', ','],
    ['string/bit', "B'1'"],
    ['punctuation', ','],
    ['string/hex', "X'f'"],
    ['punctuation', ','],
    ['string/national', "N'n'"],
    ['punctuation', ','],
    ['string/dollar', '$$d$$'],
    ['punctuation', ','],
    ['parameter', '$1'],
    ['punctuation', ','],
    ['number', '1.5'],
    ['punctuation', ','],
    ['word', 'a'],
    ['operator', '::'],
    ['word', 'int'],
    ['punctuation', ','],
    ['punctuation', '('],
    ['punctuation', ')'],
    ['punctuation', '['],
    ['punctuation', ']'],
    ['punctuation', ';'],
    ['punctuation', '.'],
    ['punctuation', ':'],
    ['punctuation', '..'],
    ['line-comment', '-- c'],
    ['block-comment', '/* c */'],
    ['other', '{'],
  ])
})

kindsSuite('words keep their offset and get an upper-cased copy', () => {
  assert.equal(tokenize('  Select\tcafé'), [
    { kind: 'word', start: 2, end: 8, text: 'Select', upper: 'SELECT' },
    { kind: 'word', start: 9, end: 13, text: 'café', upper: 'CAFÉ' },
  ] satisfies Token[])
})

kindsSuite('every non-ASCII character is an identifier character, as in PostgreSQL', () => {
  assert.equal(kinds('😀é x\u00a0y'), [
    ['word', '😀é'],
    ['word', 'x\u00a0y'],
  ])
})

kindsSuite('string prefixes only apply when the quote follows at once', () => {
  assert.equal(kinds("xe'a' e 'b' u&x U&'c' u&\"d\""), [
    ['word', 'xe'],
    ['string/standard', "'a'"],
    ['word', 'e'],
    ['string/standard', "'b'"],
    ['word', 'u'],
    ['operator', '&'],
    ['word', 'x'],
    ['string/unicode', "U&'c'"],
    ['quoted-identifier', 'u&"d"'],
  ])
})

kindsSuite('lower-case prefixes', () => {
  assert.equal(kinds("e'\\'' b'0' x'0' n'0'"), [
    ['string/escape', "e'\\''"],
    ['string/bit', "b'0'"],
    ['string/hex', "x'0'"],
    ['string/national', "n'0'"],
  ])
})

const strings = suite('lexer: strings')

strings("standard strings: '' is a quote, backslash is literal", () => {
  assert.equal(kinds("'it''s' 'a\\' ';'"), [
    ['string/standard', "'it''s'"],
    ['string/standard', "'a\\'"],
    ['string/standard', "';'"],
  ])
})

strings("E'' strings: \\' and '' are quotes, \\\\ is a backslash", () => {
  assert.equal(kinds("E'a\\'b' E'\\\\' ';' E'x''y'"), [
    ['string/escape', "E'a\\'b'"],
    ['string/escape', "E'\\\\'"],
    ['string/standard', "';'"],
    ['string/escape', "E'x''y'"],
  ])
})

strings("U&'' strings: a backslash does not escape the quote", () => {
  assert.equal(kinds("U&'\\' ';'"), [
    ['string/unicode', "U&'\\'"],
    ['string/standard', "';'"],
  ])
})

strings("B'' and X'' strings have no '' escape (same split, PostgreSQL's tokens)", () => {
  assert.equal(kinds("B'1''0' X'f''a'"), [
    ['string/bit', "B'1'"],
    ['string/standard', "'0'"],
    ['string/hex', "X'f'"],
    ['string/standard', "'a'"],
  ])
})

strings('quote continuation needs a newline and keeps the first part\'s mode', () => {
  assert.equal(kinds("'a' 'b'"), [
    ['string/standard', "'a'"],
    ['string/standard', "'b'"],
  ])
  assert.equal(kinds("'a'\n'b'"), [['string/standard', "'a'\n'b'"]])
  assert.equal(kinds("E'a'\r\n\t'\\';'"), [['string/escape', "E'a'\r\n\t'\\';'"]])
  assert.equal(kinds("'a' -- c'\n'b'"), [['string/standard', "'a' -- c'\n'b'"]])
  assert.equal(kinds("'a'\n/* c */'b'"), [
    ['string/standard', "'a'"],
    ['block-comment', '/* c */'],
    ['string/standard', "'b'"],
  ])
})

strings('dollar quotes: tags, nesting, case, positional parameters and identifiers', () => {
  assert.equal(kinds('$a$ $b$ ; $b$ $a$'), [['string/dollar', '$a$ $b$ ; $b$ $a$']])
  assert.equal(kinds('$T$ $t$ $T$'), [['string/dollar', '$T$ $t$ $T$']])
  assert.equal(kinds('$_1$x$_1$ $é$;$é$'), [
    ['string/dollar', '$_1$x$_1$'],
    ['string/dollar', '$é$;$é$'],
  ])
  assert.equal(kinds('$1 $12$3'), [
    ['parameter', '$1'],
    ['parameter', '$12'],
    ['parameter', '$3'],
  ])
  assert.equal(kinds('foo$bar$ x$1 b$$c'), [
    ['word', 'foo$bar$'],
    ['word', 'x$1'],
    ['word', 'b$$c'],
  ])
  // A tag cannot start with a digit: `$1a$` is a parameter with trailing junk, then a lone `$`.
  assert.equal(kinds('$a b $'), [
    ['other', '$'],
    ['word', 'a'],
    ['word', 'b'],
    ['other', '$'],
  ])
  // The body ends at the first exact delimiter; `$a$` inside `$ba$` is not one.
  assert.equal(kinds('$a$x$ba$y$a$'), [['string/dollar', '$a$x$ba$y$a$']])
})

strings('quoted identifiers: "" is a quote; comment markers and ; inside are text', () => {
  assert.equal(kinds('"a;""--/*" U&"x"'), [
    ['quoted-identifier', '"a;""--/*"'],
    ['quoted-identifier', 'U&"x"'],
  ])
})

const other = suite('lexer: comments, numbers, operators')

other('block comments nest; line comments end at \\n or \\r', () => {
  assert.equal(kinds('/* a /* b */ c */x -- y\rz'), [
    ['block-comment', '/* a /* b */ c */'],
    ['word', 'x'],
    ['line-comment', '-- y'],
    ['word', 'z'],
  ])
  assert.equal(kinds('/*/ still */ /**/ /***/'), [
    ['block-comment', '/*/ still */'],
    ['block-comment', '/**/'],
    ['block-comment', '/***/'],
  ])
})

other('numbers', () => {
  assert.equal(
    kinds('1_000 0x1F 0o17 0b101 .5 1.5e-3 1. 1..10 1e5 1abc').map(([, t]) => t),
    ['1_000', '0x1F', '0o17', '0b101', '.5', '1.5e-3', '1.', '1', '..', '10', '1e5', '1abc'],
  )
  // Trailing junk is swallowed, so `1e'x'` is not an E'' string.
  assert.equal(kinds("1e'x'"), [
    ['number', '1e'],
    ['string/standard', "'x'"],
  ])
})

other('operators stop at comment starts and follow the trailing +/- rule', () => {
  assert.equal(kinds('a+/*c*/b').map(([, t]) => t), ['a', '+', '/*c*/', 'b'])
  assert.equal(kinds('1 +--c\n2').map(([, t]) => t), ['1', '+', '--c', '2'])
  assert.equal(kinds('1 ---c').map(([, t]) => t), ['1', '---c'])
  assert.equal(kinds('a=-1').map(([, t]) => t), ['a', '=', '-', '1'])
  assert.equal(kinds('a?-1').map(([, t]) => t), ['a', '?-', '1'])
  assert.equal(kinds('a->>b @> c <> d := e').map(([, t]) => t), ['a', '->>', 'b', '@>', 'c', '<>', 'd', ':=', 'e'])
})

other('whitespace includes \\t \\n \\r \\f \\v', () => {
  assert.equal(kinds(' \t\n\r\f\va\v'), [['word', 'a']])
})

other('the Scanner exposes tokens without allocating them', () => {
  const s = new Scanner("a 'b'")
  const seen: string[] = []
  while (s.next()) seen.push(`${s.kind}:${s.start}-${s.end}:${s.variant ?? ''}`)
  assert.equal(seen, ['word:0-1:', 'string:2-5:standard'])
  assert.is(s.next(), false)
})

const errors = suite('lexer: errors')

errors('unterminated constructs are located where they began', () => {
  assert.equal(lexError("select 1;\n  'abc"), { message: 'unterminated quoted string', line: 2, column: 3, offset: 12 })
  assert.equal(lexError("E'abc\\'"), { message: 'unterminated quoted string', line: 1, column: 1, offset: 0 })
  assert.equal(lexError("E'abc\\"), { message: 'unterminated quoted string', line: 1, column: 1, offset: 0 })
  assert.equal(lexError("U&'abc"), { message: 'unterminated quoted string', line: 1, column: 1, offset: 0 })
  assert.equal(lexError("x B'01"), { message: 'unterminated bit string literal', line: 1, column: 3, offset: 2 })
  assert.equal(lexError("X'01"), { message: 'unterminated hexadecimal string literal', line: 1, column: 1, offset: 0 })
  assert.equal(lexError('"abc""'), { message: 'unterminated quoted identifier', line: 1, column: 1, offset: 0 })
  assert.equal(lexError('$a$ x $A$'), { message: 'unterminated dollar-quoted string', line: 1, column: 1, offset: 0 })
  assert.equal(lexError('/* /* */'), { message: 'unterminated /* comment', line: 1, column: 1, offset: 0 })
  assert.equal(lexError("'a'\n'b"), { message: 'unterminated quoted string', line: 1, column: 1, offset: 0 })
})

errors('columns count code points', () => {
  assert.equal(lexError("'😀é' 'x"), { message: 'unterminated quoted string', line: 1, column: 6, offset: 6 })
})

errors('psql meta-commands are refused with their name', () => {
  assert.equal(lexError('select 1;\n\\connect other\n'), {
    message: 'psql meta-command \\connect is not SQL; link-migrate sends files to the server as they are',
    line: 2,
    column: 1,
    offset: 10,
  })
  assert.is(lexError('  \\i other.sql').message, 'psql meta-command \\i is not SQL; link-migrate sends files to the server as they are')
  assert.is(lexError('\\set x 1').message, 'psql meta-command \\set is not SQL; link-migrate sends files to the server as they are')
  assert.equal(lexError('select 1 \\gexec'), {
    message: 'psql meta-command \\gexec is not SQL; link-migrate sends files to the server as they are',
    line: 1,
    column: 10,
    offset: 9,
  })
})

errors('a backslash inside strings and comments is fine', () => {
  assert.equal(kinds("'\\connect' -- \\i\n/* \\set */ $$\\gexec$$").length, 4)
})

const values = suite('lexer: identifierName and stringValue')

values('identifierName folds unquoted words and unquotes quoted ones', () => {
  const [a, b, c, d, e] = tokenize('Users "My ""T""" U&"x" 1 CAFÉ')
  assert.is(identifierName(a!), 'users')
  assert.is(identifierName(e!), 'cafÉ')
  assert.is(identifierName(b!), 'My "T"')
  assert.is(identifierName(c!), undefined)
  assert.is(identifierName(d!), undefined)
})

values('stringValue decodes standard, national, escape and dollar strings', () => {
  const v = (text: string): string | undefined => stringValue(tokenize(text)[0]!)
  assert.is(v("'it''s'"), "it's")
  assert.is(v("'a\\n'"), 'a\\n')
  assert.is(v("N'x''y'"), "x'y")
  assert.is(v("E'a\\'b\\\\c\\n\\t\\x41\\101\\u00e9\\U0001F600\\q'"), "a'b\\c\n\tAAé😀q")
  assert.is(v("E'\\uD83D\\uDE00'"), '😀')
  assert.is(v('$tag$ a;$b$ $tag$'), ' a;$b$ ')
  assert.is(v('$$$$'), '')
  assert.is(v("'a'\n-- it's a comment\n'b'"), 'ab')
  assert.is(v("E'a'\n'\\''"), "a'")
  assert.is(v("U&'a'"), undefined)
  assert.is(v("B'1'"), undefined)
  assert.is(v('x'), undefined)
})

kindsSuite.run()
strings.run()
other.run()
errors.run()
values.run()
