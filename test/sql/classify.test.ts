import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { SqlSyntaxError } from '../../src/sql/lexer.js'
import { splitStatements } from '../../src/sql/split.js'
import { addsEnumValue, analyzeFile, needsNoTransaction, transactionControl } from '../../src/sql/classify.js'

/** The classification of every statement of `sql`. */
function each<T>(sql: string, f: (s: ReturnType<typeof splitStatements>[number]) => T): T[] {
  return splitStatements(sql).map(f)
}

const noTx = suite('classify: needsNoTransaction')

noTx('every statement PostgreSQL refuses inside a transaction block', () => {
  const cases: [string, string][] = [
    ['CREATE INDEX CONCURRENTLY i ON t (a)', 'CREATE INDEX CONCURRENTLY'],
    ['create unique index concurrently if not exists i on t (a)', 'CREATE INDEX CONCURRENTLY'],
    ['DROP INDEX CONCURRENTLY IF EXISTS i', 'DROP INDEX CONCURRENTLY'],
    ['REINDEX INDEX CONCURRENTLY i', 'REINDEX CONCURRENTLY'],
    ['REINDEX TABLE CONCURRENTLY t', 'REINDEX CONCURRENTLY'],
    ['REINDEX (VERBOSE) INDEX CONCURRENTLY i', 'REINDEX CONCURRENTLY'],
    ['REINDEX (CONCURRENTLY, VERBOSE) TABLE t', 'REINDEX CONCURRENTLY'],
    ['REINDEX (CONCURRENTLY true) TABLE t', 'REINDEX CONCURRENTLY'],
    ['REINDEX SCHEMA s', 'REINDEX SCHEMA'],
    ['REINDEX DATABASE d', 'REINDEX DATABASE'],
    ['REINDEX SYSTEM', 'REINDEX SYSTEM'],
    ['VACUUM', 'VACUUM'],
    ['vacuum (analyze, verbose) t', 'VACUUM'],
    ["ALTER SYSTEM SET work_mem = '64MB'", 'ALTER SYSTEM'],
    ['CREATE DATABASE d', 'CREATE DATABASE'],
    ['DROP DATABASE IF EXISTS d', 'DROP DATABASE'],
    ['ALTER DATABASE d SET TABLESPACE fast', 'ALTER DATABASE SET TABLESPACE'],
    ["CREATE TABLESPACE fast LOCATION '/ssd'", 'CREATE TABLESPACE'],
    ['DROP TABLESPACE fast', 'DROP TABLESPACE'],
    ["CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p", 'CREATE SUBSCRIPTION'],
    ["CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p WITH (create_slot = true)", 'CREATE SUBSCRIPTION'],
    ['DROP SUBSCRIPTION s', 'DROP SUBSCRIPTION'],
    ['CLUSTER', 'CLUSTER without a table'],
    ['CLUSTER VERBOSE', 'CLUSTER without a table'],
    ['CLUSTER (VERBOSE)', 'CLUSTER without a table'],
    ['ALTER TABLE p DETACH PARTITION c CONCURRENTLY', 'ALTER TABLE DETACH PARTITION CONCURRENTLY'],
    ['DISCARD ALL', 'DISCARD ALL'],
  ]
  for (const [sql, reason] of cases) {
    assert.equal(each(sql, needsNoTransaction), [reason], `~> ${sql}`)
  }
})

noTx('look-alikes that run fine in a transaction', () => {
  const cases = [
    'CREATE INDEX i ON t (a)',
    'CREATE UNIQUE INDEX i ON t ("concurrently")',
    'DROP INDEX i',
    'REINDEX INDEX i',
    'REINDEX (VERBOSE) TABLE t',
    'REINDEX (CONCURRENTLY false) TABLE t',
    'REINDEX (CONCURRENTLY off) INDEX i',
    'ALTER DATABASE d SET default_tablespace = fast',
    'ALTER DATABASE d RENAME TO e',
    'ALTER TABLESPACE fast RENAME TO quick',
    "CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p WITH (connect = false)",
    "CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p WITH (create_slot = false, enabled = false)",
    "CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p WITH (create_slot = 'off')",
    'CLUSTER t',
    'CLUSTER VERBOSE t USING i',
    'CLUSTER (VERBOSE) t',
    'ALTER TABLE p DETACH PARTITION c',
    'ALTER TABLE t ADD COLUMN "concurrently" int',
    'REFRESH MATERIALIZED VIEW CONCURRENTLY m',
    'DISCARD PLANS',
    'ANALYZE t',
    // Words inside strings, comments, quoted identifiers and bodies never count.
    "SELECT 'CREATE INDEX CONCURRENTLY i ON t (a)'",
    'SELECT 1 /* VACUUM */',
    'CREATE TABLE "vacuum" (a int)',
    'DO $$ BEGIN EXECUTE $q$VACUUM$q$; END $$',
    "COMMENT ON TABLE t IS 'DROP DATABASE d'",
  ]
  for (const sql of cases) assert.equal(each(sql, needsNoTransaction), [null], `~> ${sql}`)
})

