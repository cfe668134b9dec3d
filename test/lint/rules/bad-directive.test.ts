import { ruleTester } from '../tester.js'

ruleTester('bad-directive', {
  valid: [
    { sql: '-- link-migrate:no-transaction\ncreate index concurrently if not exists i on t (a);' },
    { sql: '-- link-migrate:lock-timeout 5s\nalter table t add column a int;' },
    { sql: '-- link-migrate:allow drop-column, set-not-null\nalter table t drop column a;', name: 'allow with known ids' },
    { sql: '-- link-migrate is great\nselect 1;', name: 'a comment that only mentions the tool' },
  ],
  invalid: [
    {
      sql: 'select 1;\n-- link-migrate:no-transaction\nselect 2;',
      findings: [{ line: 2, column: 1, message: '-- link-migrate:no-transaction must come before the first statement; it is ignored here' }],
    },
    {
      sql: '-- link-migrate:lock-timeout soon\nselect 1;',
      findings: [{ line: 1, column: 1, message: '-- link-migrate:lock-timeout needs a duration such as 5s, 500ms or 1min, got "soon"' }],
    },
    {
      sql: '  -- link-migrate:transactional\nselect 1;',
      findings: [{ line: 1, column: 3, message: 'unknown directive link-migrate:transactional (known: no-transaction, lock-timeout, allow)' }],
    },
    {
      name: 'allow naming a rule that does not exist',
      sql: 'select 1;\n-- link-migrate:allow drop-colum\nalter table t drop column a;',
      findings: [{ line: 3, column: 1, message: '-- link-migrate:allow names an unknown rule "drop-colum"; it silences nothing' }],
    },
  ],
})
