import { ruleTester } from '../tester.js'

ruleTester('empty-file', {
  valid: [
    { sql: 'select 1' },
    { sql: '-- a comment\ncreate table t (id int); -- trailing', name: 'comments around a statement' },
    { sql: 'begin;\nselect 1;\ncommit;', name: 'a wrapped file with a body' },
  ],
  invalid: [
    {
      sql: '',
      findings: [{ line: 1, column: 1, message: 'the file has no SQL statement: up would record it as applied having done nothing' }],
    },
    {
      sql: '-- TODO: write this\n/* later */\n;\n',
      findings: [{ line: 1, column: 1, message: 'the file has no SQL statement: up would record it as applied having done nothing' }],
    },
    {
      file: '001_a.down.sql',
      files: { '001_a.up.sql': 'create table a (id int)' },
      sql: '-- nothing to undo\n',
      findings: [{ line: 1, column: 1, message: 'the down file has no SQL statement: down would record a rollback that undid nothing' }],
    },
    {
      name: 'a wrapper around nothing',
      sql: 'BEGIN;\nCOMMIT;\n',
      findings: [{ line: 1, column: 1, message: 'the file has no SQL statement: up would record it as applied having done nothing' }],
    },
  ],
})
