import { ruleTester } from '../tester.js'

const msg = (what: string) =>
  `${what} cannot run inside the file's BEGIN/COMMIT wrapper (PostgreSQL refuses it in a transaction block): drop the wrapper`

ruleTester('concurrently-in-wrapped-file', {
  valid: [
    { sql: 'CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);' },
    { sql: 'BEGIN;\nCREATE INDEX i ON t (a);\nCOMMIT;', name: 'a plain index in a wrapped file' },
    { sql: 'BEGIN;\nREFRESH MATERIALIZED VIEW CONCURRENTLY m;\nCOMMIT;', name: 'CONCURRENTLY that runs in a transaction' },
  ],
  invalid: [
    {
      sql: 'BEGIN;\nCREATE INDEX CONCURRENTLY i ON t (a);\nCOMMIT;',
      findings: [{ line: 2, column: 1, message: msg('CREATE INDEX CONCURRENTLY') }],
    },
    {
      sql: 'begin;\ndrop index concurrently if exists i;\nvacuum t;\ncommit;',
      findings: [
        { line: 2, column: 1, message: msg('DROP INDEX CONCURRENTLY') },
        { line: 3, column: 1, message: msg('VACUUM') },
      ],
    },
    {
      sql: 'begin;\nselect 1;\n  create unique index concurrently if not exists u on t (a);\ncommit;',
      findings: [{ line: 3, column: 3, message: msg('CREATE INDEX CONCURRENTLY') }],
    },
  ],
})
