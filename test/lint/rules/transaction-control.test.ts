import { ruleTester } from '../tester.js'

ruleTester('transaction-control', {
  valid: [
    { sql: 'BEGIN;\ncreate table t (id int);\nCOMMIT;', name: 'the whole-file wrapper is dropped by the runner' },
    { sql: 'savepoint a;\ninsert into t values (1);\nrollback to savepoint a;\nrelease a;', name: 'savepoints' },
    {
      name: 'BEGIN and END inside a function body',
      sql: 'create function f() returns void language plpgsql as $$\nbegin\n  commit;\nend\n$$;',
    },
    { sql: "select 'begin; commit;'; -- commit", name: 'in a string and a comment' },
  ],
  invalid: [
    {
      sql: 'create table t (id int);\ncommit;\ncreate table u (id int);',
      findings: [
        {
          line: 2,
          column: 1,
          message: 'COMMIT controls the transaction; link-migrate runs each migration in its own transaction with its bookkeeping: remove it',
        },
      ],
    },
    {
      name: 'a block that is not the whole file, in a file that runs without a transaction',
      sql: 'begin;\ncreate index concurrently if not exists i on t (a);\ncommit;\nselect 1;',
      findings: [
        { line: 1, column: 1, message: 'BEGIN in a file that runs without a transaction; link-migrate runs its statements one by one: remove it' },
        { line: 3, column: 1, message: 'COMMIT in a file that runs without a transaction; link-migrate runs its statements one by one: remove it' },
      ],
    },
    {
      name: 'a wrapper with transaction modes is not the plain wrapper',
      sql: 'begin isolation level serializable;\nselect 1;\ncommit;',
      findings: [
        {
          line: 1,
          column: 1,
          message: 'BEGIN controls the transaction; link-migrate runs each migration in its own transaction with its bookkeeping: remove it',
        },
        {
          line: 3,
          column: 1,
          message: 'COMMIT controls the transaction; link-migrate runs each migration in its own transaction with its bookkeeping: remove it',
        },
      ],
    },
    {
      name: 'a wrapper around a no-transaction file',
      sql: '-- link-migrate:no-transaction\nBEGIN;\nselect 1;\nCOMMIT;',
      findings: [
        {
          line: 2,
          column: 1,
          message: 'the file is wrapped in BEGIN/COMMIT but runs without a transaction (no-transaction directive): drop the wrapper',
        },
      ],
    },
  ],
})
