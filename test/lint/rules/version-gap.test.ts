import { ruleTester } from '../tester.js'

ruleTester('version-gap', {
  valid: [
    { file: '002_b.up.sql', sql: 'select 1', files: { '001_a.up.sql': 'select 1' } },
    { file: '005_first.up.sql', sql: 'select 1', name: 'a directory may start anywhere' },
    { file: '002_b.up.sql', sql: 'select 1', files: { '001_a.up.sql': 'select 1', '004_d.down.sql': 'select 1' }, name: 'down files do not count' },
  ],
  invalid: [
    {
      file: '003_c.up.sql',
      sql: 'select 1',
      files: { '001_a.up.sql': 'select 1' },
      findings: [{ line: 1, column: 1, message: 'version 3 follows 1: 2 is missing' }],
    },
    {
      file: '010_j.up.sql',
      sql: 'select 1',
      files: { '001_a.up.sql': 'select 1', '002_b.up.sql': 'select 1', '006_f_up.sql': 'select 1' },
      findings: [
        { file: '006_f_up.sql', line: 1, column: 1, message: 'version 6 follows 2: 3 to 5 are missing' },
        { line: 1, column: 1, message: 'version 10 follows 6: 7 to 9 are missing' },
      ],
    },
    {
      name: 'duplicates do not hide a gap',
      file: '004_d.up.sql',
      sql: 'select 1',
      files: { '002_b.up.sql': 'select 1', '002_bb.up.sql': 'select 1' },
      findings: [{ line: 1, column: 1, message: 'version 4 follows 2: 3 is missing' }],
    },
  ],
})
