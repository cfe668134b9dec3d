/**
 * statementsScope(), the pure half of scoped snapshots: which statements
 * are read from the relations they name, and which make the snapshot after
 * them scan the catalogs (anything that may run code or change objects it
 * does not name). Whether the scoped reads are right is proved against
 * full reads in incremental.test.ts.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { statementsScope } from '../../src/check/scope.js'
import { isFailure, loadParser } from '../../src/sql/parser.js'

const test = suite('statementsScope')

async function scopeOf(sql: string) {
  const parsed = (await loadParser())(sql)
  if (isFailure(parsed)) throw new Error(parsed.message)
  return statementsScope(parsed.nodes)
}

test('CREATE TABLE, CREATE INDEX on columns and DROP ... RESTRICT name what they touch', async () => {
  assert.equal(await scopeOf('create table w1_t0001 (id bigint primary key, name text not null); create index w1_t0001_name_idx on w1_t0001 (name)'), {
    names: ['w1_t0001', 'w1_t0001', 'w1_t0001_name_idx'],
    drops: false,
    indexes: true,
  })
  assert.equal(await scopeOf('drop table if exists a, billing."Invoices"'), { names: ['a', 'Invoices'], drops: true, indexes: false })
  assert.equal(await scopeOf('drop index concurrently i'), { names: ['i'], drops: true, indexes: false })
  assert.equal(await scopeOf('create table c (like p including all) inherits (q)'), { names: ['c'], drops: false, indexes: false })
  assert.equal(await scopeOf('create index on t (a) include (b)'), { names: ['t'], drops: false, indexes: true })
  assert.equal(await scopeOf('begin; create table t (a int); commit'), { names: ['t'], drops: false, indexes: false })
  assert.equal(await scopeOf('-- nothing but a comment'), { names: [], drops: false, indexes: false })
  // a name cut to 63 bytes as the server cuts it
  assert.equal(await scopeOf(`create table ${'x'.repeat(70)} (a int)`), { names: ['x'.repeat(63)], drops: false, indexes: false })
})

test('anything that may run code or touch what it does not name is unscoped', async () => {
  for (const sql of [
    'do $$ begin execute \'drop table t\'; end $$',
    'call cleanup()',
    'select make_tables()',
    'insert into t values (1)',
    'update t set a = 1',
    'delete from t',
    'drop table t cascade',
    'drop function f()',
    'drop type mood',
    'drop schema s',
    'alter table t add column b int',
    'alter table t rename to u',
    'comment on table t is null',
    'create view v as select 1',
    'create table t2 as select * from t',
    'create table c partition of p for values in (1)',
    'create table c of mood_row',
    'create index on t ((lower(a)))',
    'create index on t (a) where a > 0',
    'create index on t (a text_pattern_ops)',
    'create index on t (a collate "C")',
    'create function f() returns int language sql as $$ select 1 $$',
    'create trigger tr before insert on t for each row execute function f()',
    'create event trigger e on ddl_command_end execute function f()',
    'prepare transaction \'x\'',
    'commit prepared \'x\'',
    'set search_path = s',
    'grant select on t to app',
    'truncate t',
    'vacuum t',
    'create table t (a int); drop table u cascade',
  ]) {
    assert.is(await scopeOf(sql), null, sql)
  }
})

test.run()
