/**
 * prepareStep / createdConcurrentIndex / concurrentIndexNames: the pure
 * preparation of a migration file before anything runs. Whole PlanStep
 * objects and whole FileError messages (file:line:col) are asserted.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { concurrentIndexNames, createdConcurrentIndex, prepareStep, type PrepareInput } from '../../src/core/prepare.js'
import { FileError, isMigrateError } from '../../src/errors.js'
import { splitStatements } from '../../src/sql/split.js'
import type { PlanStep, StepStatement } from '../../src/types.js'

const FILE = '003_add_index.up.sql'

function prep(content: string, extra: Partial<PrepareInput> = {}): PlanStep {
  return prepareStep({ version: 3, name: '003_add_index', direction: 'up', file: FILE, checksum: 'c0ffee', content, ...extra })
}

/** The PlanStep of a plain transactional up file, with `over` applied (every key present, as prepareStep returns it). */
function step(over: Partial<PlanStep> & { sql: string }): PlanStep {
  return {
    version: 3,
    name: '003_add_index',
    direction: 'up',
    file: FILE,
    transactional: true,
    checksum: 'c0ffee',
    wrapped: false,
    lockTimeoutMs: undefined,
    statements: [],
    noTransactionReason: undefined,
    ...over,
  }
}

/** A StepStatement whose offset is found in `content` (the `nth` occurrence of `text`). */
function stmt(content: string, text: string, line: number, column: number, createsIndex?: string, nth = 0): StepStatement {
  let start = -1
  for (let i = 0; i <= nth; i++) start = content.indexOf(text, start + 1)
  assert.ok(start >= 0, `${text} is in the file`)
  return { text, start, line, column, createsIndex }
}

/** The FileError prepareStep throws for `content`. */
function refused(content: string, extra: Partial<PrepareInput> = {}): FileError {
  try {
    prep(content, extra)
  } catch (e) {
    assert.instance(e, FileError)
    assert.ok(isMigrateError(e))
    assert.is((e as FileError).exitCode, 1)
    return e as FileError
  }
  assert.unreachable(`expected ${JSON.stringify(content)} to be refused`)
  throw new Error('unreachable')
}

// ------------------------------------------------------------ transactional

const tx = suite('prepareStep: transactional files')

tx('a plain file runs as one transaction with its SQL as is', () => {
  const content = '-- add users\ncreate table users (id int);\ninsert into users values (1);\n'
  assert.equal(
    prep(content),
    step({
      sql: content,
      // Sent one by one inside the transaction, so an error names its statement's line.
      statements: [stmt(content, 'create table users (id int)', 2, 1), stmt(content, 'insert into users values (1)', 3, 1)],
    }),
  )
})

tx('a down file keeps its direction, file and checksum', () => {
  const content = 'drop table users;'
  assert.equal(
    prepareStep({ version: 7, name: '007_users', direction: 'down', file: '007_users.down.sql', checksum: 'ab', content }),
    { ...step({ sql: content, statements: [stmt(content, 'drop table users', 1, 1)] }), version: 7, name: '007_users', direction: 'down', file: '007_users.down.sql', checksum: 'ab' },
  )
})

tx('an empty file and a comments-only file are transactional no-ops', () => {
  assert.equal(prep(''), step({ sql: '' }))
  assert.equal(prep('-- nothing yet\n/* really */\n'), step({ sql: '-- nothing yet\n/* really */\n' }))
})

