import { ruleTester } from '../tester.js'

ruleTester('duplicate-version', {
  valid: [
    { file: '002_b.up.sql', sql: 'select 1', files: { '001_a.up.sql': 'select 1' } },
    { file: '001_a.down.sql', sql: 'select 1', files: { '001_a.up.sql': 'select 1' }, name: 'an up and a down share a version' },
    { file: '010_x.up.sql', sql: 'select 1', files: { '001_x.up.sql': 'select 1' }, name: '010 and 001 differ' },
  ],
  invalid: [
    {
      file: '003_b.up.sql',
      sql: 'select 1',
      files: { '003_a.up.sql': 'select 1' },
      findings: [{ line: 1, column: 1, message: 'duplicate up migration for version 3: 003_a.up.sql, 003_b.up.sql' }],
    },
    {
      name: 'across naming styles and widths',
      file: '7_b_up.sql',
      sql: 'select 1',
      files: { '007_a.up.sql': 'select 1' },
      findings: [{ line: 1, column: 1, message: 'duplicate up migration for version 7: 007_a.up.sql, 7_b_up.sql' }],
    },
    {
      name: 'two down files',
      file: '004_a_down.sql',
      sql: 'select 1',
      files: { '004_a.up.sql': 'select 1', '004_a.down.sql': 'select 1' },
      findings: [{ line: 1, column: 1, message: 'duplicate down migration for version 4: 004_a.down.sql, 004_a_down.sql' }],
    },
  ],
})
