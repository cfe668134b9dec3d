import { ruleTester } from '../tester.js'

const msg = (what: string) =>
  `${what} takes an ACCESS EXCLUSIVE lock with no lock_timeout: while it waits behind a long query, every query on the table queues behind it`

ruleTester('missing-lock-timeout', {
  valid: [
    { sql: '-- link-migrate:lock-timeout 5s\nalter table users add column a int;' },
    { sql: "set lock_timeout = '5s';\nalter table users add column a int;\ndrop index users_a_idx;" },
    { sql: "SET LOCAL lock_timeout TO '2s';\nalter table users add column a int;", name: 'SET LOCAL in a transactional file' },
    { sql: 'create table t (id int);\nalter table t add column a int;', name: 'a new table' },
    { sql: 'create index concurrently if not exists i on users (a);', name: 'a concurrent index takes a weaker lock' },
    {
      name: 'weaker locks: NOT VALID foreign key, VALIDATE, SET STATISTICS',
      sql: 'alter table orders add constraint fk foreign key (u) references users (id) not valid;\nalter table orders validate constraint fk;\nalter table users alter column a set statistics 500;',
    },
    { sql: 'alter table users add column a int;', options: { ddlLockTimeout: 5000 }, name: 'up will run with --ddl-lock-timeout' },
  ],
  invalid: [
    { sql: 'alter table users add column a int;', findings: [{ line: 1, column: 1, message: msg('ALTER TABLE users') }] },
    {
      name: 'SET after the statement is too late; one finding per file',
      sql: "select 1;\nalter table users add column a int;\nset lock_timeout = '5s';\nalter table users add column b int;\nalter table orders add column c int;",
      findings: [{ line: 2, column: 1, message: msg('ALTER TABLE users') }],
    },
    {
      name: 'a zero lock_timeout waits forever',
      sql: 'set lock_timeout = 0;\ndrop table users;',
      findings: [{ line: 2, column: 1, message: msg('DROP TABLE users') }],
    },
    {
      name: "the file's directive wins over --ddl-lock-timeout",
      sql: '-- link-migrate:lock-timeout 0\ntruncate sessions;',
      options: { ddlLockTimeout: 5000 },
      findings: [{ line: 2, column: 1, message: msg('TRUNCATE sessions') }],
    },
    {
      name: 'SET LOCAL outside a transaction does nothing',
      sql: "-- link-migrate:no-transaction\nset local lock_timeout = '1s';\ndrop index users_email_idx;",
      findings: [{ line: 3, column: 1, message: msg('DROP INDEX users_email_idx') }],
    },
    {
      name: 'allowed on one statement, reported at the next',
      sql: '-- link-migrate:allow missing-lock-timeout\nalter table users rename column a to b;\nlock table users;',
      findings: [{ line: 3, column: 1, message: msg('LOCK TABLE users') }],
    },
  ],
})
