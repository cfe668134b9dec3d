// Pure tests of src/db/error.ts: server errors become QueryErrors that point
// at file:line:col, without a server (fake PostgresError-like objects).
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { isServerError, toQueryError, type SourceContext } from '../../src/db/error.js'
import { QueryError } from '../../src/errors.js'

/** What postgres.js throws for an ErrorResponse: a PostgresError with the server's fields. */
function pgError(fields: Record<string, unknown>): Error {
  return Object.assign(new Error(String(fields.message)), { name: 'PostgresError', severity_local: 'ERROR', severity: 'ERROR' }, fields)
}

/** The server's 1-based `position` (in code points) of `needle` in `text`, after `prefix` code points. */
function positionOf(text: string, needle: string, prefix = 0): number {
  const i = text.indexOf(needle)
  if (i < 0) throw new Error(`${needle} not in text`)
  return prefix + [...text.slice(0, i)].length + 1
}

/** Every field of a QueryError that the CLI renders or a caller reads. */
function shape(e: QueryError): object {
  return {
    name: e.name,
    code: e.code,
    exitCode: e.exitCode,
    message: e.message,
    file: e.file,
    line: e.line,
    column: e.column,
    sqlState: e.sqlState,
    details: e.details,
  }
}

function ctx(content: string, prefixChars = 0, from?: number): SourceContext {
  return from === undefined ? { file: '003_add_index.up.sql', content, prefixChars } : { file: '003_add_index.up.sql', content, prefixChars, from }
}

// ----------------------------------------------------------------- located

const located = suite('error: server errors with a position')

located('file:line:col, the source line and a caret', () => {
  const content = 'CREATE TABLE t (id int);\nCREATE TABLEE users (id int);\n'
  const e = pgError({ message: 'syntax error at or near "TABLEE"', code: '42601', position: String(positionOf(content, 'TABLEE')) })
  const q = toQueryError(e, ctx(content))
  assert.instance(q, QueryError)
  assert.equal(shape(q), {
    name: 'QueryError',
    code: 'MIGRATION_FAILED',
    exitCode: 1,
    message: '003_add_index.up.sql:2:8: syntax error at or near "TABLEE"',
    file: '003_add_index.up.sql',
    line: 2,
    column: 8,
    sqlState: '42601',
    details: ['2 | CREATE TABLEE users (id int);', '  |        ^', 'SQLSTATE: 42601'],
  })
  assert.is(q.cause, e)
})

located('multibyte characters before the error count as one column each', () => {
  const content = "INSERT INTO t VALUES ('😀', 'é');\nSELECT 'ü😀' FROMM x;\n"
  const e = pgError({ message: 'syntax error at or near "FROMM"', code: '42601', position: positionOf(content, 'FROMM') })
  assert.equal(shape(toQueryError(e, ctx(content))), {
    name: 'QueryError',
    code: 'MIGRATION_FAILED',
    exitCode: 1,
    message: '003_add_index.up.sql:2:13: syntax error at or near "FROMM"',
    file: '003_add_index.up.sql',
    line: 2,
    column: 13,
    sqlState: '42601',
    details: ["2 | SELECT 'ü😀' FROMM x;", '  |             ^', 'SQLSTATE: 42601'],
  })
})

located('the prefix sent before the file is subtracted', () => {
  const prefix = "begin;\nset local lock_timeout = 5000;\nselect 'ä';\n"
  const content = 'ALTER TABLE users ADD COLUMN x intt;\n'
  const prefixChars = [...prefix].length
  const e = pgError({ message: 'type "intt" does not exist', code: '42704', position: positionOf(content, 'intt', prefixChars) })
  assert.equal(shape(toQueryError(e, ctx(content, prefixChars))), {
    name: 'QueryError',
    code: 'MIGRATION_FAILED',
    exitCode: 1,
    message: '003_add_index.up.sql:1:32: type "intt" does not exist',
    file: '003_add_index.up.sql',
    line: 1,
    column: 32,
    sqlState: '42704',
    details: ['1 | ALTER TABLE users ADD COLUMN x intt;', `  | ${' '.repeat(31)}^`, 'SQLSTATE: 42704'],
  })
})

