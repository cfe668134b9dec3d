import { ruleTester } from '../tester.js'

const msg = (col: string) => `DROP COLUMN ${col}: the running version fails as soon as the column is gone; stop using it in a release before this one`

ruleTester('drop-column', {
  valid: [
    { sql: 'create table t (id int, a int);\nalter table t drop column a;', name: 'a table created earlier in the file' },
    {
      name: 'a table created by an earlier migration of the new batch (--new-since 0)',
      files: { '001_create_t.up.sql': 'create table t (id int, a int);' },
      sql: 'alter table t drop column a;',
      options: { newSince: 0 },
    },
    {
      name: 'a down file undoes its up file',
      file: '003_add_nickname.down.sql',
      files: { '003_add_nickname.up.sql': 'alter table users add column nickname text;' },
      sql: 'alter table users drop column nickname;',
    },
    { sql: '-- link-migrate:allow drop-column\nalter table users drop column legacy;', name: 'silenced for the statement' },
    { sql: "select 'alter table users drop column a';\n-- alter table users drop column a;", name: 'words in strings and comments' },
  ],
  invalid: [
    { sql: 'alter table users drop column email;', findings: [{ line: 1, column: 19, message: msg('users.email') }] },
    {
      name: 'points at each action of a multi-action statement',
      sql: 'ALTER TABLE public.users\n  ADD COLUMN a int,\n  DROP COLUMN IF EXISTS b CASCADE,\n  DROP "C";',
      findings: [
        { line: 3, column: 3, message: msg('public.users.b') },
        { line: 4, column: 3, message: msg('public.users."C"') },
      ],
    },
    {
      name: 'by default the earlier migration is in production',
      files: { '001_create_t.up.sql': 'create table t (id int, a int);' },
      sql: 'alter table t drop column a;',
      findings: [{ line: 1, column: 15, message: msg('t.a') }],
    },
    {
      name: 'an allow for another rule does not silence it',
      sql: 'select 1;\n-- link-migrate:allow set-not-null\nalter table users drop column a; -- link-migrate:allow drop-column\nalter table users drop column b;',
      findings: [{ line: 4, column: 19, message: msg('users.b') }],
    },
  ],
})