noTx('a statement split with tokens: false is classified from its text', () => {
  const [s] = splitStatements('/* x */ create index concurrently i on t (a)', { tokens: false })
  assert.is(needsNoTransaction(s!), 'CREATE INDEX CONCURRENTLY')
})

noTx('ALTER TYPE ... ADD VALUE is reported by addsEnumValue instead', () => {
  assert.equal(each("ALTER TYPE mood ADD VALUE 'meh'; ALTER TYPE s.mood ADD VALUE IF NOT EXISTS 'x' BEFORE 'y'", addsEnumValue), [true, true])
  assert.equal(each("ALTER TYPE mood ADD VALUE 'meh'", needsNoTransaction), [null])
  assert.equal(each("ALTER TYPE mood RENAME VALUE 'a' TO 'b'; ALTER TYPE c ADD ATTRIBUTE value int; SELECT 'ALTER TYPE x ADD VALUE'", addsEnumValue), [
    false,
    false,
    false,
  ])
})

const control = suite('classify: transactionControl')

control('every control keyword', () => {
  const cases: [string, string][] = [
    ['BEGIN', 'BEGIN'],
    ['begin work', 'BEGIN'],
    ['BEGIN ISOLATION LEVEL SERIALIZABLE', 'BEGIN'],
    ['START TRANSACTION', 'START TRANSACTION'],
    ['COMMIT', 'COMMIT'],
    ['commit and chain', 'COMMIT'],
    ['END', 'END'],
    ['END TRANSACTION', 'END'],
    ['ROLLBACK', 'ROLLBACK'],
    ['ROLLBACK WORK', 'ROLLBACK'],
    ['ABORT', 'ABORT'],
    ["COMMIT PREPARED 'x'", 'COMMIT PREPARED'],
    ["ROLLBACK PREPARED 'x'", 'ROLLBACK PREPARED'],
    ["PREPARE TRANSACTION 'x'", 'PREPARE TRANSACTION'],
  ]
  for (const [sql, keyword] of cases) assert.equal(each(sql, transactionControl), [keyword], `~> ${sql}`)
})

control('savepoints, prepared statements, BEGIN ATOMIC and words in bodies are not control', () => {
  const cases = [
    'SAVEPOINT s',
    'RELEASE SAVEPOINT s',
    'RELEASE s',
    'ROLLBACK TO SAVEPOINT s',
    'ROLLBACK TO s',
    'ROLLBACK WORK TO SAVEPOINT s',
    'ROLLBACK TRANSACTION TO s',
    'PREPARE q AS SELECT 1',
    'CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END',
    'CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN COMMIT; RETURN 1; END $$',
    "SELECT 'BEGIN'",
    '/* COMMIT */ SELECT 1',
    'SELECT "end" FROM t',
    'DO $$ BEGIN ROLLBACK; END $$',
  ]
  for (const sql of cases) assert.equal(each(sql, transactionControl), [null], `~> ${sql}`)
})

const file = suite('classify: analyzeFile')

file('a plain file is transactional with nothing to report', () => {
  const text = 'CREATE TABLE t (a int);\nINSERT INTO t VALUES (1);\n'
  const a = analyzeFile(text)
  assert.equal(
    { ...a, statements: a.statements.map((s) => s.text), body: a.body.map((s) => s.text) },
    {
      statements: ['CREATE TABLE t (a int)', 'INSERT INTO t VALUES (1)'],
      directives: { noTransaction: false, allow: new Map(), problems: [] },
      transactional: true,
      noTransactionReasons: [],
      addsEnumValue: [],
      wrappedInTransaction: false,
      body: ['CREATE TABLE t (a int)', 'INSERT INTO t VALUES (1)'],
      bodyText: text,
      transactionControl: [],
      clientCopy: [],
    },
  )
})