located('a statement sent alone (no-transaction file): position counts from its start', () => {
  const content = 'CREATE INDEX CONCURRENTLY i ON t (a);\n\n-- next\nDROP INDEXX j;\n'
  const from = content.indexOf('DROP')
  const e = pgError({ message: 'syntax error at or near "INDEXX"', code: '42601', position: 6 })
  const q = toQueryError(e, ctx(content, 0, from))
  assert.equal(
    { message: q.message, line: q.line, column: q.column, details: q.details },
    {
      message: '003_add_index.up.sql:4:6: syntax error at or near "INDEXX"',
      line: 4,
      column: 6,
      details: ['4 | DROP INDEXX j;', '  |      ^', 'SQLSTATE: 42601'],
    },
  )
})

located('CRLF files have the same lines; the excerpt has no CR; tabs show as one space', () => {
  const content = 'SELECT 1;\r\n\tSELEC 2;\r\n'
  const e = pgError({ message: 'syntax error at or near "SELEC"', code: '42601', position: positionOf(content, 'SELEC 2') })
  const q = toQueryError(e, ctx(content))
  assert.equal(
    { message: q.message, details: q.details },
    { message: '003_add_index.up.sql:2:2: syntax error at or near "SELEC"', details: ['2 |  SELEC 2;', '  |  ^', 'SQLSTATE: 42601'] },
  )
})

located('line numbers of two digits widen the gutter', () => {
  const content = 'SELECT 1;\n'.repeat(11) + 'SELECT * FROM nope;\n'
  const e = pgError({ message: 'relation "nope" does not exist', code: '42P01', position: positionOf(content, 'nope') })
  const q = toQueryError(e, ctx(content))
  assert.equal(
    { message: q.message, details: q.details },
    {
      message: '003_add_index.up.sql:12:15: relation "nope" does not exist',
      details: ['12 | SELECT * FROM nope;', '   |               ^', 'SQLSTATE: 42P01'],
    },
  )
})

located('a position past the end points at the end of the file', () => {
  const content = 'SELECT 1 +'
  const e = pgError({ message: 'syntax error at end of input', code: '42601', position: 500 })
  const q = toQueryError(e, ctx(content))
  assert.equal(
    { message: q.message, line: q.line, column: q.column, details: q.details },
    {
      message: '003_add_index.up.sql:1:11: syntax error at end of input',
      line: 1,
      column: 11,
      details: ['1 | SELECT 1 +', '  |           ^', 'SQLSTATE: 42601'],
    },
  )
})

// ---------------------------------------------------------- not located

const unlocated = suite('error: server errors without a usable position')

unlocated('detail, hint and every context line, in that order', () => {
  const e = pgError({
    message: 'duplicate key value violates unique constraint "users_email_key"',
    code: '23505',
    detail: 'Key (email)=(a@b.c) already exists.',
    hint: 'Remove the duplicates first.',
    where: 'SQL statement "INSERT INTO users VALUES (1)"\nPL/pgSQL function seed() line 3 at SQL statement',
  })
  assert.equal(shape(toQueryError(e, ctx('SELECT seed();\n'))), {
    name: 'QueryError',
    code: 'MIGRATION_FAILED',
    exitCode: 1,
    message: '003_add_index.up.sql: duplicate key value violates unique constraint "users_email_key"',
    file: '003_add_index.up.sql',
    line: undefined,
    column: undefined,
    sqlState: '23505',
    details: [
      'SQLSTATE: 23505',
      'DETAIL: Key (email)=(a@b.c) already exists.',
      'HINT: Remove the duplicates first.',
      'CONTEXT: SQL statement "INSERT INTO users VALUES (1)"',
      'CONTEXT: PL/pgSQL function seed() line 3 at SQL statement',
    ],
  })
})

unlocated('a position inside the prefix is not the file\'s', () => {
  const e = pgError({ message: 'syntax error at or near "x"', code: '42601', position: '3', hint: 'h' })
  const q = toQueryError(e, ctx('SELECT 1;', 10))
  assert.equal(
    { message: q.message, line: q.line, column: q.column, details: q.details },
    { message: '003_add_index.up.sql: syntax error at or near "x"', line: undefined, column: undefined, details: ['SQLSTATE: 42601', 'HINT: h'] },
  )
})

