import { ruleTester } from '../tester.js'

const msg = (col: string) => `SET NOT NULL on ${col} scans the whole table under an ACCESS EXCLUSIVE lock`

ruleTester('set-not-null', {
  valid: [
    { sql: 'create table t (a int);\nalter table t alter column a set not null;', name: 'a new table' },
    {
      name: 'after a validated IS NOT NULL check (PostgreSQL 12+ skips the scan; the VALIDATE is another rule\'s finding)',
      sql: [
        'alter table users add constraint users_email_nn check (email is not null) not valid;',
        'alter table users validate constraint users_email_nn;',
        'alter table users alter column email set not null;',
        'alter table users drop constraint users_email_nn;',
      ].join('\n'),
    },
    {
      name: 'the check validated by an earlier migration',
      files: {
        '001_add_check.up.sql': 'alter table users add constraint users_email_nn check (email is not null) not valid;',
        '001_add_check.down.sql': 'alter table users drop constraint users_email_nn;',
        '002_validate.up.sql': 'alter table users validate constraint users_email_nn;',
      },
      file: '003_not_null.up.sql',
      sql: 'alter table users alter column email set not null;',
    },
    { sql: 'alter table users alter column email drop not null;' },
  ],
  invalid: [
    { sql: 'alter table users alter column email set not null;', findings: [{ line: 1, column: 19, message: msg('users.email') }] },
    {
      name: 'a check that was never validated',
      sql: 'alter table users add constraint c check (email is not null) not valid;\nalter table users alter email set not null;',
      findings: [{ line: 2, column: 19, message: msg('users.email') }],
    },
    {
      name: 'a validated check on another column',
      sql: 'alter table users add constraint c check (name is not null) not valid;\nalter table users validate constraint c;\nalter table users alter email set not null;',
      findings: [{ line: 3, column: 19, message: msg('users.email') }],
    },
  ],
})
