/**
 * The SQL-aware runner, end to end through the built CLI against a real
 * server: no-transaction files statement by statement (CREATE INDEX
 * CONCURRENTLY, INVALID leftovers), transaction control refused before
 * anything runs, the whole-file BEGIN/COMMIT wrapper, error positions
 * (file:line:col, caret, CONTEXT), --timeout, lock_timeout with retries,
 * directives, --dry-run --verbose and psql meta-commands.
 *
 * Every test works in its own database; each asserts the exit code, the
 * output and what is (and is not) in the database afterwards.
 */
import { createHash } from 'node:crypto'
import postgres from 'postgres'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { runCli, spawnCli, type CliResult } from '../helpers/cli.js'
import { databases, type FreshDatabase } from '../helpers/db.js'
import { migrationsDir } from '../helpers/tmp.js'
import { createMigrator } from '../../src/index.js'

const SERVICE = 'runner-svc'
const PREFIX = `[${SERVICE}-migrations]`

// ------------------------------------------------------------------ helpers

/** `db()` makes a fresh database; `cleanup()` drops them all: the `after` hook of every suite. */
const { fresh: db, dropAll: cleanup } = databases('core_run')

function cli(command: string, dir: string, d: FreshDatabase, ...args: string[]): Promise<CliResult> {
  return runCli([command, '--dir', dir, '--service', SERVICE, '--database-url', d.url, ...args])
}

/** Every relation outside the system schemas (tables, indexes, sequences, ...), sorted. */
async function relations(d: FreshDatabase): Promise<string[]> {
  const rows = await d.sql<{ name: string }[]>`
    select n.nspname || '.' || c.relname as name
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\_toast%'
     order by 1`
  return rows.map((r) => r.name)
}

/** User tables in public (the bookkeeping tables left out), sorted. */
async function userTables(d: FreshDatabase): Promise<string[]> {
  const rows = await d.sql<{ name: string }[]>`
    select tablename as name from pg_tables
     where schemaname = 'public' and tablename not in ('migration_records', 'schema_versions', 'link_migrate_progress')
     order by 1`
  return rows.map((r) => r.name)
}

/** `version name` of the service's records, oldest first; [] when the table does not exist. */
async function records(d: FreshDatabase): Promise<string[]> {
  const [exists] = await d.sql<{ ok: boolean }[]>`select to_regclass('public.migration_records') is not null as ok`
  if (!exists?.ok) return []
  const rows = await d.sql<{ version: number; name: string }[]>`
    select version::int as version, name from migration_records where service = ${SERVICE} order by version`
  return rows.map((r) => `${r.version} ${r.name}`)
}

/** `name valid|INVALID` for every index of `table`, sorted by name. */
async function indexes(d: FreshDatabase, table: string): Promise<string[]> {
  const rows = await d.sql<{ name: string; valid: boolean }[]>`
    select c.relname as name, i.indisvalid as valid
      from pg_index i join pg_class c on c.oid = i.indexrelid
     where i.indrelid = to_regclass(${table})
     order by 1`
  return rows.map((r) => `${r.name} ${r.valid ? 'valid' : 'INVALID'}`)
}

async function columns(d: FreshDatabase, table: string): Promise<string[]> {
  const rows = await d.sql<{ name: string }[]>`
    select attname as name from pg_attribute
     where attrelid = to_regclass(${table}) and attnum > 0 and not attisdropped order by attnum`
  return rows.map((r) => r.name)
}

/** The non-empty lines of `text`. */
function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '')
}

/**
 * The log lines of stdout, without the ones that depend on the machine's
 * speed: the lock notice (printed when taking the lock took >= 100 ms, which
 * a loaded machine reaches even without another runner) and the --verbose
 * connection line.
 */
function logLines(stdout: string): string[] {
  return lines(stdout)
    .filter((l) => !l.includes('Acquired the migration lock after waiting') && !l.includes('Using database'))
    // Durations vary from run to run: `(9 ms)`, `(2 migrations applied, total 439 ms)`.
    .map((l) => l.replace(/ \((?:[^()]*, )?(?:total )?[\d.]+ ?(?:ms|s|min)\)$/, ''))
}

function has(text: string, needle: string, what = 'output'): void {
  assert.ok(text.includes(needle), `${what} should contain ${JSON.stringify(needle)}; got:\n${text}`)
}

function hasNot(text: string, needle: string, what = 'output'): void {
  assert.not.ok(text.includes(needle), `${what} should not contain ${JSON.stringify(needle)}; got:\n${text}`)
}

