import { ruleTester } from '../tester.js'

const width = (digits: string, n: number, want: string) => `version "${digits}" does not follow the directory's names (the directory uses ${n} digits: ${want})`
const slug = (d: string) => `description "${d}" is not a lowercase slug (a-z, 0-9, _ and .)`
const three = { '001_a.up.sql': 'select 1', '002_b.up.sql': 'select 1' }

ruleTester('file-name', {
  valid: [
    { file: '001_create_users.up.sql', sql: 'create table users (id int)' },
    { file: '002_add_email_up.sql', sql: 'select 1', name: 'the underscore style' },
    { file: '1000_more_than_999.up.sql', sql: 'select 1', files: three, name: 'a 4-digit version past 999' },
    { file: '003_v2_schema.down.sql', sql: 'select 1', files: { '003_v2_schema.up.sql': 'select 1' } },
    {
      file: '000003_add_index.up.sql',
      sql: 'select 1',
      files: { '000001_init.up.sql': 'select 1', '000002_users.up.sql': 'select 1' },
      name: 'a directory that uses 6 digits throughout (golang-migrate)',
    },
    { file: '0130_2.10.0_schema.up.sql', sql: 'select 1', files: { '0129_2.9.0_schema.up.sql': 'select 1' }, name: 'dots in the description, 4 digits' },
    { file: '12_c.up.sql', sql: 'select 1', files: { '1_a.up.sql': 'select 1', '2_b.up.sql': 'select 1' }, name: 'a directory that does not pad' },
  ],
  invalid: [
    {
      file: '01_create_users.up.sql',
      sql: 'select 1',
      files: three,
      findings: [{ line: 1, column: 1, message: width('01', 3, '001') }],
    },
    {
      name: 'a 3-digit name in a 6-digit directory',
      file: '003_add_index.up.sql',
      sql: 'select 1',
      files: { '000001_init.up.sql': 'select 1', '000002_users.up.sql': 'select 1' },
      findings: [{ line: 1, column: 1, message: width('003', 6, '000003') }],
    },
    {
      file: '003_AddUsers.up.sql',
      sql: 'select 1',
      findings: [{ line: 1, column: 1, message: slug('AddUsers') }],
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
      files: three,
      findings: [
        { line: 1, column: 1, message: width('7', 3, '007') },
        { line: 1, column: 1, message: slug('Add-Users') },
      ],
    },
  ],
})
