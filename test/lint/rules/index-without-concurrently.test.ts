import { ruleTester } from '../tester.js'

const lockMsg = (kind: string, t: string) => `${kind} on ${t} builds its index under an ACCESS EXCLUSIVE lock (no reads, no writes until done)`

ruleTester('index-without-concurrently', {
  valid: [
    { sql: 'create index concurrently if not exists users_email_idx on users (email);' },
    { sql: 'create table t (id int, a int);\ncreate index t_a_idx on t (a);', name: 'a table created earlier in the file' },
    {
      name: 'a table created by an earlier (pending) migration: squawk reports this one',
      files: { '001_create_events.up.sql': 'create table events (id bigint, at timestamptz);' },
      sql: 'create index events_at_idx on events (at);',
    },
    { sql: 'alter table users add constraint users_email_key unique using index users_email_idx;', name: 'a constraint on a concurrent index' },
    { sql: 'create table t (id int primary key, e text unique);', name: 'constraints of a new table' },
  ],
  invalid: [
    {
      sql: 'create index users_email_idx on users (email);',
      findings: [{ line: 1, column: 1, message: 'CREATE INDEX users_email_idx on users without CONCURRENTLY blocks writes to the table for the whole build' }],
    },
    {
      sql: 'select 1;\ncreate unique index on billing.invoices (lower(number));',
      findings: [{ line: 2, column: 1, message: 'CREATE INDEX on billing.invoices without CONCURRENTLY blocks writes to the table for the whole build' }],
    },
    {
      sql: 'alter table users\n  add constraint users_email_key unique (email),\n  add primary key (id);',
      findings: [
        { line: 2, column: 3, message: lockMsg('UNIQUE', 'users') },
        { line: 3, column: 3, message: lockMsg('PRIMARY KEY', 'users') },
      ],
    },
    {
      name: '--assume-applied makes the earlier table an existing one',
      files: { '001_create_events.up.sql': 'create table events (id bigint, at timestamptz);' },
      sql: 'create index events_at_idx on events (at);',
      options: { assumeApplied: 1 },
      findings: [{ line: 1, column: 1, message: 'CREATE INDEX events_at_idx on events without CONCURRENTLY blocks writes to the table for the whole build' }],
    },
    {
      sql: 'alter table users add column handle text unique;',
      findings: [{ line: 1, column: 19, message: lockMsg('UNIQUE', 'users') }],
    },
  ],
})