tx('words inside a $$ plpgsql body, strings, comments and quoted identifiers are not transaction control', () => {
  const content = [
    '-- BEGIN; COMMIT; ROLLBACK; END;',
    '/* start transaction; /* nested: abort; */ commit; */',
    'create function touch() returns trigger language plpgsql as $$',
    'BEGIN',
    '  NEW.updated_at := now();',
    '  RETURN NEW;',
    'END;',
    '$$;',
    'create function f2() returns int language plpgsql as $body$',
    'begin',
    '  begin',
    '    return 1;',
    '  exception when others then',
    '    rollback;',
    '  end;',
    'end',
    '$body$;',
    "select 'BEGIN; COMMIT;', E'end;\\' rollback;', $q$COMMIT$q$;",
    'create table "begin" ("commit" int, "end" int);',
    'insert into "begin" values (1, 2);',
  ].join('\n')
  const lines = content.split('\n')
  const body = (from: number, to: number) => lines.slice(from - 1, to).join('\n').replace(/;$/, '')
  assert.equal(
    prep(content),
    step({
      sql: content,
      statements: [
        stmt(content, body(3, 8), 3, 1),
        stmt(content, body(9, 17), 9, 1),
        stmt(content, body(18, 18), 18, 1),
        stmt(content, body(19, 19), 19, 1),
        stmt(content, body(20, 20), 20, 1),
      ],
    }),
  )
})

tx('SAVEPOINT, RELEASE and ROLLBACK TO are allowed; BEGIN ATOMIC bodies are no statement of their own', () => {
  const content = [
    'savepoint a;',
    'create table t (id int);',
    'rollback to savepoint a;',
    'rollback transaction to a;',
    'release savepoint a;',
    'create function add(a int, b int) returns int language sql',
    'begin atomic',
    '  select a + b;',
    'end;',
  ].join('\n')
  assert.equal(
    prep(content),
    step({
      sql: content,
      statements: [
        stmt(content, 'savepoint a', 1, 1),
        stmt(content, 'create table t (id int)', 2, 1),
        stmt(content, 'rollback to savepoint a', 3, 1),
        stmt(content, 'rollback transaction to a', 4, 1),
        stmt(content, 'release savepoint a', 5, 1),
        stmt(content, content.split('\n').slice(5).join('\n').replace(/;$/, ''), 6, 1),
      ],
    }),
  )
})

tx('ALTER TYPE ... ADD VALUE needs no transaction only before PostgreSQL 12', () => {
  const content = "alter type mood add value 'meh';\n"
  const statements = [stmt(content, "alter type mood add value 'meh'", 1, 1)]
  assert.equal(prep(content), step({ sql: content, statements }))
  assert.equal(prep(content, { serverMajor: 15 }), step({ sql: content, statements }))
  assert.equal(prep(content, { serverMajor: 12 }), step({ sql: content, statements }))
  assert.equal(
    prep(content, { serverMajor: 11 }),
    step({
      sql: content,
      transactional: false,
      noTransactionReason: 'ALTER TYPE ... ADD VALUE before PostgreSQL 12',
      statements: [stmt(content, "alter type mood add value 'meh'", 1, 1)],
    }),
  )
})

tx('forceNoTransaction (useTransactions: false) runs any file statement by statement', () => {
  const content = 'create table a (id int);\ncreate table b (id int);'
  assert.equal(
    prep(content, { forceNoTransaction: true }),
    step({
      sql: content,
      transactional: false,
      noTransactionReason: 'transactions turned off',
      statements: [stmt(content, 'create table a (id int)', 1, 1), stmt(content, 'create table b (id int)', 2, 1)],
    }),
  )
})

tx.run()

// ------------------------------------------------------------ wrapper

const wrap = suite('prepareStep: whole-file BEGIN/COMMIT wrapper')

/** `text` with the given exact substrings blanked (spaces, line breaks kept). */
function blanked(text: string, ...parts: string[]): string {
  let out = text
  for (const p of parts) {
    const at = out.indexOf(p)
    assert.ok(at >= 0, `${p} is in the text`)
    out = out.slice(0, at) + p.replace(/[^\r\n]/g, ' ') + out.slice(at + p.length)
  }
  return out
}

