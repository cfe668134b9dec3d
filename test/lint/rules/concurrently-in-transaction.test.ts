import { ruleTester } from '../tester.js'

const msg = (what: string) => `${what} inside the file's own BEGIN ... COMMIT: PostgreSQL refuses it in a transaction block`

ruleTester('concurrently-in-transaction', {
  valid: [
    { sql: 'create index concurrently if not exists i on t (a);' },
    { sql: 'begin;\nselect 1;\ncommit;\ncreate index concurrently if not exists i on t (a);', name: 'after the block' },
    { sql: 'BEGIN;\nCREATE INDEX CONCURRENTLY i ON t (a);\nCOMMIT;', name: 'a whole-file wrapper (another rule)' },
  ],
  invalid: [
    {
      sql: 'select 1;\nbegin;\ncreate index concurrently i on t (a);\ncommit;',
      findings: [{ line: 3, column: 1, message: msg('CREATE INDEX CONCURRENTLY') }],
    },
    {
      sql: 'start transaction;\nvacuum t;\nrollback;\nselect 1;',
      findings: [{ line: 2, column: 1, message: msg('VACUUM') }],
    },
    {
      sql: '-- link-migrate:no-transaction\nselect 1;\nbegin;\n  reindex index concurrently i;\n  drop index concurrently if exists j;\ncommit;',
      findings: [
        { line: 4, column: 3, message: msg('REINDEX CONCURRENTLY') },
        { line: 5, column: 3, message: msg('DROP INDEX CONCURRENTLY') },
      ],
    },
  ],
})
