import { ruleTester } from '../tester.js'

const msg = (col: string) =>
  `ALTER COLUMN ${col} TYPE rewrites the table and its indexes under an ACCESS EXCLUSIVE lock (unless the change is binary-coercible)`

ruleTester('alter-column-type', {
  valid: [
    { sql: 'create table t (a int);\nalter table t alter column a type bigint;', name: 'a new table' },
    { sql: 'alter table users alter column a set default 1, alter column b drop not null;' },
    { sql: '-- link-migrate:allow alter-column-type\nalter table users alter column name type text;', name: 'silenced (varchar -> text)' },
    { sql: "alter type mood rename value 'sad' to 'blue';", name: 'not a table' },
  ],
  invalid: [
    { sql: 'alter table users alter column a type bigint;', findings: [{ line: 1, column: 19, message: msg('users.a') }] },
    {
      sql: 'ALTER TABLE users\n  ALTER a SET DATA TYPE text USING a::text,\n  ALTER b TYPE numeric(10, 2);',
      findings: [
        { line: 2, column: 3, message: msg('users.a') },
        { line: 3, column: 3, message: msg('users.b') },
      ],
    },
    {
      file: '005_widen.down.sql',
      files: { '005_widen.up.sql': 'select 1' },
      sql: 'alter table orders alter column total type int;',
      findings: [{ line: 1, column: 20, message: msg('orders.total') }],
    },
  ],
})
