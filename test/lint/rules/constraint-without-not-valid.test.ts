import { ruleTester } from '../tester.js'

ruleTester('constraint-without-not-valid', {
  valid: [
    { sql: 'alter table orders add constraint orders_user_fk foreign key (user_id) references users (id) not valid;' },
    {
      name: 'validated in the next migration',
      files: { '001_add_check.up.sql': 'alter table users add constraint users_age_check check (age >= 0) not valid;' },
      sql: 'alter table users validate constraint users_age_check;',
    },
    {
      name: 'validated in the same file, but that file runs statement by statement',
      sql: '-- link-migrate:no-transaction\nalter table users add constraint c check (age >= 0) not valid;\nalter table users validate constraint c;',
    },
    { sql: 'create table orders (id int, user_id int references users (id), check (id > 0));', name: 'a new table' },
    {
      files: { '001_create_orders.up.sql': 'create table orders (id int, user_id int);' },
      sql: 'alter table orders add foreign key (user_id) references users (id);',
      options: { newSince: 0 },
      name: 'a table created by an earlier migration of the new batch (--new-since 0)',
    },
  ],
  invalid: [
    {
      name: 'validated in the same transaction as the ADD',
      sql: 'alter table users add constraint users_age_check check (age >= 0) not valid;\nalter table users validate constraint users_age_check;',
      findings: [
        {
          line: 2,
          column: 19,
          message: "VALIDATE CONSTRAINT users_age_check in the same transaction as its ADD CONSTRAINT: the ADD's lock on users is held through the whole scan",
        },
      ],
    },
    {
      sql: 'alter table orders add constraint orders_user_fk foreign key (user_id) references users (id);',
      findings: [{ line: 1, column: 20, message: 'ADD CONSTRAINT orders_user_fk FOREIGN KEY without NOT VALID checks every row of orders while writes wait' }],
    },
    {
      sql: 'ALTER TABLE users\n  ADD CHECK (age >= 0);',
      findings: [{ line: 2, column: 3, message: 'ADD CONSTRAINT CHECK without NOT VALID checks every row of users while writes wait' }],
    },
    {
      sql: 'alter table orders add column coupon_id bigint references coupons (id);',
      findings: [
        {
          line: 1,
          column: 20,
          message: 'ADD COLUMN with an inline FOREIGN KEY checks every row of orders while writes wait: add the column, then the constraint NOT VALID',
        },
      ],
    },
  ],
})
