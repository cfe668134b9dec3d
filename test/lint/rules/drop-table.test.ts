import { ruleTester } from '../tester.js'

const msg = (t: string) => `DROP TABLE ${t} in an up file: the running version still uses it, and its data cannot be restored by a down file`

ruleTester('drop-table', {
  valid: [
    { sql: 'create table staging (id int);\ninsert into staging select 1;\ndrop table staging;', name: 'a staging table of the same file' },
    { file: '001_create_users.down.sql', files: { '001_create_users.up.sql': 'create table users (id int)' }, sql: 'drop table users;', name: 'a down file' },
    {
      files: { '001_create_tmp.up.sql': 'create table tmp (id int);' },
      sql: 'drop table if exists tmp;',
      options: { newFiles: ['001_create_tmp.up.sql', '002_change.up.sql'] },
      name: 'created by an earlier migration of the new batch (--git-base)',
    },
    { sql: 'drop view v;\ndrop index concurrently if exists i;', name: 'other objects' },
  ],
  invalid: [
    { sql: 'drop table users;', findings: [{ line: 1, column: 1, message: msg('users') }] },
    {
      sql: 'select 1;\n  DROP TABLE IF EXISTS a, billing.invoices CASCADE;',
      findings: [
        { line: 2, column: 3, message: msg('a') },
        { line: 2, column: 3, message: msg('billing.invoices') },
      ],
    },
    { sql: 'create table x (id int); drop table x, users;', findings: [{ line: 1, column: 26, message: msg('users') }] },
  ],
})