function exit(r: CliResult, code: number): void {
  assert.is(r.code, code, `exit code ${r.code} (expected ${code})\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`)
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex')
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** A table t(a, b) with 100 rows whose b repeats (so a unique index on b fails). */
const TABLE_T = [
  'create table t (a int not null, b int not null);',
  'insert into t select g, g % 10 from generate_series(1, 100) g;',
  '',
].join('\n')

// ------------------------------------------------------------ concurrently

const conc = suite('runner: CREATE INDEX CONCURRENTLY files')
conc.after(cleanup)

conc('three CREATE INDEX CONCURRENTLY apply outside a transaction (one record); three DROP INDEX CONCURRENTLY roll back', async () => {
  const d = await db()
  const dir = await migrationsDir({
    '001_t.up.sql': TABLE_T,
    '001_t.down.sql': 'drop table t;\n',
    '002_idx.up.sql': [
      '-- three indexes, each needs its own message',
      'create index concurrently if not exists t_a on t (a);',
      'create index concurrently if not exists t_b on t (b);',
      'create index concurrently if not exists t_ab on t (a, b);',
      '',
    ].join('\n'),
    '002_idx.down.sql': [
      'drop index concurrently if exists t_ab;',
      'drop index concurrently if exists t_b;',
      'drop index concurrently if exists t_a;',
      '',
    ].join('\n'),
  })

  const r = await cli('up', dir, d)
  exit(r, 0)
  assert.equal(logLines(r.stdout), [
    `${PREFIX} Starting migration up for service: ${SERVICE}`,
    `${PREFIX} Found 2 pending migrations`,
    `${PREFIX} Successfully applied migration 001_t`,
    `${PREFIX} Successfully applied migration 002_idx`,
    `${PREFIX} All migrations completed successfully`,
  ])
  assert.is(r.stderr, '')
  assert.equal(await indexes(d, 't'), ['t_a valid', 't_ab valid', 't_b valid'])
  assert.equal(await records(d), ['1 001_t', '2 002_idx'])

  const down = await cli('down', dir, d)
  exit(down, 0)
  has(down.stdout, `${PREFIX} Successfully rolled back migration 002_idx`)
  assert.equal(await indexes(d, 't'), [])
  assert.equal(await records(d), ['1 001_t'])
  assert.equal(await userTables(d), ['t'])

  // And up again: the same file applies cleanly a second time.
  const again = await cli('up', dir, d)
  exit(again, 0)
  has(again.stdout, `${PREFIX} Successfully applied migration 002_idx`)
  assert.equal(await indexes(d, 't'), ['t_a valid', 't_ab valid', 't_b valid'])
  assert.equal(await records(d), ['1 001_t', '2 002_idx'])
})

conc('a failure at the second statement: statement located, first listed as run, nothing recorded; INVALID index reported, dropped and rebuilt', async () => {
  const d = await db()
  const dir = await migrationsDir({
    '001_t.up.sql': TABLE_T,
    '002_idx.up.sql': [
      '-- the second one fails on the duplicated data',
      'create index concurrently if not exists t_a on t (a);',
      '  create unique index concurrently if not exists t_b on t (b);',
      'create index concurrently if not exists t_ab on t (a, b);',
      '',
    ].join('\n'),
  })

  const r = await cli('up', dir, d)
  exit(r, 1)
  assert.equal(logLines(r.stdout), [
    `${PREFIX} Starting migration up for service: ${SERVICE}`,
    `${PREFIX} Found 2 pending migrations`,
    `${PREFIX} Successfully applied migration 001_t`,
  ])
  assert.equal(lines(r.stderr), [
    `${PREFIX} Error: 002_idx.up.sql:3:3: could not create unique index "t_b"`,
    '  SQLSTATE: 23505',
    // which duplicate the server names first is its business
    lines(r.stderr)[2]!,
    '  1 statement(s) ran before this one and stay in effect (no transaction); nothing was recorded, so the next up runs the file again:',
    '    line 2: create index concurrently if not exists t_a on t (a)',
  ])
  assert.match(lines(r.stderr)[2]!, /^ {2}DETAIL: Key \(b\)=\(\d\) is duplicated\.$/)
  assert.equal(await records(d), ['1 001_t'])
  assert.equal(await indexes(d, 't'), ['t_a valid', 't_b INVALID'])

  const status = await cli('status', dir, d)
  exit(status, 0)
  has(status.stdout, 'Pending: 1')
  has(status.stdout, `${PREFIX} Warning: index t_b is INVALID (a CREATE INDEX CONCURRENTLY failed); the next up drops and rebuilds it`)
  // The marker the failed run left: what took effect, and the error it stopped on.
  has(
    status.stdout,
    `${PREFIX} Warning: 002_idx: the up file 002_idx.up.sql (no transaction) stopped half-way after an error (002_idx.up.sql:3:3: could not create unique index "t_b"): ` +
      '1 of 3 statements took effect (line 2). Run up again: the file runs again from its first statement (INVALID indexes it creates are dropped first)',
  )
  const json = await cli('status', dir, d, '--json')
  exit(json, 0)
  assert.equal((JSON.parse(json.stdout) as { invalidIndexes: string[] }).invalidIndexes, ['t_b'])

  const verify = await cli('verify', dir, d)
  exit(verify, 3)
  has(
    verify.stdout + verify.stderr,
    'index t_b is INVALID (a CREATE INDEX CONCURRENTLY failed); the next up drops and rebuilds it [invalid-index]',
  )

  // Fix the data; the next up drops the INVALID index first, then runs the whole file again.
  await d.sql`update t set b = a`
  const fixed = await cli('up', dir, d)
  exit(fixed, 0)
  assert.equal(logLines(fixed.stdout), [
    `${PREFIX} Starting migration up for service: ${SERVICE}`,
    `${PREFIX} Found 1 pending migrations`,
    `${PREFIX} Warning: 002_idx: an earlier up stopped half-way (1 of 3 statements may have run); running 002_idx.up.sql again from its first statement`,
    `${PREFIX} Warning: dropping INVALID index t_b left by an earlier failed run of 002_idx.up.sql`,
    `${PREFIX} Successfully applied migration 002_idx`,
    `${PREFIX} All migrations completed successfully`,
  ])
  assert.is(fixed.stderr, '')
  assert.equal(await indexes(d, 't'), ['t_a valid', 't_ab valid', 't_b valid'])
  const [unique] = await d.sql<{ u: boolean }[]>`select indisunique as u from pg_index where indexrelid = 't_b'::regclass`
  assert.is(unique?.u, true)
  assert.equal(await records(d), ['1 001_t', '2 002_idx'])

  const after = await cli('status', dir, d)
  exit(after, 0)
  hasNot(after.stdout + after.stderr, 'INVALID')
  exit(await cli('verify', dir, d), 0)
})

conc('an INVALID index on a table outside the search_path (quoted name) is reported and dropped before the re-run', async () => {
  const d = await db()
  const dir = await migrationsDir({
    '001_t.up.sql': 'create schema app;\ncreate table app.t (a int not null, b int not null);\ninsert into app.t select g, g % 3 from generate_series(1, 30) g;\n',
    '002_idx.up.sql': 'create unique index concurrently if not exists "T_B" on app.t (b);\n',
  })
  const r = await cli('up', dir, d)
  exit(r, 1)
  assert.equal(lines(r.stderr)[0], `${PREFIX} Error: 002_idx.up.sql:1:1: could not create unique index "T_B"`)
  has(r.stderr, '  No statement of this file ran; nothing was recorded.')
  assert.equal(await indexes(d, 'app.t'), ['T_B INVALID'])

  const status = await cli('status', dir, d)
  exit(status, 0)
  has(status.stdout, `${PREFIX} Warning: index app."T_B" is INVALID (a CREATE INDEX CONCURRENTLY failed); the next up drops and rebuilds it`)
  const verify = await cli('verify', dir, d)
  exit(verify, 3)
  has(verify.stdout + verify.stderr, 'index app."T_B" is INVALID')

  await d.sql`update app.t set b = a`
  const fixed = await cli('up', dir, d)
  exit(fixed, 0)
  has(fixed.stdout, `${PREFIX} Warning: dropping INVALID index app."T_B" left by an earlier failed run of 002_idx.up.sql`)
  assert.equal(await indexes(d, 'app.t'), ['T_B valid'])
  assert.equal(await records(d), ['1 001_t', '2 002_idx'])
})

conc('a no-transaction file past --timeout: the statement is located, what ran stays, nothing is recorded', async () => {
  const d = await db()
  const dir = await migrationsDir({
    // pg_sleep(300) outlasts runCli's bound: an exit at all means it was cancelled, however slow the machine.
    '001_slow.up.sql': '-- link-migrate:no-transaction\ncreate table early (id int);\n  select pg_sleep(300);\ncreate table late (id int);\n',
  })
  const r = await cli('up', dir, d, '--timeout', '1s')
  exit(r, 1)
  assert.equal(lines(r.stderr), [
    `${PREFIX} Error: 001_slow.up.sql:3:3: cancelled after 1s (--timeout)`,
    '  1 statement(s) ran before this one and stay in effect (no transaction); nothing was recorded, so the next up runs the file again:',
    '    line 2: create table early (id int)',
  ])
  assert.equal(await userTables(d), ['early'])
  assert.equal(await records(d), [])
})

conc.run()

// ------------------------------------------------------------ transaction control

const control = suite('runner: transaction control in a transactional file')
control.after(cleanup)

const TX_MSG = 'controls the transaction; link-migrate runs each migration in its own transaction with its bookkeeping: remove it'
const TX_HINT = '  Files written for psql with their own BEGIN ... COMMIT blocks can run as psql runs them: --allow-transaction-control (README "How a file runs").'

control('BEGIN; / COMMIT; in the middle is refused with line:col before anything runs: no table at all, not even the bookkeeping', async () => {
  const d = await db()
  const dir = await migrationsDir({
    '001_ok.up.sql': 'create table first_one (id int);\n',
    '002_mid.up.sql': 'create table a (id int);\n\nBEGIN;\ncreate table b (id int);\n  COMMIT;\ncreate table c (id int);\n',
  })
  const r = await cli('up', dir, d)
  exit(r, 1)
  assert.equal(lines(r.stderr), [
    `${PREFIX} Error: 2 problems in migration files:`,
    `    002_mid.up.sql:3:1: BEGIN ${TX_MSG}`,
    `    002_mid.up.sql:5:3: COMMIT ${TX_MSG}`,
    TX_HINT,
  ])
  hasNot(r.stdout, 'Successfully')
  assert.equal(await relations(d), [])
})

control('START TRANSACTION, ROLLBACK and END are refused too, each at its line:col', async () => {
  const d = await db()
  const cases: [string, string][] = [
    ['create table a (id int);\n   start transaction;\n', `002_x.up.sql:2:4: START TRANSACTION ${TX_MSG}`],
    ['create table a (id int);\ninsert into a values (1);\nrollback;\n', `002_x.up.sql:3:1: ROLLBACK ${TX_MSG}`],
    ["-- ü 😀\nselect '😀'; END;\n", `002_x.up.sql:2:13: END ${TX_MSG}`],
  ]
  // With the bookkeeping already in place (001 applied), a refusal still writes nothing.
  const ok = await migrationsDir({ '001_ok.up.sql': 'create table first_one (id int);\n' })
  exit(await cli('up', ok, d), 0)
  const before = await relations(d)
  for (const [content, message] of cases) {
    const dir = await migrationsDir({ '001_ok.up.sql': 'create table first_one (id int);\n', '002_x.up.sql': content })
    const r = await cli('up', dir, d)
    exit(r, 1)
    assert.equal(lines(r.stderr), [`${PREFIX} Error: ${message}`, TX_HINT], content)
    assert.equal(await relations(d), before)
    assert.equal(await records(d), ['1 001_ok'])
  }
})

control('BEGIN/END inside a $$ plpgsql body, strings and comments are fine', async () => {
  const d = await db()
  const dir = await migrationsDir({
    '001_fn.up.sql': [
      '-- BEGIN; this comment mentions COMMIT; and ROLLBACK;',
      '/* END; start transaction; */',
      'create table log (msg text);',
      'create function note(m text) returns int language plpgsql as $$',
      'BEGIN',
      '  insert into log values (m);',
      '  RETURN 1;',
      'END;',
      '$$;',
      'create function safe_div(a int, b int) returns int language plpgsql as $fn$',
      'begin',
      '  begin',
      '    return a / b;',
      '  exception when division_by_zero then',
      '    return null;',
      '  end;',
      'end',
      '$fn$;',
      "insert into log values ('BEGIN; COMMIT;'), (E'END;\\'ROLLBACK;');",
      "select note('start transaction; commit;');",
      '',
    ].join('\n'),
  })
  const r = await cli('up', dir, d)
  exit(r, 0)
  has(r.stdout, `${PREFIX} Successfully applied migration 001_fn`)
  assert.equal(await records(d), ['1 001_fn'])
  const rows = await d.sql<{ msg: string }[]>`select msg from log order by msg`
  assert.equal(rows.map((x) => x.msg), ["END;'ROLLBACK;", 'BEGIN; COMMIT;', 'start transaction; commit;'].sort())
  const [div] = await d.sql<{ v: number | null }[]>`select safe_div(1, 0) as v`
  assert.is(div?.v, null)
})

control('a whole-file BEGIN; ... COMMIT; wrapper (comments around it) is accepted; its body runs in the tool\'s transaction with the record', async () => {
  const d = await db()
  const dir = await migrationsDir({
    '001_wrapped.up.sql': [
      '-- golang-migrate style',
      '/* the wrapper is dropped */',
      'BEGIN;',
      'create table w (tx bigint);',
      'insert into w values (txid_current());',
      'COMMIT;',
      '-- the end',
      '',
    ].join('\n'),
  })
  const r = await cli('up', dir, d)
  exit(r, 0)
  has(r.stdout, `${PREFIX} Successfully applied migration 001_wrapped`)
  assert.is(r.stderr, '')
  assert.equal(await records(d), ['1 001_wrapped'])
  // The body and the bookkeeping were written by one and the same transaction.
  const [same] = await d.sql<{ same: boolean }[]>`
    select (select tx from w)::text = (select xmin::text from migration_records where service = ${SERVICE} and version = 1) as same`
  assert.is(same?.same, true)
})

control('a failing statement inside a wrapped file leaves nothing behind and no record', async () => {
  const d = await db()
  const dir = await migrationsDir({
    '001_wrapped.up.sql': [
      '-- wrapped',
      'BEGIN;',
      'create table w1 (id int);',
      'insert into w1 values (1);',
      "insert into w1 values ('not a number');",
      'create table w2 (id int);',
      'COMMIT;',
      '',
    ].join('\n'),
  })
  const r = await cli('up', dir, d)
  exit(r, 1)
  assert.equal(lines(r.stderr), [
    `${PREFIX} Error: 001_wrapped.up.sql:5:24: invalid input syntax for type integer: "not a number"`,
    "  5 | insert into w1 values ('not a number');",
    '    |                        ^',
    '  SQLSTATE: 22P02',
  ])
  assert.equal(await userTables(d), [])
  assert.equal(await records(d), [])
})

control.run()

// ------------------------------------------------------------ error positions

const pos = suite('runner: errors point at the source')
pos.after(cleanup)

/** 13 lines of statements and comments with emoji and accents, before line 14. */
const THIRTEEN_LINES = [
  '-- 003: listings, café ☕ and 😀 emoji',
  "create table listings (id int, title text default 'crème brûlée 🍮');",
  "comment on table listings is 'naïve résumé 😀😀😀';",
  '/* ünïcödé',
  '   block 🎉 comment */',
  "insert into listings (id) values (1);",
  "insert into listings values (2, '日本語のテキスト');",
  '',
  'create table "tëst 😀" (id int);',
  "select '😀' as smile, 'é' as e;",
  '-- a line comment ✓',
  "select E'tab\\tand 😀';",
  '',
]

pos('a syntax error on line 14 column 7 is reported as file:14:7 with the line and a caret', async () => {
  const d = await db()
  const content = [...THIRTEEN_LINES.map((l) => l.replace(/[^\x00-\x7f]/g, 'x')), 'ALTER TABLEE listings ADD COLUMN price int;', ''].join('\n')
  const dir = await migrationsDir({ '003_add_index.up.sql': content })
  const r = await cli('up', dir, d)
  exit(r, 1)
  assert.equal(lines(r.stderr), [
    `${PREFIX} Error: 003_add_index.up.sql:14:7: syntax error at or near "TABLEE"`,
    '  14 | ALTER TABLEE listings ADD COLUMN price int;',
    '     |       ^',
    '  SQLSTATE: 42601',
  ])
  assert.equal(await userTables(d), [])
  assert.equal(await records(d), [])
})

pos('with emoji and accents earlier on the line and in earlier lines the column still counts characters', async () => {
  const d = await db()
  const content = [...THIRTEEN_LINES, '/*😀é*/TABLEE listings ADD COLUMN price int;', ''].join('\n')
  const dir = await migrationsDir({ '003_add_index.up.sql': content })
  const r = await cli('up', dir, d)
  exit(r, 1)
  assert.equal(lines(r.stderr), [
    `${PREFIX} Error: 003_add_index.up.sql:14:7: syntax error at or near "TABLEE"`,
    '  14 | /*😀é*/TABLEE listings ADD COLUMN price int;',
    '     |       ^',
    '  SQLSTATE: 42601',
  ])
  assert.equal(await userTables(d), [])
})

pos('the pre-run parse checks many small files together and still names every bad one at file:line:col', async () => {
  const d = await db()
  // 300 one-line files (one parser call checks many of them at once), a bad
  // statement in the middle of them, a routine body left open at the end of
  // a file (checked on its own: it must not swallow the next file), and a
  // statement cut short right after it.
  const files: Record<string, string> = {}
  for (let i = 1; i <= 300; i++) files[`${String(i).padStart(3, '0')}_t${i}.up.sql`] = `create table t${i} (id int);\n`
  files['120_t120.up.sql'] = 'create table t120 (id int);\nselec 2;\n'
  files['250_t250.up.sql'] = 'create function f() returns int language sql\nbegin atomic\n  select 1;\n'
  files['251_t251.up.sql'] = 'select 1 from;\n'
  const dir = await migrationsDir(files)
  for (const args of [[], ['--dry-run']]) {
    const r = await cli('up', dir, d, ...args)
    exit(r, 1)
    assert.equal(lines(r.stderr), [
      `${PREFIX} Error: 3 problems in migration files:`,
      '    120_t120.up.sql:2:1: syntax error at or near "selec"',
      '    250_t250.up.sql:3:12: syntax error at end of input',
      '    251_t251.up.sql:1:14: syntax error at end of input',
    ])
  }
  assert.equal(await userTables(d), [])
  assert.equal(await records(d), [])
})

pos('in a no-transaction file the position is found inside the failing statement', async () => {
  const d = await db()
  const dir = await migrationsDir({
    '004_nt.up.sql': [
      '-- link-migrate:no-transaction',
      "create table nt (id int, note text default '😀');",
      '-- é 😀 ü',
      "select '😀é' as a, nosuchcol from nt;",
      '',
    ].join('\n'),
  })
  const r = await cli('up', dir, d)
  exit(r, 1)
  assert.equal(lines(r.stderr), [
    `${PREFIX} Error: 004_nt.up.sql:4:19: column "nosuchcol" does not exist`,
    "  4 | select '😀é' as a, nosuchcol from nt;",
    '    |                   ^',
    '  SQLSTATE: 42703',
    '  1 statement(s) ran before this one and stay in effect (no transaction); nothing was recorded, so the next up runs the file again:',
    "    line 2: create table nt (id int, note text default '😀')",
  ])
  assert.equal(await userTables(d), ['nt'])
  assert.equal(await records(d), [])
})

pos('an error inside a plpgsql function called by the migration shows the server\'s CONTEXT line', async () => {
  const d = await db()
  const dir = await migrationsDir({
    '005_fn.up.sql': [
      'create table audit (n int);',
      'create function boom(x int) returns int language plpgsql as $$',
      'begin',
      '  insert into audit values (x);',
      '  return x / 0;',
      'end;',
      '$$;',
      'select boom(1);',
      '',
    ].join('\n'),
  })
  const r = await cli('up', dir, d)
  exit(r, 1)
  // The failing statement's line, though the server gives no position.
  assert.equal(lines(r.stderr), [
    `${PREFIX} Error: 005_fn.up.sql:8:1: division by zero`,
    '  SQLSTATE: 22012',
    '  CONTEXT: PL/pgSQL function boom(integer) line 4 at RETURN',
  ])
  assert.equal(await userTables(d), [])
  const [fn] = await d.sql<{ ok: boolean }[]>`select to_regprocedure('boom(integer)') is null as ok`
  assert.is(fn?.ok, true)
  assert.equal(await records(d), [])
})

pos('a runtime error without a position (division by zero) names the line of its statement', async () => {
  const d = await db()
  const dir = await migrationsDir({
    '006_calc.up.sql': 'create table calc (n int);\ninsert into calc values (1);\nselect n / 0 from calc;\n',
  })
  const r = await cli('up', dir, d)
  exit(r, 1)
  assert.equal(lines(r.stderr), [`${PREFIX} Error: 006_calc.up.sql:3:1: division by zero`, '  SQLSTATE: 22012'])
  assert.equal(await userTables(d), [])
  assert.equal(await records(d), [])
})

pos.run()

// ------------------------------------------------------------ timeout

const timeout = suite('runner: --timeout')
timeout.after(cleanup)

timeout('--timeout 1s cancels select pg_sleep(300): exit 1, file and 1s named, rolled back, nothing recorded', async () => {
  const d = await db()
  const dir = await migrationsDir({
    '001_early.up.sql': 'create table before_slow (id int);\n',
    '002_slow.up.sql': 'create table early (id int);\ninsert into early values (1);\nselect pg_sleep(300);\n',
  })
  const t0 = performance.now()
  const r = await cli('up', dir, d, '--timeout', '1s')
  const wall = performance.now() - t0
  // Not asserted (a busy machine is slow): runCli's 60 s bound fails a run that was not cancelled.
  console.log(`    --timeout 1s on pg_sleep(300): CLI exited after ${(wall / 1000).toFixed(2)} s`)
  exit(r, 1)
  assert.equal(lines(r.stderr), [`${PREFIX} Error: 002_slow.up.sql: cancelled after 1s (--timeout); the migration was rolled back`])
  has(r.stdout, `${PREFIX} Successfully applied migration 001_early`)
  assert.equal(await userTables(d), ['before_slow'])
  assert.equal(await records(d), ['1 001_early'])
  // The server-side query is gone too (cancelled, not just abandoned).
  const [busy] = await d.sql<{ n: number }[]>`
    select count(*)::int as n from pg_stat_activity
     where datname = current_database() and state = 'active' and query ilike '%pg_sleep(300)%' and pid <> pg_backend_pid()`
  assert.is(busy?.n, 0)
})

timeout.run()

// ------------------------------------------------------------ lock timeout

const lock = suite('runner: lock_timeout and --retries')
lock.after(cleanup)

/** Opens a transaction on its own connection holding an ACCESS EXCLUSIVE lock on `table`; returns its release. */
async function holdLock(d: FreshDatabase, table: string): Promise<() => Promise<void>> {
  const conn = await d.sql.reserve()
  await conn`begin`
  await conn.unsafe(`lock table ${table} in access exclusive mode`)
  let released = false
  return async () => {
    if (released) return
    released = true
    await conn`commit`.catch(() => undefined)
    conn.release()
  }
}

const ALTER_T = 'alter table t add column c int;\n'
const RETRY_1 = `${PREFIX} Warning: 002_alter.up.sql waited too long for a lock (lock_timeout); retry 1 of 2 in 500ms`
const RETRY_2 = `${PREFIX} Warning: 002_alter.up.sql waited too long for a lock (lock_timeout); retry 2 of 2 in 1s`

async function lockedSetup(alter = ALTER_T) {
  const d = await db()
  const dir = await migrationsDir({ '001_t.up.sql': 'create table t (a int);\n', '002_alter.up.sql': alter })
  exit(await cli('up', dir, d, '--to', '1'), 0)
  return { d, dir }
}

lock('up --ddl-lock-timeout 200ms --retries 2 behind a held lock fails after three tries, with two retry warnings', async () => {
  const { d, dir } = await lockedSetup()
  const release = await holdLock(d, 't')
  try {
    const r = await cli('up', dir, d, '--ddl-lock-timeout', '200ms', '--retries', '2')
    exit(r, 1)
    assert.equal(lines(r.stderr), [
      `${PREFIX} Error: 002_alter.up.sql:1:1: canceling statement due to lock timeout (gave up after 3 tries waiting for a lock)`,
      '  SQLSTATE: 55P03',
    ])
    assert.equal(
      lines(r.stdout).filter((l) => l.includes('Warning')),
      [RETRY_1, RETRY_2],
    )
  } finally {
    await release()
  }
  assert.equal(await columns(d, 't'), ['a'])
  assert.equal(await records(d), ['1 001_t'])
})

lock('the same run succeeds when the other session commits during the retries', async () => {
  const { d, dir } = await lockedSetup()
  const release = await holdLock(d, 't')
  let child: ReturnType<typeof spawnCli> | undefined
  try {
    // Six retries (backoff 0.5, 1, 2, 4, 8 s ...): a busy machine that reads the first retry line late still releases in time.
    const proc = spawnCli(['up', '--dir', dir, '--service', SERVICE, '--database-url', d.url, '--ddl-lock-timeout', '200ms', '--retries', '6'])
    child = proc
    let stdout = ''
    let stderr = ''
    let sawRetry!: () => void
    const retried = new Promise<void>((resolve) => (sawRetry = resolve))
    proc.stdout!.setEncoding('utf8').on('data', (s: string) => {
      stdout += s
      if (stdout.includes('retry 1 of 6')) sawRetry()
    })
    proc.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s))
    const exited = new Promise<number | null>((resolve) => proc.on('close', (code) => resolve(code)))
    // Release once the first try has failed (so a retry is what succeeds): on the event, not after a time.
    await Promise.race([retried, exited])
    await release()
    const code = await exited
    assert.is(code, 0, `stdout:\n${stdout}\nstderr:\n${stderr}`)
    assert.is(stderr, '')
    has(stdout, `${PREFIX} Warning: 002_alter.up.sql waited too long for a lock (lock_timeout); retry 1 of 6 in 500ms`)
    has(stdout, `${PREFIX} Successfully applied migration 002_alter`)
  } finally {
    await release()
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
  assert.equal(await columns(d, 't'), ['a', 'c'])
  assert.equal(await records(d), ['1 001_t', '2 002_alter'])
})