wrap('is accepted with comments before and after; the wrapper is blanked, offsets and lines kept', () => {
  const content = '-- golang-migrate style\n/* header */\nBEGIN;\ncreate table a (id int);\ninsert into a values (1);\nCOMMIT;\n-- trailer\n'
  const p = prep(content)
  assert.equal(
    p,
    step({
      sql: blanked(content, 'BEGIN;', 'COMMIT;'),
      wrapped: true,
      // The wrapper's statements are left out: the body runs in link-migrate's transaction.
      statements: [stmt(content, 'create table a (id int)', 4, 1), stmt(content, 'insert into a values (1)', 5, 1)],
    }),
  )
  assert.is(p.sql.length, content.length)
  assert.is(p.sql.split('\n').length, content.split('\n').length)
  assert.is(p.sql.indexOf('create table a'), content.indexOf('create table a'))
})

wrap('BEGIN WORK / START TRANSACTION and END / COMMIT TRANSACTION, any case, are wrappers too', () => {
  for (const [open, close] of [
    ['begin work;', 'end;'],
    ['Start Transaction;', 'commit transaction;'],
    ['BEGIN TRANSACTION;', 'END WORK;'],
  ] as const) {
    const content = `${open}\ncreate table a (id int);\n${close}`
    assert.equal(
      prep(content),
      step({ sql: blanked(content, open, close), wrapped: true, statements: [stmt(content, 'create table a (id int)', 2, 1)] }),
      open,
    )
  }
})

wrap('a wrapper with transaction modes is not a wrapper: BEGIN ISOLATION LEVEL is refused', () => {
  const e = refused('BEGIN ISOLATION LEVEL SERIALIZABLE;\ncreate table a (id int);\nCOMMIT;\n')
  assert.is(
    e.message,
    `2 problems in migration files:\n` +
      `  ${FILE}:1:1: BEGIN controls the transaction; link-migrate runs each migration in its own transaction with its bookkeeping: remove it\n` +
      `  ${FILE}:3:1: COMMIT controls the transaction; link-migrate runs each migration in its own transaction with its bookkeeping: remove it`,
  )
  assert.is(e.code, 'FILES_INVALID')
})

wrap('a wrapper around CREATE INDEX CONCURRENTLY is refused at that statement', () => {
  const e = refused('-- x\nBEGIN;\ncreate table t (a int);\n  create index concurrently i on t (a);\nCOMMIT;\n')
  assert.is(e.message, `${FILE}:4:3: CREATE INDEX CONCURRENTLY cannot run inside the file's own BEGIN/COMMIT: drop the wrapper`)
  assert.is(e.code, 'FILE_INVALID')
  assert.equal(e.problems, [
    { file: FILE, line: 4, column: 3, message: "CREATE INDEX CONCURRENTLY cannot run inside the file's own BEGIN/COMMIT: drop the wrapper" },
  ])
})

wrap('a wrapper in a no-transaction-directive file is refused at its BEGIN, with file:line:col', () => {
  const e = refused('-- link-migrate:no-transaction\n\n  BEGIN;\ncreate table a (id int);\nCOMMIT;\n')
  assert.is(e.message, `${FILE}:3:3: link-migrate:no-transaction directive cannot run inside the file's own BEGIN/COMMIT: drop the wrapper`)
})

wrap.run()

// ------------------------------------------------------------ control

const control = suite('prepareStep: transaction control is refused')

const TX_MSG = 'controls the transaction; link-migrate runs each migration in its own transaction with its bookkeeping: remove it'

control('BEGIN; / COMMIT; in the middle of a file: every one with its line:col', () => {
  const e = refused('create table a (id int);\n\nBEGIN;\ncreate table b (id int);\n   COMMIT;\ncreate table c (id int);\n')
  assert.is(e.message, `2 problems in migration files:\n  ${FILE}:3:1: BEGIN ${TX_MSG}\n  ${FILE}:5:4: COMMIT ${TX_MSG}`)
  assert.equal(e.problems, [
    { file: FILE, line: 3, column: 1, transactionControl: true, message: `BEGIN ${TX_MSG}` },
    { file: FILE, line: 5, column: 4, transactionControl: true, message: `COMMIT ${TX_MSG}` },
  ])
})

