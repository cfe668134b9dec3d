import { ruleTester } from '../tester.js'

ruleTester('file-name', {
  valid: [
    { file: '001_create_users.up.sql', sql: 'create table users (id int)' },
    { file: '002_add_email_up.sql', sql: 'select 1', name: 'the underscore style' },
    { file: '1000_more_than_999.up.sql', sql: 'select 1', name: 'a 4-digit version past 999' },
    { file: '003_v2_schema.down.sql', sql: 'select 1', files: { '003_v2_schema.up.sql': 'select 1' } },
  ],
  invalid: [
    {
      file: '01_create_users.up.sql',
      sql: 'select 1',
      findings: [{ line: 1, column: 1, message: 'version "01" is not 3 digits wide (convention: 001)' }],
    },
    {
      file: '003_AddUsers.up.sql',
      sql: 'select 1',
      findings: [{ line: 1, column: 1, message: 'description "AddUsers" is not a lowercase slug (a-z, 0-9, _)' }],
    },
    {
      file: '004_add_users.sql',
      sql: 'select 1',
      findings: [
        {
          line: 1,
          column: 1,
          message: '004_add_users.sql is not a migration file name (NNN_description.up.sql or NNN_description_up.sql): up never runs it',
        },
      ],
    },
    {
      name: 'both advices for one name',
      file: '7_Add-Users.up.sql',
      sql: 'select 1',
      findings: [
        { line: 1, column: 1, message: 'version "7" is not 3 digits wide (convention: 007)' },
        { line: 1, column: 1, message: 'description "Add-Users" is not a lowercase slug (a-z, 0-9, _)' },
      ],
    },
  ],
})