lock('the -- link-migrate:lock-timeout 200ms directive alone makes it fail fast, without retries', async () => {
  const { d, dir } = await lockedSetup('-- link-migrate:lock-timeout 200ms\nalter table t add column c int;\n')
  const release = await holdLock(d, 't')
  try {
    const r = await cli('up', dir, d)
    exit(r, 1)
    assert.equal(lines(r.stderr), [`${PREFIX} Error: 002_alter.up.sql:2:1: canceling statement due to lock timeout`, '  SQLSTATE: 55P03'])
    hasNot(r.stdout, 'retry')
  } finally {
    await release()
  }
  assert.equal(await columns(d, 't'), ['a'])
  assert.equal(await records(d), ['1 001_t'])
})

lock('in a no-transaction file the lock timeout points at the statement and lists what ran', async () => {
  const { d, dir } = await lockedSetup(
    '-- link-migrate:no-transaction\n-- link-migrate:lock-timeout 200ms\ncreate table other (id int);\n  alter table t add column c int;\n',
  )
  const release = await holdLock(d, 't')
  try {
    const r = await cli('up', dir, d)
    exit(r, 1)
    assert.equal(lines(r.stderr), [
      `${PREFIX} Error: 002_alter.up.sql:4:3: canceling statement due to lock timeout`,
      '  SQLSTATE: 55P03',
      '  1 statement(s) ran before this one and stay in effect (no transaction); nothing was recorded, so the next up runs the file again:',
      '    line 3: create table other (id int)',
    ])
  } finally {
    await release()
  }
  assert.equal(await userTables(d), ['other', 't'])
  assert.equal(await records(d), ['1 001_t'])
})

