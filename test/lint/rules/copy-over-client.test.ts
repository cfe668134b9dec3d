import { ruleTester } from '../tester.js'

const MESSAGE = (what: string) =>
  `${what} exchanges rows with the client, which a migration file cannot do (psql's inline data is not supported): load the data with INSERT, or COPY from a server-side file`

ruleTester('copy-over-client', {
  valid: [
    { sql: "copy t from '/var/lib/data/t.csv' with (format csv);", name: 'a server-side file' },
    { sql: "copy (select * from t where note = 'from stdin') to '/tmp/t.csv';", name: 'the words in a string' },
    { sql: "select 'copy t from stdin';", name: 'not a COPY statement' },
  ],
  invalid: [
    { sql: 'create table t (id int);\nCOPY t (id) FROM STDIN;', findings: [{ line: 2, column: 1, message: MESSAGE('COPY ... FROM STDIN') }] },
    {
      name: 'a FROM inside the query does not hide TO STDOUT',
      sql: 'copy (select id from t) to stdout with (format csv);',
      findings: [{ line: 1, column: 1, message: MESSAGE('COPY ... TO STDOUT') }],
    },
    {
      name: 'in a file that runs without a transaction, after other statements',
      sql: '-- link-migrate:no-transaction\nselect 1;\ncopy t from stdin with (format csv);',
      findings: [{ line: 3, column: 1, message: MESSAGE('COPY ... FROM STDIN') }],
    },
  ],
})