file('no-transaction statements make the file non-transactional, with their place', () => {
  const a = analyzeFile("SELECT 1;\n  CREATE INDEX CONCURRENTLY i ON t (a);\nALTER TYPE e ADD VALUE 'x';\nVACUUM t;")
  assert.is(a.transactional, false)
  assert.equal(a.noTransactionReasons, [
    { statement: 1, reason: 'CREATE INDEX CONCURRENTLY', line: 2, column: 3 },
    { statement: 3, reason: 'VACUUM', line: 4, column: 1 },
  ])
  assert.equal(a.addsEnumValue, [2])
})

file('an enum value alone does not change the decision (the runner knows the server version)', () => {
  assert.is(analyzeFile("ALTER TYPE e ADD VALUE 'x';").transactional, true)
})

file('control statements are listed with their place', () => {
  const a = analyzeFile('CREATE TABLE t (a int);\nCOMMIT;\nBEGIN;\n  SELECT 1;\n  ROLLBACK;\nSAVEPOINT s;')
  assert.is(a.wrappedInTransaction, false)
  assert.equal(a.transactionControl, [
    { statement: 1, keyword: 'COMMIT', line: 2, column: 1 },
    { statement: 2, keyword: 'BEGIN', line: 3, column: 1 },
    { statement: 4, keyword: 'ROLLBACK', line: 5, column: 3 },
  ])
})

file('the whole-file BEGIN; ... COMMIT; wrapper, with comments around it, is dropped', () => {
  const text = '-- golang-migrate style\n/* note */ BEGIN /* hm */ ;\r\nCREATE TABLE t (a int);\nINSERT INTO t VALUES (1);\n  COMMIT\n;\n-- done\n'
  const a = analyzeFile(text)
  assert.is(a.wrappedInTransaction, true)
  assert.is(a.transactional, true)
  assert.equal(a.transactionControl, [])
  assert.equal(
    a.body.map((s) => s.text),
    ['CREATE TABLE t (a int)', 'INSERT INTO t VALUES (1)'],
  )
  assert.equal(a.statements.length, 4)
  // Same length, same line breaks, same offsets: only the wrapper is blanked.
  assert.is(a.bodyText.length, text.length)
  assert.is(
    a.bodyText,
    '-- golang-migrate style\n/* note */                 \r\nCREATE TABLE t (a int);\nINSERT INTO t VALUES (1);\n        \n \n-- done\n',
  )
  for (const s of a.body) assert.is(a.bodyText.slice(s.start, s.end), s.text)
})

file('wrapper spellings: BEGIN WORK / START TRANSACTION and END / COMMIT TRANSACTION, no final semicolon', () => {
  assert.is(analyzeFile('BEGIN WORK; SELECT 1; END').wrappedInTransaction, true)
  assert.is(analyzeFile('START TRANSACTION; SELECT 1; COMMIT TRANSACTION;').wrappedInTransaction, true)
  assert.equal(analyzeFile('BEGIN; COMMIT;').body, [])
})

file('not a wrapper: transaction modes, AND CHAIN, other control inside, or only one end', () => {
  const notWrapped = [
    'BEGIN ISOLATION LEVEL SERIALIZABLE; SELECT 1; COMMIT;',
    'BEGIN; SELECT 1; COMMIT AND CHAIN;',
    'BEGIN; SELECT 1; COMMIT; BEGIN; SELECT 2; COMMIT;',
    'BEGIN; SELECT 1; ROLLBACK; COMMIT;',
    'BEGIN; SELECT 1;',
    'SELECT 1; COMMIT;',
    'BEGIN; SELECT 1; ROLLBACK;',
  ]
  for (const sql of notWrapped) {
    const a = analyzeFile(sql)
    assert.is(a.wrappedInTransaction, false, `~> ${sql}`)
    assert.is(a.bodyText, sql)
    assert.ok(a.transactionControl.length > 0, `~> ${sql}`)
  }
  assert.equal(
    analyzeFile('BEGIN ISOLATION LEVEL SERIALIZABLE; SELECT 1; COMMIT;').transactionControl.map((c) => c.keyword),
    ['BEGIN', 'COMMIT'],
  )
})

file('lexical errors are thrown as SqlSyntaxError', () => {
  assert.throws(() => analyzeFile('SELECT $$'), (e: unknown) => e instanceof SqlSyntaxError && e.message === 'unterminated dollar-quoted string')
})

const directives = suite('classify: directives')