lock.run()

// ------------------------------------------------------------ directives

const directives = suite('runner: the no-transaction directive')
directives.after(cleanup)

directives('-- link-migrate:no-transaction runs a plain file statement by statement: a failure at statement 2 leaves statement 1 in place', async () => {
  const d = await db()
  const dir = await migrationsDir({
    '001_nt.up.sql': '-- link-migrate:no-transaction\ncreate table kept (id int);\ncreate table kept (id int);\ncreate table never (id int);\n',
  })
  const r = await cli('up', dir, d)
  exit(r, 1)
  assert.equal(lines(r.stderr), [
    `${PREFIX} Error: 001_nt.up.sql:3:1: relation "kept" already exists`,
    '  SQLSTATE: 42P07',
    '  1 statement(s) ran before this one and stay in effect (no transaction); nothing was recorded, so the next up runs the file again:',
    '    line 2: create table kept (id int)',
  ])
  assert.equal(await userTables(d), ['kept'])
  assert.equal(await records(d), [])
})

directives('a SET in a no-transaction file does not leak into the migrations after it', async () => {
  const d = await db()
  const dir = await migrationsDir({
    '001_schema.up.sql': 'create schema app;\ncreate table app.t (a int);\n',
    '002_nt.up.sql': [
      '-- link-migrate:no-transaction',
      'set search_path = app;',
      'create index concurrently if not exists t_a on t (a);',
      "set statement_timeout = '50ms';",
      '',
    ].join('\n'),
    '003_plain.up.sql': 'create table plain (id int);\nselect pg_sleep(0.3);\n',
  })
  const r = await cli('up', dir, d)
  exit(r, 0)
  has(r.stdout, `${PREFIX} Successfully applied migration 003_plain`)
  assert.equal(await indexes(d, 'app.t'), ['t_a valid'])
  const [where] = await d.sql<{ s: string }[]>`select schemaname as s from pg_tables where tablename = 'plain'`
  assert.is(where?.s, 'public')
  assert.equal(await records(d), ['1 001_schema', '2 002_nt', '3 003_plain'])
})

