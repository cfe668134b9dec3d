import { ruleTester } from '../tester.js'

const msg = (what: string) => `${what}: this file runs without a transaction and is run again whole after a failure`

ruleTester('non-idempotent', {
  valid: [
    { sql: 'create table t (id int);\ncreate index i on t (id);', name: 'a transactional file is atomic' },
    { sql: 'create index concurrently if not exists i on t (a);\ndrop index concurrently if exists j;' },
    {
      sql: [
        '-- link-migrate:no-transaction',
        'create table if not exists t (id int);',
        'alter table t add column if not exists a int, drop column if exists b;',
        'create or replace view v as select 1;',
        "create or replace function f() returns int language sql as 'select 1';",
        "alter type mood add value if not exists 'meh';",
        'insert into t values (1) on conflict do nothing;',
      ].join('\n'),
    },
  ],
  invalid: [
    {
      sql: 'CREATE INDEX CONCURRENTLY users_email_idx ON users (email);',
      findings: [{ line: 1, column: 1, message: msg('CREATE INDEX users_email_idx without IF NOT EXISTS') }],
    },
    {
      sql: 'drop index concurrently users_email_idx;',
      findings: [{ line: 1, column: 1, message: msg('DROP INDEX without IF EXISTS') }],
    },
    {
      sql: 'create index concurrently on users (email);',
      findings: [{ line: 1, column: 1, message: msg('CREATE INDEX without a name creates another index on each run: name it and add IF NOT EXISTS') }],
    },
    {
      sql: "-- link-migrate:no-transaction\ncreate table t (id int);\nalter table u add column a int, drop column b;\nalter type mood add value 'meh';",
      findings: [
        { line: 2, column: 1, message: msg('CREATE TABLE without IF NOT EXISTS') },
        { line: 3, column: 1, message: msg('ADD COLUMN a without IF NOT EXISTS') },
        { line: 3, column: 1, message: msg('DROP COLUMN b without IF EXISTS') },
        { line: 4, column: 1, message: msg("ALTER TYPE ... ADD VALUE 'meh' without IF NOT EXISTS") },
      ],
    },
  ],
})