directives('no-transaction and lock-timeout in the header, after other comments', () => {
  const a = analyzeFile('-- 001: add index\n/* why */\n--link-migrate:no-transaction\n-- link-migrate: LOCK-TIMEOUT 5s\n\nCREATE INDEX i ON t (a);')
  assert.equal(a.directives, { noTransaction: true, lockTimeout: '5s', allow: new Map(), problems: [] })
  assert.is(a.transactional, false)
  assert.equal(a.noTransactionReasons, [])
})

directives('lock-timeout accepts PostgreSQL durations', () => {
  for (const v of ['5s', '500ms', '500', '1min', '2 h', '1.5s', '100us', '1d']) {
    assert.is(analyzeFile(`-- link-migrate:lock-timeout ${v}\nSELECT 1;`).directives.lockTimeout, v, `~> ${v}`)
  }
})

directives('problems: misplaced, malformed, repeated and unknown directives are reported and not honoured', () => {
  const text = [
    '-- link-migrate:lock-timeout soon',
    '-- link-migrate:no-transaction please',
    '-- link-migrate:no-transactions',
    'SELECT 1;',
    '-- link-migrate:no-transaction',
    '  -- link-migrate:lock-timeout 5s',
    'SELECT 2;',
  ].join('\n')
  const a = analyzeFile(text)
  assert.equal(a.directives, {
    noTransaction: false,
    allow: new Map(),
    problems: [
      { line: 1, column: 1, message: '-- link-migrate:lock-timeout needs a duration such as 5s, 500ms or 1min, got "soon"' },
      { line: 2, column: 1, message: '-- link-migrate:no-transaction takes no argument, got "please"' },
      { line: 3, column: 1, message: 'unknown directive link-migrate:no-transactions (known: no-transaction, lock-timeout, allow)' },
      { line: 5, column: 1, message: '-- link-migrate:no-transaction must come before the first statement; it is ignored here' },
      { line: 6, column: 3, message: '-- link-migrate:lock-timeout must come before the first statement; it is ignored here' },
    ],
  })
  assert.is(a.transactional, true)
})

directives('repeated header directives', () => {
  const a = analyzeFile('-- link-migrate:no-transaction\n-- link-migrate:no-transaction\n-- link-migrate:lock-timeout 1s\n-- link-migrate:lock-timeout 2s\nSELECT 1;')
  assert.equal(a.directives.problems.map((p) => p.message), ['-- link-migrate:no-transaction is repeated', '-- link-migrate:lock-timeout is repeated'])
  assert.is(a.directives.lockTimeout, '1s')
  assert.is(a.directives.noTransaction, true)
})

directives('allow inside a statement that starts on the line where another ends', () => {
  const a = analyzeFile('SELECT 1; ALTER TABLE t -- link-migrate:allow x\n  DROP COLUMN b;')
  assert.equal(a.directives.allow, new Map([[1, ['x']]]))
})

directives('directives in block comments, strings or bodies are not directives', () => {
  const a = analyzeFile("/* link-migrate:no-transaction */\nSELECT '-- link-migrate:no-transaction', $$\n-- link-migrate:allow x\n$$;")
  assert.equal(a.directives, { noTransaction: false, allow: new Map(), problems: [] })
})

directives('allow: the statement it trails, sits in, or precedes; ids by spaces or commas', () => {
  const text = [
    '-- link-migrate:allow ban-drop-column',
    'ALTER TABLE t DROP COLUMN a;',
    'SELECT 1;',
    '-- link-migrate:allow a, b c',
    '-- link-migrate:allow b',
    '',
    'ALTER TABLE t',
    '  -- link-migrate:allow d',
    '  DROP COLUMN b;',
    'SELECT 2; -- link-migrate:allow e',
    'SELECT 3;',
    '-- link-migrate:allow',
    '-- link-migrate:allow f',
  ].join('\n')
  // Lines: 1-2 statement 0, 3 statement 1, 4-9 statement 2, 10 statement 3 (+ trailing allow), 11 statement 4.
  const a = analyzeFile(text)
  assert.equal(
    a.directives.allow,
    new Map([
      [0, ['ban-drop-column']],
      [2, ['a', 'b', 'c', 'd']],
      [3, ['e']],
    ]),
  )
  assert.equal(a.directives.problems, [
    { line: 12, column: 1, message: '-- link-migrate:allow needs at least one rule id' },
    { line: 13, column: 1, message: '-- link-migrate:allow is not followed by a statement' },
  ])
})

noTx.run()
control.run()
file.run()
directives.run()