directives('on a one-connection pool (library), work and lock share a session: CONCURRENTLY files after others still run', async () => {
  const d = await db()
  const dir = await migrationsDir({
    '001_t.up.sql': "create table t (a int);\nset search_path = pg_catalog, public;\n",
    '002_idx.up.sql': 'create index concurrently if not exists t_a on t (a);\n',
    '003_idx.up.sql': "-- link-migrate:lock-timeout 2s\ncreate index concurrently if not exists t_a2 on t (a);\nset work_mem = '64MB';\n",
    '004_plain.up.sql': 'create table plain (id int);\n',
  })
  const sql = postgres(d.url, { max: 1, onnotice: () => undefined })
  const m = createMigrator({ dir, service: SERVICE, sql })
  try {
    const result = await m.up()
    assert.equal(
      result.results.map((r) => `${r.version} ${r.status}`),
      ['1 applied', '2 applied', '3 applied', '4 applied'],
    )
    // What the files SET is gone again; what the caller's session had is kept.
    const [settings] = await sql<{ path: string; mem: string; lt: string }[]>`
      select current_setting('search_path') as path, current_setting('work_mem') as mem, current_setting('lock_timeout') as lt`
    assert.equal(settings, { path: '"$user", public', mem: '4MB', lt: '0' })
  } finally {
    await m.close()
    await sql.end({ timeout: 5 })
  }
  assert.equal(await indexes(d, 't'), ['t_a valid', 't_a2 valid'])
  assert.equal(await records(d), ['1 001_t', '2 002_idx', '3 003_idx', '4 004_plain'])
})