control('each control statement on its own, at its line:col (columns count characters)', () => {
  const cases: [string, string, number, number][] = [
    ['create table a (id int);\nstart transaction;\n', 'START TRANSACTION', 2, 1],
    ['create table a (id int);\nrollback;\n', 'ROLLBACK', 2, 1],
    ['create table a (id int);\nROLLBACK WORK;\n', 'ROLLBACK', 2, 1],
    ["select '😀é'; end;\n", 'END', 1, 14],
    ['create table a (id int);\nabort;', 'ABORT', 2, 1],
    ["create table a (id int);\nprepare transaction 'x';", 'PREPARE TRANSACTION', 2, 1],
    ["create table a (id int);\n\tcommit prepared 'x';", 'COMMIT PREPARED', 2, 2],
    ["create table a (id int);\nrollback prepared 'x';", 'ROLLBACK PREPARED', 2, 1],
    ['/* é */ begin;\ncreate table a (id int);', 'BEGIN', 1, 9],
    ['create table a (id int);\ncommit;', 'COMMIT', 2, 1],
  ]
  for (const [content, keyword, line, column] of cases) {
    const e = refused(content)
    assert.is(e.message, `${FILE}:${line}:${column}: ${keyword} ${TX_MSG}`, content)
  }
})

control('a file that is only BEGIN; COMMIT; around nothing, or BEGIN without COMMIT, is refused', () => {
  assert.is(refused('begin;\n').message, `${FILE}:1:1: BEGIN ${TX_MSG}`)
  assert.is(
    refused('BEGIN;\ncreate table a (id int);\nCOMMIT;\nCOMMIT;').message,
    `3 problems in migration files:\n  ${FILE}:1:1: BEGIN ${TX_MSG}\n  ${FILE}:3:1: COMMIT ${TX_MSG}\n  ${FILE}:4:1: COMMIT ${TX_MSG}`,
  )
  assert.is(
    refused('create table a (id int);\nBEGIN;\ncreate table b (id int);\nCOMMIT;').message,
    `2 problems in migration files:\n  ${FILE}:2:1: BEGIN ${TX_MSG}\n  ${FILE}:4:1: COMMIT ${TX_MSG}`,
  )
})

control('in a no-transaction file the message says the file runs without a transaction', () => {
  const e = refused('create index concurrently i on t (a);\nbegin;\n')
  assert.is(
    e.message,
    `${FILE}:2:1: BEGIN in a file that runs without a transaction; link-migrate runs its statements one by one: remove it`,
  )
})

control.run()

// ------------------------------------------------------------ no transaction

const noTx = suite('prepareStep: no-transaction files')

noTx('three CREATE INDEX CONCURRENTLY statements: statement by statement, each with its position and index', () => {
  const content = [
    '-- indexes for search',
    'create index concurrently if not exists t_a on t (a);',
    'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "T_B" ON t (b);',
    '',
    '  create index concurrently T_AB',
    '    on public.t (a, b); -- trailing',
  ].join('\n')
  assert.equal(
    prep(content),
    step({
      sql: content,
      transactional: false,
      noTransactionReason: 'CREATE INDEX CONCURRENTLY',
      statements: [
        stmt(content, 'create index concurrently if not exists t_a on t (a)', 2, 1, 't_a'),
        stmt(content, 'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "T_B" ON t (b)', 3, 1, '"T_B"'),
        stmt(content, 'create index concurrently T_AB\n    on public.t (a, b)', 5, 3, 'public.t_ab'),
      ],
    }),
  )
})

noTx('three DROP INDEX CONCURRENTLY statements (a down file) create no index', () => {
  const content = 'drop index concurrently if exists t_ab;\ndrop index concurrently if exists "T_B";\ndrop index concurrently if exists t_a;\n'
  const p = prepareStep({ version: 3, name: '003_add_index', direction: 'down', file: '003_add_index.down.sql', checksum: 'c0ffee', content })
  assert.equal(
    p,
    step({
      direction: 'down',
      file: '003_add_index.down.sql',
      sql: content,
      transactional: false,
      noTransactionReason: 'DROP INDEX CONCURRENTLY',
      statements: [
        stmt(content, 'drop index concurrently if exists t_ab', 1, 1),
        stmt(content, 'drop index concurrently if exists "T_B"', 2, 1),
        stmt(content, 'drop index concurrently if exists t_a', 3, 1, undefined, 1), // the first match is inside t_ab
      ],
    }),
  )
})

