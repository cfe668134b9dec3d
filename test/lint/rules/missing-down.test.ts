import { ruleTester } from '../tester.js'

ruleTester('missing-down', {
  valid: [
    { file: '001_a.up.sql', sql: 'select 1', files: { '001_a.down.sql': 'select 1' } },
    { file: '002_b_up.sql', sql: 'select 1', files: { '002_b.down.sql': 'select 1' }, name: 'across styles' },
    { file: 'notes.sql', sql: 'select 1', name: 'not a migration' },
  ],
  invalid: [
    {
      file: '001_a.up.sql',
      sql: 'select 1',
      findings: [{ line: 1, column: 1, message: '001_a has no down file: down of version 1 would fail' }],
    },
    {
      file: '003_c_up.sql',
      sql: 'create table c (id int)',
      files: { '002_b.up.sql': 'select 1', '002_b.down.sql': 'select 1' },
      findings: [{ line: 1, column: 1, message: '003_c has no down file: down of version 3 would fail' }],
    },
    {
      name: 'the down file has another version',
      file: '010_x.up.sql',
      sql: 'select 1',
      files: { '001_x.down.sql': 'select 1' },
      findings: [{ line: 1, column: 1, message: '010_x has no down file: down of version 10 would fail' }],
    },
  ],
})