directives('the same file without the directive runs in one transaction: nothing is left', async () => {
  const d = await db()
  const dir = await migrationsDir({
    '001_tx.up.sql': 'create table kept (id int);\ncreate table kept (id int);\n',
  })
  const r = await cli('up', dir, d)
  exit(r, 1)
  assert.equal(lines(r.stderr), [`${PREFIX} Error: 001_tx.up.sql:2:1: relation "kept" already exists`, '  SQLSTATE: 42P07'])
  assert.equal(await userTables(d), [])
  assert.equal(await records(d), [])
})

directives('a directive after the first statement is refused with its line, before anything runs', async () => {
  const d = await db()
  const dir = await migrationsDir({
    '001_late.up.sql': 'create table a (id int);\n  -- link-migrate:no-transaction\ncreate table b (id int);\n',
  })
  const r = await cli('up', dir, d)
  exit(r, 1)
  assert.equal(lines(r.stderr), [
    `${PREFIX} Error: 001_late.up.sql:2:3: -- link-migrate:no-transaction must come before the first statement; it is ignored here`,
  ])
  assert.equal(await relations(d), [])
})

directives('a lock-timeout directive in PostgreSQL syntax (1min) is honoured, not refused', async () => {
  const d = await db()
  const dir = await migrationsDir({
    '001_lt.up.sql': "-- link-migrate:lock-timeout 1min\ncreate table lt (v text);\ninsert into lt values (current_setting('lock_timeout'));\n",
  })
  const r = await cli('up', dir, d)
  exit(r, 0)
  const [row] = await d.sql<{ v: string }[]>`select v from lt`
  assert.is(row?.v, '1min')
  assert.equal(await records(d), ['1 001_lt'])
})

