import { ruleTester } from '../tester.js'

const msg = (col: string, why: string) =>
  `ADD COLUMN ${col} with ${why}: every row gets its own value, so the whole table is rewritten under an ACCESS EXCLUSIVE lock`

ruleTester('volatile-default', {
  valid: [
    { sql: 'alter table users add column created_at timestamptz not null default now();', name: 'now() is stable' },
    { sql: "alter table users add column a timestamptz default current_timestamp, add column b int default 0, add column c jsonb default '{}';" },
    { sql: 'create table t (id int);\nalter table t add column u uuid default gen_random_uuid();', name: 'a new table' },
    { sql: 'alter table users alter column id set default gen_random_uuid();', name: 'SET DEFAULT rewrites nothing' },
  ],
  invalid: [
    {
      sql: 'alter table users add column token uuid default gen_random_uuid();',
      findings: [{ line: 1, column: 19, message: msg('users.token', 'the volatile default gen_random_uuid()') }],
    },
    {
      sql: 'alter table users\n  add column r float default (random() * 10)::int,\n  add column u uuid default public.uuid_generate_v4();',
      findings: [
        { line: 2, column: 3, message: msg('users.r', 'the volatile default random()') },
        { line: 3, column: 3, message: msg('users.u', 'the volatile default uuid_generate_v4()') },
      ],
    },
    {
      sql: 'alter table events add column seq bigserial;',
      findings: [{ line: 1, column: 20, message: msg('events.seq', 'type bigserial (its default is nextval())') }],
    },
    {
      sql: 'alter table events add column n int generated always as identity;',
      findings: [{ line: 1, column: 20, message: msg('events.n', 'GENERATED AS IDENTITY') }],
    },
    {
      sql: 'alter table events add column seen timestamptz default clock_timestamp();',
      findings: [{ line: 1, column: 20, message: msg('events.seen', 'the volatile default clock_timestamp()') }],
    },
  ],
})
