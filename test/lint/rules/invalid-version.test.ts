import { ruleTester } from '../tester.js'

ruleTester('invalid-version', {
  valid: [
    { file: '001_a.up.sql', sql: 'select 1' },
    { file: '2147483647_last.up.sql', sql: 'select 1', name: 'the largest integer' },
    { file: '000_init.up.sql', sql: 'select 1', name: 'version 0 is a version (golang-migrate sets start there)' },
    { file: '20240101120000_timestamped.up.sql', sql: 'select 1', name: 'a timestamp version (BIGINT columns)' },
    { file: '9007199254740991_last.up.sql', sql: 'select 1', name: 'the largest exact version' },
    { file: 'notes.sql', sql: 'select 1', name: 'not a migration name at all (file-name says so)' },
  ],
  invalid: [
    {
      file: '9007199254740992_just_past.down.sql',
      sql: 'select 1',
      findings: [{ line: 1, column: 1, message: 'version 9007199254740992 is larger than 9007199254740991, the largest version link-migrate reads exactly' }],
    },
    {
      file: '20240101120000123_milliseconds.up.sql',
      sql: 'select 1',
      findings: [{ line: 1, column: 1, message: 'version 20240101120000123 is larger than 9007199254740991, the largest version link-migrate reads exactly' }],
    },
    {
      file: '99999999999999999999_huge_up.sql',
      sql: 'select 1',
      findings: [{ line: 1, column: 1, message: 'version 99999999999999999999 is larger than 9007199254740991, the largest version link-migrate reads exactly' }],
    },
  ],
})