directives.run()

// ------------------------------------------------------------ dry run

const dry = suite('runner: up --dry-run --verbose')
dry.after(cleanup)

dry('prints each statement of a no-transaction file on its own and a transactional file as one transaction; writes nothing', async () => {
  const d = await db()
  const files = {
    '001_t.up.sql': 'create table p (id int);\ncreate table q (id int);\n',
    '002_idx.up.sql': 'create index concurrently if not exists p_id on p (id);\n\ncreate index concurrently if not exists q_id\n  on q (id);\n',
    '003_wrapped.up.sql': '-- wrapped\nBEGIN;\ninsert into p values (1);\nCOMMIT;\n',
  }
  const dir = await migrationsDir(files)
  const r = await cli('up', dir, d, '--dry-run', '--verbose')
  exit(r, 0)
  const out = logLines(r.stdout)
  assert.equal(out, [
    `${PREFIX} Starting migration up for service: ${SERVICE} (dry run)`,
    `${PREFIX} Found 3 pending migrations`,
    `${PREFIX} Would apply migration 001_t (001_t.up.sql, transactional, checksum ${sha256(files['001_t.up.sql'])})`,
    `${PREFIX}   in one transaction:`,
    `${PREFIX}     create table p (id int);`,
    `${PREFIX}     create table q (id int);`,
    `${PREFIX} Would apply migration 002_idx (002_idx.up.sql, no transaction: CREATE INDEX CONCURRENTLY, checksum ${sha256(files['002_idx.up.sql'])})`,
    `${PREFIX}   line 1, on its own (no transaction):`,
    `${PREFIX}     create index concurrently if not exists p_id on p (id)`,
    `${PREFIX}   line 3, on its own (no transaction):`,
    `${PREFIX}     create index concurrently if not exists q_id`,
    `${PREFIX}       on q (id)`,
    `${PREFIX} Would apply migration 003_wrapped (003_wrapped.up.sql, transactional, checksum ${sha256(files['003_wrapped.up.sql'])})`,
    `${PREFIX}   in one transaction (the file's own BEGIN/COMMIT dropped):`,
    `${PREFIX}     -- wrapped`,
    `${PREFIX}           `,
    `${PREFIX}     insert into p values (1);`,
    `${PREFIX} Dry run: nothing was changed`,
  ])
  assert.is(r.stderr, '')
  assert.equal(await relations(d), [])
})

