import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { SqlSyntaxError } from '../../src/sql/lexer.js'
import { splitSource, splitStatements, type Statement } from '../../src/sql/split.js'
import { SqlGen } from './gen.js'

const texts = (sql: string): string[] => splitStatements(sql, { tokens: false }).map((s) => s.text)

const shape = suite('split: statement shape')

shape('whole statements: exact slice, offsets, 1-based line and column, semicolon, tokens', () => {
  const sql = "-- head\n  select 'a;b' /* x */ ;\r\nselect 2"
  const [a, b, ...rest] = splitStatements(sql)
  assert.equal(rest, [])
  assert.equal(a, {
    text: "select 'a;b'",
    start: 10,
    end: 22,
    line: 2,
    column: 3,
    semicolon: 31,
    tokens: [
      { kind: 'word', start: 10, end: 16, text: 'select', upper: 'SELECT' },
      { kind: 'string', start: 17, end: 22, text: "'a;b'", variant: 'standard' },
    ],
  } satisfies Statement)
  assert.equal(b, {
    text: 'select 2',
    start: 34,
    end: 42,
    line: 3,
    column: 1,
    tokens: [
      { kind: 'word', start: 34, end: 40, text: 'select', upper: 'SELECT' },
      { kind: 'number', start: 41, end: 42, text: '2' },
    ],
  } satisfies Statement)
})

shape('tokens: false leaves tokens out', () => {
  const [a] = splitStatements('select 1;', { tokens: false })
  assert.equal(a, { text: 'select 1', start: 0, end: 8, line: 1, column: 1, semicolon: 8 })
})

shape('tokens are lexed on first read, once, with file offsets, and can be replaced', () => {
  const [, b] = splitStatements("select 1;\n  select 'é' -- c\n , x")
  const tokens = b!.tokens!
  assert.is(b!.tokens, tokens)
  assert.equal(
    tokens.map((t) => [t.text, t.start]),
    [
      ['select', 12],
      ["'é'", 19],
      [',', 29],
      ['x', 31],
    ],
  )
  assert.ok(JSON.stringify(b).includes('"tokens":['))
  b!.tokens = []
  assert.equal(b!.tokens, [])
})

shape('comments inside a statement stay in its text; comments at its edges do not', () => {
  assert.equal(texts('/* a */ select 1 -- b\n, 2 /* c */ ; -- d'), ['select 1 -- b\n, 2'])
})

shape('empty statements, blank files and comment-only files give nothing', () => {
  assert.equal(texts(''), [])
  assert.equal(texts(' \n\t'), [])
  assert.equal(texts(';; ;\n;'), [])
  assert.equal(texts('-- only ; a comment\n/* and ; another */'), [])
  assert.equal(texts('select 1;;;select 2;;'), ['select 1', 'select 2'])
})

shape('splitSource also returns every comment in order', () => {
  const { statements, comments } = splitSource('-- a\nselect /* b */ 1; -- c')
  assert.is(statements.length, 1)
  assert.equal(
    comments.map((c) => [c.kind, c.text, c.start]),
    [
      ['line-comment', '-- a', 0],
      ['block-comment', '/* b */', 12],
      ['line-comment', '-- c', 23],
    ],
  )
})

shape('lexical errors propagate as SqlSyntaxError', () => {
  assert.throws(() => splitStatements("select 1; select 'x"), (e: unknown) => e instanceof SqlSyntaxError && e.line === 1 && e.column === 18)
})

const rules = suite('split: where a ; ends a statement')

rules('not inside parentheses (psql): CREATE RULE ... DO ALSO (a; b)', () => {
  assert.equal(texts('create rule r as on insert to t do also (select 1; select 2); select 3'), [
    'create rule r as on insert to t do also (select 1; select 2)',
    'select 3',
  ])
})

rules('an unbalanced ) does not make the depth negative', () => {
  assert.equal(texts('select 1); select 2'), ['select 1)', 'select 2'])
})

rules('not inside BEGIN ATOMIC ... END, with CASE ... END nesting, any letter case', () => {
  assert.equal(
    texts('create function f() returns int language sql begin atomic select case when true then 1 end; select 2; end; select 3'),
    ['create function f() returns int language sql begin atomic select case when true then 1 end; select 2; end', 'select 3'],
  )
  assert.equal(texts('CREATE OR REPLACE PROCEDURE p() LANGUAGE sql BEGIN /* c */ ATOMIC INSERT INTO t VALUES (1); END; SELECT 2'), [
    'CREATE OR REPLACE PROCEDURE p() LANGUAGE sql BEGIN /* c */ ATOMIC INSERT INTO t VALUES (1); END',
    'SELECT 2',
  ])
})

rules('BEGIN counts only as BEGIN ATOMIC in a CREATE FUNCTION/PROCEDURE header', () => {
  // A function named begin, a parameter named begin, and BEGIN elsewhere.
  assert.equal(texts('create function begin() returns int language sql as $$select 1$$; select 2'), [
    'create function begin() returns int language sql as $$select 1$$',
    'select 2',
  ])
  assert.equal(texts('select begin atomic from t; select 2'), ['select begin atomic from t', 'select 2'])
  assert.equal(texts('begin; select 1; commit'), ['begin', 'select 1', 'commit'])
})

rules('plpgsql BEGIN ... END; lives in a string', () => {
  assert.equal(texts('do $$ begin perform 1; end $$; select 2'), ['do $$ begin perform 1; end $$', 'select 2'])
})

const big = suite('split: large input')

big('a 5 MB generated file splits into the expected number of statements', () => {
  // One block of generated statements, each ended by `;\n`, repeated: the
  // count must scale exactly (no state leaks across statements).
  const gen = new SqlGen(7)
  let block = ''
  for (let i = 0; i < 200; i++) block += gen.statement() + ';\n'
  const perBlock = splitStatements(block, { tokens: false }).length
  assert.is(perBlock, 200)
  const copies = Math.ceil((5 * 1024 * 1024) / block.length)
  const text = block.repeat(copies)
  assert.ok(text.length >= 5 * 1024 * 1024)
  assert.is(splitStatements(text, { tokens: false }).length, perBlock * copies)
  const withTokens = splitStatements(text)
  assert.is(withTokens.length, perBlock * copies)
  // Lines stay right to the end: the last statement sits where it sits in the last copy.
  const lastInBlock = splitStatements(block, { tokens: false }).at(-1)!
  const newlinesPerBlock = block.split('\n').length - 1
  assert.is(withTokens.at(-1)?.line, (copies - 1) * newlinesPerBlock + lastInBlock.line)
})

big('one long line of many statements stays linear (columns are counted incrementally)', () => {
  const text = 'select 1;'.repeat(200_000)
  const statements = splitStatements(text, { tokens: false })
  assert.is(statements.length, 200_000)
  assert.equal(statements.at(-1), { text: 'select 1', start: text.length - 9, end: text.length - 1, line: 1, column: text.length - 8, semicolon: text.length - 1 })
})

shape.run()
rules.run()
big.run()
