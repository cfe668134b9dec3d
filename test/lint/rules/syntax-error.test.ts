import { ruleTester } from '../tester.js'

ruleTester('syntax-error', {
  valid: [
    { sql: 'create table t (id int);\ninsert into t values (1);' },
    {
      name: 'a plpgsql body is a string to the SQL parser',
      sql: 'create function f() returns int language plpgsql as $$ begin retrun 1; end $$;',
    },
    { sql: "select 'frm x', \"frm\" from t -- frm x\n;", name: 'look-alikes in strings, identifiers, comments' },
    { sql: 'create function f() returns int language sql begin atomic select 1; select 2; end;', name: 'BEGIN ATOMIC' },
  ],
  invalid: [
    {
      sql: 'create tablee users (id int);',
      findings: [{ line: 1, column: 8, message: 'syntax error at or near "tablee"' }],
    },
    {
      name: 'the second statement, pointing at the token',
      sql: 'create table a (id int);\n  alter table a add colum b int;',
      findings: [{ line: 2, column: 29, message: 'syntax error at or near "int"' }],
    },
    {
      name: 'columns count characters',
      sql: "select 'é😀' frm x;",
      findings: [{ line: 1, column: 17, message: 'syntax error at or near "x"' }],
    },
    {
      name: 'every bad statement is reported',
      sql: 'selec 1;\nselect 2;\nselect 3 3;',
      findings: [
        { line: 1, column: 1, message: 'syntax error at or near "selec"' },
        { line: 3, column: 10, message: 'syntax error at or near "3"' },
      ],
    },
    {
      name: 'the file does not split',
      sql: "select 1;\nselect 'abc;\n",
      findings: [{ line: 2, column: 8, message: 'unterminated quoted string' }],
    },
    {
      name: 'a psql meta-command',
      sql: 'select 1;\n\\connect other\nselect 2;',
      findings: [{ line: 2, column: 1, message: 'psql meta-command \\connect is not SQL; link-migrate sends files to the server as they are' }],
    },
    {
      sql: 'select 1;\nselect (1',
      findings: [{ line: 2, column: 10, message: 'syntax error at end of input' }],
    },
  ],
})