unlocated('located plus detail and hint: the excerpt comes first', () => {
  const content = 'ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0);\n'
  const e = pgError({
    message: 'check constraint "c" of relation "t" is violated by some row',
    code: '23514',
    position: positionOf(content, 'CHECK'),
    detail: 'd',
    hint: 'Add NOT VALID.',
  })
  assert.equal(toQueryError(e, ctx(content)).details, [
    '1 | ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0);',
    `  | ${' '.repeat(31)}^`, // CHECK starts at column 32
    'SQLSTATE: 23514',
    'DETAIL: d',
    'HINT: Add NOT VALID.',
  ])
})

unlocated('the error code can be chosen by the caller', () => {
  const e = pgError({ message: 'permission denied for table t', code: '42501' })
  assert.equal(shape(toQueryError(e, ctx('x'), 'QUERY_FAILED')), {
    name: 'QueryError',
    code: 'QUERY_FAILED',
    exitCode: 1,
    message: '003_add_index.up.sql: permission denied for table t',
    file: '003_add_index.up.sql',
    line: undefined,
    column: undefined,
    sqlState: '42501',
    details: ['SQLSTATE: 42501'],
  })
})

// ------------------------------------------------------------- non-server

const other = suite('error: errors that did not come from the server')

other('a socket error: file and message, no SQLSTATE, even with a five-letter code', () => {
  const e = Object.assign(new Error('write EPIPE'), { code: 'EPIPE', errno: -32, syscall: 'write' })
  assert.is(isServerError(e), false)
  const q = toQueryError(e, ctx('SELECT 1;'))
  assert.equal(shape(q), {
    name: 'QueryError',
    code: 'MIGRATION_FAILED',
    exitCode: 1,
    message: '003_add_index.up.sql: write EPIPE',
    file: '003_add_index.up.sql',
    line: undefined,
    column: undefined,
    sqlState: undefined,
    details: [],
  })
  assert.is(q.cause, e)
})

other('postgres.js errors of its own (long codes) and things that are not errors', () => {
  const closed = Object.assign(new Error('write CONNECTION_CLOSED 127.0.0.1:5432'), { code: 'CONNECTION_CLOSED', errno: 'CONNECTION_CLOSED' })
  assert.equal(
    [closed, new Error('boom'), 'a string', null, undefined].map((e) => toQueryError(e, ctx('x')).message),
    [
      '003_add_index.up.sql: write CONNECTION_CLOSED 127.0.0.1:5432',
      '003_add_index.up.sql: boom',
      '003_add_index.up.sql: a string',
      '003_add_index.up.sql: null',
      '003_add_index.up.sql: undefined',
    ],
  )
})

other('isServerError: a SQLSTATE and a severity', () => {
  assert.equal(
    [
      pgError({ message: 'm', code: '42601' }),
      { code: '42601', severity: 'ERROR' },
      { code: 'P0001', severity_local: 'ERROR' },
      { code: '42601' }, // no severity
      { code: '4260', severity: 'ERROR' },
      { code: '42601x', severity: 'ERROR' },
      { code: 42601, severity: 'ERROR' },
      { code: 'ebusy', severity: 'ERROR' },
      null,
      'x',
    ].map(isServerError),
    [true, true, true, false, false, false, false, false, false, false],
  )
})

other('the SQL text is not an enumerable field of the error', () => {
  const content = "CREATE ROLE app PASSWORD 'sekret';\nSELEC 1;\n"
  const q = toQueryError(pgError({ message: 'syntax error', code: '42601', position: positionOf(content, 'SELEC') }), ctx(content))
  const fields = q as unknown as Record<string, unknown>
  assert.equal(Object.keys(q).filter((k) => String(JSON.stringify(fields[k])).includes('sekret')), [])
  assert.is(JSON.stringify(q).includes('sekret'), false)
})

located.run()
unlocated.run()
other.run()
