import { ruleTester } from '../tester.js'

const msg = (col: string) =>
  `ADD COLUMN ${col} is NOT NULL without a default: it fails on a table with rows, and the running version's INSERTs fail after it`

ruleTester('not-null-without-default', {
  valid: [
    { sql: "alter table users add column status text not null default 'active';" },
    { sql: 'alter table users add column nickname text;', name: 'nullable' },
    { sql: 'create table t (id int);\nalter table t add column a int not null;', name: 'a new table' },
    { sql: 'alter table users add column n int generated always as identity not null;', name: 'an identity fills the rows' },
    { sql: 'alter table users add column seq bigserial not null;', name: 'a serial fills the rows' },
  ],
  invalid: [
    { sql: 'alter table users add column a int not null;', findings: [{ line: 1, column: 19, message: msg('users.a') }] },
    { sql: 'ALTER TABLE users ADD a int DEFAULT NULL NOT NULL;', findings: [{ line: 1, column: 19, message: msg('users.a') }], name: 'DEFAULT NULL is no default' },
    {
      sql: 'alter table users\n  add column x int default 0 not null,\n  add column code text primary key;',
      findings: [{ line: 3, column: 3, message: msg('users.code') }],
      name: 'a primary key is NOT NULL',
    },
    {
      file: '003_drop_legacy.down.sql',
      files: { '003_drop_legacy.up.sql': 'select 1' },
      sql: 'alter table users add column legacy int not null;',
      findings: [{ line: 1, column: 19, message: msg('users.legacy') }],
      name: 'a down file re-adding a column',
    },
  ],
})