noTx('the first statement that needs no transaction names the reason; others run alongside', () => {
  const content = 'create table t (a int);\nvacuum t;\ncreate index concurrently i on t (a);'
  assert.equal(
    prep(content),
    step({
      sql: content,
      transactional: false,
      noTransactionReason: 'VACUUM',
      statements: [stmt(content, 'create table t (a int)', 1, 1), stmt(content, 'vacuum t', 2, 1), stmt(content, 'create index concurrently i on t (a)', 3, 1, 'i')],
    }),
  )
})

noTx('the no-transaction directive makes a plain file run statement by statement', () => {
  const content = '-- link-migrate:no-transaction\ncreate table a (id int);\ncreate table a (id int);\n'
  assert.equal(
    prep(content),
    step({
      sql: content,
      transactional: false,
      noTransactionReason: 'link-migrate:no-transaction directive',
      statements: [stmt(content, 'create table a (id int)', 2, 1), stmt(content, 'create table a (id int)', 3, 1, undefined, 1)],
    }),
  )
})

noTx('statement columns count characters, offsets are UTF-16 (emoji, accents; CRLF lines)', () => {
  const content = "-- link-migrate:no-transaction\r\n-- ü 😀\r\nselect '😀é'; create index concurrently i on t (a);\r\nselect 'ñ';\r\n"
  const p = prep(content)
  assert.equal(p.statements, [
    { text: "select '😀é'", start: content.indexOf("select '😀"), line: 3, column: 1, createsIndex: undefined },
    // "select '😀é'; " is 13 characters (14 UTF-16 units): the next statement is at column 14.
    { text: 'create index concurrently i on t (a)', start: content.indexOf('create index'), line: 3, column: 14, createsIndex: 'i' },
    { text: "select 'ñ'", start: content.indexOf("select 'ñ'"), line: 4, column: 1, createsIndex: undefined },
  ])
  assert.is(content.indexOf('create index') - content.indexOf("select '😀"), 14)
})

noTx.run()

// ------------------------------------------------------------ directives

const dir = suite('prepareStep: directives')

dir('lock-timeout in the header sets lockTimeoutMs', () => {
  const content = '-- link-migrate:lock-timeout 200ms\nalter table t add column b int;\n'
  assert.equal(prep(content), step({ sql: content, lockTimeoutMs: 200, statements: [stmt(content, 'alter table t add column b int', 2, 1)] }))
})

dir('lock-timeout takes every PostgreSQL duration the header accepts (a bare number is milliseconds)', () => {
  const cases: [string, number][] = [
    ['5s', 5000],
    ['500ms', 500],
    ['500', 500],
    ['1min', 60_000],
    ['2 h', 7_200_000],
    ['1.5s', 1500],
    ['1d', 86_400_000],
    ['2500us', 3],
    ['100us', 1], // never rounded down to 0, which would mean "no timeout"
    ['0', 0],
  ]
  for (const [arg, ms] of cases) {
    assert.is(prep(`-- link-migrate:lock-timeout ${arg}\nselect 1;`).lockTimeoutMs, ms, arg)
  }
})

dir('lock-timeout together with no-transaction', () => {
  const content = '-- link-migrate:no-transaction\n--link-migrate: lock-timeout 3s\ncreate index concurrently i on t (a);'
  assert.equal(
    prep(content),
    step({
      sql: content,
      transactional: false,
      lockTimeoutMs: 3000,
      noTransactionReason: 'CREATE INDEX CONCURRENTLY',
      statements: [stmt(content, 'create index concurrently i on t (a)', 3, 1, 'i')],
    }),
  )
})

