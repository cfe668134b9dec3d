import { ruleTester } from '../tester.js'

const lockMsg = (kind: string, t: string) => `${kind} on ${t} builds its index under an ACCESS EXCLUSIVE lock (no reads, no writes until done)`

ruleTester('index-without-concurrently', {
  valid: [
    { sql: 'create index concurrently if not exists users_email_idx on users (email);' },
    { sql: 'create table t (id int, a int);\ncreate index t_a_idx on t (a);', name: 'a table created earlier in the file' },
    {
      name: 'a table created by an earlier migration of the new batch (--new-since 0): squawk reports this one',
      files: { '001_create_events.up.sql': 'create table events (id bigint, at timestamptz);' },
      sql: 'create index events_at_idx on events (at);',
      options: { newSince: 0 },
    },
    {
      name: 'the database has applied only 001 (--against-db): 002 and 003 are the new batch',
      files: { '001_create_users.up.sql': 'create table users (id int);', '002_create_events.up.sql': 'create table events (id bigint, at timestamptz);' },
      file: '003_change.up.sql',
      sql: 'create index events_at_idx on events (at);',
      options: { appliedVersions: [1] },
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
      name: 'by default a table of an earlier migration is an existing one (also with --assume-applied 1)',
      files: { '001_create_events.up.sql': 'create table events (id bigint, at timestamptz);' },
      sql: 'create index events_at_idx on events (at);',
      findings: [{ line: 1, column: 1, message: 'CREATE INDEX events_at_idx on events without CONCURRENTLY blocks writes to the table for the whole build' }],
    },
    {
      name: '--assume-applied 1: 001 is deployed, only 002 is new',
      files: { '001_create_events.up.sql': 'create table events (id bigint, at timestamptz);' },
      sql: 'create index events_at_idx on events (at);',
      options: { assumeApplied: 1 },
      findings: [{ line: 1, column: 1, message: 'CREATE INDEX events_at_idx on events without CONCURRENTLY blocks writes to the table for the whole build' }],
    },
    {
      name: 'the database has applied 001 (--against-db): its table exists',
      files: { '001_create_events.up.sql': 'create table events (id bigint, at timestamptz);' },
      sql: 'create index events_at_idx on events (at);',
      options: { appliedVersions: [1] },
      findings: [{ line: 1, column: 1, message: 'CREATE INDEX events_at_idx on events without CONCURRENTLY blocks writes to the table for the whole build' }],
    },
    {
      name: 'a down file of the same migration sees its up file\'s table as new, a later one does not',
      files: { '001_create_events.up.sql': 'create table events (id bigint, at timestamptz);', '001_create_events.down.sql': 'create index e_idx on events (at);' },
      sql: 'create index events_at_idx on events (at);',
      findings: [{ line: 1, column: 1, message: 'CREATE INDEX events_at_idx on events without CONCURRENTLY blocks writes to the table for the whole build' }],
    },
    {
      sql: 'alter table users add column handle text unique;',
      findings: [{ line: 1, column: 19, message: lockMsg('UNIQUE', 'users') }],
    },
  ],
})
