import { ruleTester } from '../tester.js'

ruleTester('orphan-down', {
  valid: [
    { file: '001_a.down.sql', sql: 'select 1', files: { '001_a.up.sql': 'select 1' } },
    { file: '002_b_down.sql', sql: 'select 1', files: { '002_b.up.sql': 'select 1' }, name: 'pairs across styles' },
    { file: '003_c.down.sql', sql: 'select 1', files: { '003_other.up.sql': 'select 1' }, name: 'pairs by version, not name' },
  ],
  invalid: [
    {
      file: '001_a.down.sql',
      sql: 'select 1',
      findings: [{ line: 1, column: 1, message: 'down migration for version 1 has no up file' }],
    },
    {
      file: '005_e_down.sql',
      sql: 'select 1',
      files: { '004_e.up.sql': 'select 1' },
      findings: [{ line: 1, column: 1, message: 'down migration for version 5 has no up file' }],
    },
    {
      name: 'a renumbered up file',
      file: '009_add_x.down.sql',
      sql: 'select 1',
      files: { '010_add_x.up.sql': 'select 1', '010_add_x.down.sql': 'select 1' },
      findings: [{ line: 1, column: 1, message: 'down migration for version 9 has no up file' }],
    },
  ],
})