dir('a directive after the first statement is refused with its line:col', () => {
  assert.is(
    refused('create table a (id int);\n-- link-migrate:no-transaction\ncreate table b (id int);\n').message,
    `${FILE}:2:1: -- link-migrate:no-transaction must come before the first statement; it is ignored here`,
  )
  assert.is(
    refused('create table a (id int);\ncreate table b (id int);   -- link-migrate:lock-timeout 5s\n').message,
    `${FILE}:2:28: -- link-migrate:lock-timeout must come before the first statement; it is ignored here`,
  )
})

dir('unknown directives and bad arguments are refused with their line:col', () => {
  const e = refused(
    '-- link-migrate:lock-timeout soon\n-- link-migrate:no-transaction please\n -- link-migrate:notransaction\nselect 1;\n',
  )
  assert.is(
    e.message,
    `3 problems in migration files:\n` +
      `  ${FILE}:1:1: -- link-migrate:lock-timeout needs a duration such as 5s, 500ms or 1min, got "soon"\n` +
      `  ${FILE}:2:1: -- link-migrate:no-transaction takes no argument, got "please"\n` +
      `  ${FILE}:3:2: unknown directive link-migrate:notransaction (known: no-transaction, lock-timeout, allow)`,
  )
  assert.is(
    refused('-- link-migrate:lock-timeout 1m30s\nselect 1;').message,
    `${FILE}:1:1: -- link-migrate:lock-timeout needs a duration such as 5s, 500ms or 1min, got "1m30s"`,
  )
})

dir('problems from directives and transaction control are reported together', () => {
  const e = refused('select 1;\n-- link-migrate:no-transaction\ncommit;\n')
  assert.equal(e.problems, [
    { file: FILE, line: 2, column: 1, message: '-- link-migrate:no-transaction must come before the first statement; it is ignored here' },
    { file: FILE, line: 3, column: 1, transactionControl: true, message: `COMMIT ${TX_MSG}` },
  ])
})

dir.run()

// ------------------------------------------------------------ lexing

const lex = suite('prepareStep: files that do not lex')

lex('psql meta-commands are refused with their line:col', () => {
  assert.is(
    refused('create table a (id int);\n\\connect x\ncreate table b (id int);\n').message,
    `${FILE}:2:1: psql meta-command \\connect is not SQL; link-migrate sends files to the server as they are`,
  )
  assert.is(
    refused('select 1;\n  \\i other.sql\n').message,
    `${FILE}:2:3: psql meta-command \\i is not SQL; link-migrate sends files to the server as they are`,
  )
  // In a string or a comment a backslash is just text.
  const meta = "select '\\connect x'; -- \\connect y\n"
  assert.equal(prep(meta), step({ sql: meta, statements: [stmt(meta, "select '\\connect x'", 1, 1)] }))
})

lex('unterminated strings, identifiers, dollar quotes and comments point at where they begin', () => {
  const cases: [string, string][] = [
    ["select 1;\nselect 'abc;\nselect 2;", '2:8: unterminated quoted string'],
    ['select "abc\n', '1:8: unterminated quoted identifier'],
    ['select 1;\ncreate function f() returns int as $body$ select 1;\n', '2:36: unterminated dollar-quoted string'],
    ['select 1; /* open /* nested */ \n', '1:11: unterminated /* comment'],
    ["-- é😀\nselect '😀', 'x", '2:13: unterminated quoted string'],
  ]
  for (const [content, at] of cases) assert.is(refused(content).message, `${FILE}:${at}`, content)
})

lex.run()

// ------------------------------------------------------------ index names

const idx = suite('createdConcurrentIndex / concurrentIndexNames')

const created = (sql: string) => createdConcurrentIndex(splitStatements(sql)[0]!)

