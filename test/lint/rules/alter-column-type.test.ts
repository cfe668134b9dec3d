import { ruleTester } from '../tester.js'

const msg = (col: string, why = 'unless the change is binary-coercible') =>
  `ALTER COLUMN ${col} TYPE rewrites the table and its indexes under an ACCESS EXCLUSIVE lock (${why})`
const users = { '001_create_users.up.sql': 'create table users (id bigserial, name varchar(100), email character varying(120), bio text, total numeric(10, 2), seen timestamp(3), n int, addr cidr);' }

ruleTester('alter-column-type', {
  valid: [
    { sql: 'create table t (a int);\nalter table t alter column a type bigint;', name: 'a new table' },
    { sql: 'alter table users alter column a set default 1, alter column b drop not null;' },
    { sql: '-- link-migrate:allow alter-column-type\nalter table users alter column name type text;', name: 'silenced (varchar -> text)' },
    { sql: "alter type mood rename value 'sad' to 'blue';", name: 'not a table' },
    { files: users, sql: 'alter table users alter column name type text;', name: 'varchar(n) -> text, the type known from 001' },
    { files: users, sql: 'alter table users alter column name type varchar(200), alter column email type varchar;', name: 'a longer varchar, or no limit' },
    { files: users, sql: 'alter table users alter column total type numeric(14, 2);\nalter table users alter column total type numeric;', name: 'numeric widened with the same scale, then unconstrained' },
    { files: users, sql: 'alter table users alter column seen type timestamp(6), alter column addr type inet, alter column bio type varchar;', name: 'timestamp precision up, cidr -> inet, text -> varchar' },
    {
      files: { ...users, '002_rename.up.sql': 'alter table users rename column name to full_name;\nalter table users add column handle varchar(20);' },
      file: '003_change.up.sql',
      sql: 'alter table users alter column full_name type text, alter column handle type varchar(40);',
      name: 'types follow renames and added columns',
    },
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
      name: 'the type is known and the change is a rewrite',
      files: users,
      sql: 'alter table users alter column n type bigint, alter column name type varchar(50), alter column total type numeric(12, 3);',
      findings: [
        { line: 1, column: 19, message: msg('users.n', 'int4 -> int8 is not binary-coercible') },
        { line: 1, column: 47, message: msg('users.name', 'varchar(100) -> varchar(50) is not binary-coercible') },
        { line: 1, column: 83, message: msg('users.total', 'numeric(10,2) -> numeric(12,3) is not binary-coercible') },
      ],
    },
    {
      name: 'USING computes new contents',
      files: users,
      sql: 'alter table users alter column name type text using upper(name);',
      findings: [{ line: 1, column: 19, message: msg('users.name', 'varchar(100) -> text with USING or COLLATE is not binary-coercible') }],
    },
    {
      file: '005_widen.down.sql',
      files: { '005_widen.up.sql': 'select 1' },
      sql: 'alter table orders alter column total type int;',
      findings: [{ line: 1, column: 20, message: msg('orders.total') }],
    },
  ],
})
