import { ruleTester } from '../tester.js'

ruleTester('rename-column', {
  valid: [
    { sql: 'create table t (a int);\nalter table t rename column a to b;', name: 'a new table' },
    { file: '004_rename.down.sql', files: { '004_rename.up.sql': 'select 1' }, sql: 'alter table users rename column b to a;', name: 'a down file' },
    { sql: 'alter table users rename constraint a to b;\nalter index i rename to j;', name: 'constraints and indexes' },
    { sql: '-- link-migrate:allow rename-column\nalter table users rename column a to b;', name: 'silenced' },
  ],
  invalid: [
    {
      sql: 'alter table users rename column email to email_address;',
      findings: [{ line: 1, column: 1, message: 'RENAME COLUMN users.email TO email_address: the running version still uses the old name' }],
    },
    {
      sql: 'ALTER TABLE IF EXISTS ONLY "Users" RENAME "Email" TO email;',
      findings: [{ line: 1, column: 1, message: 'RENAME COLUMN "Users"."Email" TO email: the running version still uses the old name' }],
    },
    {
      files: { '001_create_t.up.sql': 'create table t (a int);' },
      sql: 'select 1;\nalter table t rename a to b;',
      options: { assumeApplied: 1 },
      findings: [{ line: 2, column: 1, message: 'RENAME COLUMN t.a TO b: the running version still uses the old name' }],
    },
  ],
})
