import { ruleTester } from '../tester.js'

const NOTE =
  'the file wraps itself in BEGIN/COMMIT: link-migrate drops the wrapper and runs the body in its own transaction with its bookkeeping'

ruleTester('transaction-wrapper', {
  valid: [
    { sql: 'create table t (id int);' },
    { sql: 'BEGIN;\nCREATE INDEX CONCURRENTLY i ON t (a);\nCOMMIT;', name: 'a wrapper the runner refuses (another rule)' },
    { sql: 'begin;\nselect 1;\ncommit;\nselect 2;', name: 'not the whole file' },
  ],
  invalid: [
    { sql: 'BEGIN;\nselect 1;\nCOMMIT;', findings: [{ line: 1, column: 1, message: NOTE }] },
    {
      sql: '-- migrate:up\n  begin transaction;\ncreate table t (id int);\nend;\n-- done',
      findings: [{ line: 2, column: 3, message: NOTE }],
    },
    { sql: 'start transaction; select 1; commit work;', findings: [{ line: 1, column: 1, message: NOTE }] },
  ],
})