idx('the index a CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS] makes, as written, in its table\'s schema', () => {
  const cases: [string, string | undefined][] = [
    ['create index concurrently t_a on t (a)', 't_a'],
    ['CREATE INDEX CONCURRENTLY T_A ON t (a)', 't_a'],
    ['create unique index concurrently if not exists t_a on t (a)', 't_a'],
    ['create index concurrently "My Idx" on t (a)', '"My Idx"'],
    // the index lives in its table's schema: qualified like the table
    ['create index concurrently MyIdx on Public.t (a)', 'public.myidx'],
    ['create index concurrently "Q""x" on s.t (a)', 's."Q""x"'],
    ['create unique index concurrently if not exists i on only "App".t using btree (a)', '"App".i'],
    ['create index concurrently i on db.app.t (a)', 'app.i'],
    ['create index concurrently i on t (a)', 'i'],
    // a schema on the index name is a syntax error: nothing is guessed from it
    ['create index concurrently s.i on t (a)', undefined],
    ['create index concurrently a.b.c on t (a)', undefined],
    ['create index concurrently i', undefined],
    ['create index concurrently i on', undefined],
    ['create index /* c */ concurrently -- c\n  i on t (a)', 'i'],
    // unnamed: the server picks the name
    ['create index concurrently on t (a)', undefined],
    ['create unique index concurrently on only t (a)', undefined],
    // U&"" names depend on a later UESCAPE: not guessed
    ['create index concurrently U&"d\\0061t" on t (a)', undefined],
    ['create index i on t (a)', undefined],
    ['create unique index i on t (a)', undefined],
    ['drop index concurrently i', undefined],
    ['reindex index concurrently i', undefined],
    ["select 'create index concurrently i on t (a)'", undefined],
  ]
  for (const [sql, name] of cases) assert.is(created(sql), name, sql)
})

idx('a statement without tokens (split with tokens: false) creates nothing', () => {
  assert.is(createdConcurrentIndex(splitStatements('create index concurrently i on t (a)', { tokens: false })[0]!), undefined)
})

idx('concurrentIndexNames collects the names across files, in order', () => {
  assert.equal(
    concurrentIndexNames([
      'create table t (a int, b int);',
      'create index concurrently if not exists t_a on t (a);\ncreate index concurrently t_b on t (b);',
      '-- link-migrate:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY "T_AB" ON t (a, b);\ncreate index concurrently on t (b);',
      'drop index concurrently t_a;',
    ]),
    ['t_a', 't_b', '"T_AB"'],
  )
})

idx('concurrentIndexNames ignores mentions in strings and comments, and files that do not lex', () => {
  assert.equal(
    concurrentIndexNames([
      "-- create index concurrently c1 on t (a);\nselect 'create index concurrently c2 on t (a)';",
      "create index concurrently c3 on t (a);\nselect 'unterminated",
      '\\connect x\ncreate index concurrently c4 on t (a);',
      'create index concurrently c5 on t (a);',
    ]),
    ['c5'],
  )
  assert.equal(concurrentIndexNames([]), [])
})

idx.run()

const own = suite('prepareStep: --allow-transaction-control')

own('a file with BEGIN ... COMMIT blocks runs statement by statement, each control statement marked', () => {
  const content = 'begin;\nalter table t add column a int;\ncommit;\nupdate t set a = 1;\n'
  assert.equal(
    prep(content, { allowTransactionControl: true }),
    step({
      sql: content,
      transactional: false,
      noTransactionReason: 'the file runs its own transactions (--allow-transaction-control)',
      ownTransactions: true,
      statements: [
        { ...stmt(content, 'begin', 1, 1), control: 'BEGIN' },
        { ...stmt(content, 'alter table t add column a int', 2, 1), control: undefined },
        { ...stmt(content, 'commit', 3, 1), control: 'COMMIT' },
        { ...stmt(content, 'update t set a = 1', 4, 1), control: undefined },
      ],
    }),
  )
})

own('PREPARE TRANSACTION stays refused; a file without control statements is unchanged', () => {
  assert.match(refused('begin;\nselect 1;\nprepare transaction \'x\';\n', { allowTransactionControl: true }).message, /PREPARE TRANSACTION/)
  const plain = 'create table a (id int);\n'
  assert.equal(prep(plain, { allowTransactionControl: true }), step({ sql: plain, statements: [stmt(plain, 'create table a (id int)', 1, 1)] }))
})

own.run()