dry('a no-transaction directive file is shown statement by statement with its reason', async () => {
  const d = await db()
  const content = '-- link-migrate:no-transaction\ncreate table a (id int);\n  create table b (id int);\n'
  const dir = await migrationsDir({ '001_nt.up.sql': content })
  const r = await cli('up', dir, d, '--dry-run', '--verbose')
  exit(r, 0)
  const out = logLines(r.stdout)
  assert.equal(out.slice(2), [
    `${PREFIX} Would apply migration 001_nt (001_nt.up.sql, no transaction: link-migrate:no-transaction directive, checksum ${sha256(content)})`,
    `${PREFIX}   line 2, on its own (no transaction):`,
    `${PREFIX}     create table a (id int)`,
    `${PREFIX}   line 3, on its own (no transaction):`,
    `${PREFIX}     create table b (id int)`,
    `${PREFIX} Dry run: nothing was changed`,
  ])
  assert.equal(await relations(d), [])
})

dry.run()

// ------------------------------------------------------------ psql

const psql = suite('runner: psql meta-commands')
psql.after(cleanup)

psql('\\connect x is refused with its line before anything runs', async () => {
  const d = await db()
  const dir = await migrationsDir({
    '001_ok.up.sql': 'create table ok (id int);\n',
    '002_psql.up.sql': "create table a (id int);\n-- switch databases\n\\connect other\ncreate table b (id int);\nselect '\\connect in a string is fine';\n",
  })
  const r = await cli('up', dir, d)
  exit(r, 1)
  assert.equal(lines(r.stderr), [
    `${PREFIX} Error: 002_psql.up.sql:3:1: psql meta-command \\connect is not SQL; link-migrate sends files to the server as they are`,
  ])
  assert.equal(await relations(d), [])
})

psql.run()
