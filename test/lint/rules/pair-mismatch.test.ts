import { ruleTester } from '../tester.js'

ruleTester('pair-mismatch', {
  valid: [
    { file: '001_a.down.sql', sql: 'select 1', files: { '001_a.up.sql': 'select 1' } },
    { file: '002_b_down.sql', sql: 'select 1', files: { '002_b.up.sql': 'select 1' }, name: 'same description, other style' },
    { file: '003_c.down.sql', sql: 'select 1', name: 'no up file (orphan-down says so)' },
  ],
  invalid: [
    {
      file: '001_create_user.down.sql',
      sql: 'select 1',
      files: { '001_create_users.up.sql': 'select 1' },
      findings: [
        { line: 1, column: 1, message: 'pairs with 001_create_users by version, but its description "create_user" differs from "create_users"' },
      ],
    },
    {
      file: '02_b_down.sql',
      sql: 'select 1',
      files: { '002_bb.up.sql': 'select 1' },
      findings: [{ line: 1, column: 1, message: 'pairs with 002_bb by version, but its description "b" differs from "bb"' }],
    },
    {
      file: '003_Add.down.sql',
      sql: 'select 1',
      files: { '003_add.up.sql': 'select 1' },
      findings: [{ line: 1, column: 1, message: 'pairs with 003_add by version, but its description "Add" differs from "add"' }],
    },
  ],
})
