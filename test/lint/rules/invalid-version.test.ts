import { ruleTester } from '../tester.js'

ruleTester('invalid-version', {
  valid: [
    { file: '001_a.up.sql', sql: 'select 1' },
    { file: '2147483647_last.up.sql', sql: 'select 1', name: 'the largest integer' },
    { file: 'notes.sql', sql: 'select 1', name: 'not a migration name at all (file-name says so)' },
  ],
  invalid: [
    {
      file: '000_init.up.sql',
      sql: 'select 1',
      findings: [{ line: 1, column: 1, message: 'version 0 is reserved (it means "nothing applied"): start at 001' }],
    },
    {
      file: '20240101120000_timestamped.up.sql',
      sql: 'select 1',
      findings: [
        {
          line: 1,
          column: 1,
          message: 'version 20240101120000 is larger than 2147483647, the largest PostgreSQL integer (timestamps do not fit)',
        },
      ],
    },
    {
      file: '2147483648_just_past.down.sql',
      sql: 'select 1',
      findings: [
        { line: 1, column: 1, message: 'version 2147483648 is larger than 2147483647, the largest PostgreSQL integer (timestamps do not fit)' },
      ],
    },
  ],
})
