import { ruleTester } from '../tester.js'

const msg = (what: string) => `${what}: the running version still uses the old name`

ruleTester('rename-table', {
  valid: [
    { sql: 'create table t_new (id int);\nalter table t_new rename to t2;', name: 'a new table' },
    { sql: 'alter index users_pkey rename to users_id_pkey;\nalter sequence s rename to s2;', name: 'indexes and sequences' },
    { file: '002_change.down.sql', files: { '002_change.up.sql': 'select 1' }, sql: 'alter table accounts rename to users;', name: 'a down file' },
    { sql: 'create view v as select 1;\nalter view v rename to w;', name: 'a view created in the file' },
  ],
  invalid: [
    { sql: 'alter table users rename to accounts;', findings: [{ line: 1, column: 1, message: msg('ALTER TABLE users RENAME TO accounts') }] },
    { sql: 'alter view active_users rename to users_active;', findings: [{ line: 1, column: 1, message: msg('ALTER VIEW active_users RENAME TO users_active') }] },
    {
      sql: 'select 1;\nALTER MATERIALIZED VIEW stats.daily RENAME TO daily_stats;',
      findings: [{ line: 2, column: 1, message: msg('ALTER MATERIALIZED VIEW stats.daily RENAME TO daily_stats') }],
    },
  ],
})
