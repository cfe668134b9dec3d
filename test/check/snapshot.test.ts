/**
 * snapshot() on both engines: a schema holding one of every kind of object
 * the snapshot covers is read back whole (every key, and the attributes of
 * a few objects), the same on PGlite (PostgreSQL 18) and on the test server
 * (15); an empty database gives only the public schema; excluded tables
 * take what hangs on them along.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { CheckEngine } from '../../src/check/engine.js'
import { startEmbedded } from '../../src/check/embedded.js'
import { startServer } from '../../src/check/scratch.js'
import { snapshot, type Schema } from '../../src/check/snapshot.js'
import { resolveConnection } from '../../src/config/resolve.js'
import { prepareStep } from '../../src/core/prepare.js'
import { closeAdmin, freshDatabase, type FreshDatabase } from '../helpers/db.js'

const EVERYTHING = `
create schema billing;
comment on schema billing is 'Money';
create extension if not exists pg_trgm;
create type mood as enum ('sad', 'ok', 'happy');
comment on type mood is 'How it went';
create domain email as text constraint email_at_chk check (value like '%@%');
create type money_pair as (amount numeric(12, 2), currency char(3));
create type float_range as range (subtype = float8);
create sequence billing.invoice_seq as integer start with 100 increment by 2 cache 5 cycle;
create table accounts (
  id bigint generated always as identity primary key,
  email email not null,
  mood mood default 'ok',
  name text collate "C",
  name_upper text generated always as (upper(name)) stored,
  balance numeric(12, 2) not null default 0
);
alter table accounts add constraint accounts_balance_chk check (balance >= 0) not valid;
comment on table accounts is 'Who pays';
comment on column accounts.email is 'Where invoices go';
create index accounts_name_idx on accounts (lower(name)) where name is not null;
comment on index accounts_name_idx is 'Search by name';
create table billing.invoices (
  number integer not null default nextval('billing.invoice_seq'),
  account_id bigint references accounts (id) on delete cascade,
  issued date not null
) partition by range (issued);
alter sequence billing.invoice_seq owned by billing.invoices.number;
create table billing.invoices_2024 partition of billing.invoices for values from ('2024-01-01') to ('2025-01-01');
create unlogged table scratchpad (note text);
create view rich_accounts as select id, email from accounts where balance > 1000;
comment on view rich_accounts is 'Worth a call';
comment on column rich_accounts.email is 'Call first';
create materialized view mood_counts as select mood, count(*) as n from accounts group by mood;
create function touch() returns trigger language plpgsql as $$ begin return new; end $$;
comment on function touch() is 'Does nothing yet';
create procedure reset_balances(to_value numeric) language sql as $$ update accounts set balance = to_value $$;
create aggregate total(numeric) (sfunc = numeric_add, stype = numeric, initcond = '0');
create trigger accounts_touch before update on accounts for each row execute function touch();
comment on trigger accounts_touch on accounts is 'Keeps rows fresh';
alter table accounts enable row level security;
create policy own_rows on accounts for select to public using (email = current_user);
create rule scratchpad_no_delete as on delete to scratchpad do instead nothing;
`

const KEYS = [
  'aggregate total(numeric)',
  'column accounts.balance',
  'column accounts.email',
  'column accounts.id',
  'column accounts.mood',
  'column accounts.name',
  'column accounts.name_upper',
  'column billing.invoices.account_id',
  'column billing.invoices.issued',
  'column billing.invoices.number',
  'column billing.invoices_2024.account_id',
  'column billing.invoices_2024.issued',
  'column billing.invoices_2024.number',
  'column scratchpad.note',
  'composite type money_pair',
  'constraint accounts_balance_chk on accounts',
  'constraint accounts_pkey on accounts',
  'constraint invoices_account_id_fkey on billing.invoices',
  // A partition gets its own copy of the parent's foreign key.
  'constraint invoices_account_id_fkey on billing.invoices_2024',
  'domain email',
  'enum type mood',
  'extension pg_trgm',
  'extension plpgsql',
  'function touch()',
  'index accounts_name_idx',
  'materialized view mood_counts',
  'policy own_rows on accounts',
  'procedure reset_balances(IN to_value numeric)',
  'range type float_range',
  'rule scratchpad_no_delete on scratchpad',
  'schema billing',
  'schema public',
  'sequence billing.invoice_seq',
  'table accounts',
  'table billing.invoices',
  'table billing.invoices_2024',
  'table scratchpad',
  'trigger accounts_touch on accounts',
  'view rich_accounts',
]

let fresh: FreshDatabase | undefined

async function start(kind: 'embedded' | 'server'): Promise<CheckEngine> {
  if (kind === 'embedded') return startEmbedded({ extensions: ['pg_trgm'] })
  fresh ??= await freshDatabase('check_snapshot')
  return startServer({ connection: resolveConnection({ databaseUrl: fresh.url, env: {} }), service: 'snapshot-test' })
}

async function apply(engine: CheckEngine, sql: string): Promise<void> {
  await engine.run(prepareStep({ version: 1, name: '001_x', direction: 'up', file: '001_x.up.sql', checksum: 'c', content: sql }))
}

for (const kind of ['embedded', 'server'] as const) {
  const test = suite(`snapshot on the ${kind} engine`)
  let engine: CheckEngine
  let empty: Schema
  let full: Schema
  test.before(async () => {
    engine = await start(kind)
    empty = await snapshot(engine.catalog)
    await apply(engine, EVERYTHING)
    full = await snapshot(engine.catalog)
  })
  test.after(async () => {
    await engine?.close()
    if (kind === 'server') {
      await fresh?.drop()
      await closeAdmin()
    }
  })

  test('an empty database: the public schema (and plpgsql)', () => {
    assert.equal(Object.keys(empty.objects).sort(), ['extension plpgsql', 'schema public'])
  })

  test('one of every kind of object, each under its own name', () => {
    assert.equal(Object.keys(full.objects).sort(), KEYS)
  })

  test('columns: type, nullability, default, identity, generated, collation, comment', () => {
    const col = (name: string) => full.objects[`column ${name}`]
    assert.equal(col('accounts.id'), {
      kind: 'column',
      name: 'accounts.id',
      owner: 'table accounts',
      attributes: { type: 'bigint', nullability: 'NOT NULL', default: null, identity: 'GENERATED ALWAYS', generated: null, collation: null, comment: null },
    })
    assert.equal(col('accounts.email')!.attributes, {
      type: 'public.email',
      nullability: 'NOT NULL',
      default: null,
      identity: null,
      generated: null,
      collation: null,
      comment: 'Where invoices go',
    })
    assert.equal(col('accounts.mood')!.attributes.default, "'ok'::public.mood")
    assert.equal(col('accounts.name')!.attributes.collation, 'pg_catalog.C')
    assert.equal(col('accounts.name_upper')!.attributes.generated, 'upper(name) STORED')
  })

  test('tables: kind, partitioning, persistence, row level security, column order, comment', () => {
    assert.equal(full.objects['table accounts']!.attributes, {
      kind: 'table',
      persistence: 'LOGGED',
      'partition key': null,
      'partition bound': null,
      parents: [],
      'row level security': 'enabled',
      options: null,
      'column order': ['id', 'email', 'mood', 'name', 'name_upper', 'balance'],
      comment: 'Who pays',
    })
    assert.equal(full.objects['table billing.invoices']!.attributes['partition key'], 'RANGE (issued)')
    assert.equal(full.objects['table billing.invoices_2024']!.attributes['partition bound'], "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')")
    assert.equal(full.objects['table billing.invoices_2024']!.attributes.parents, ['billing.invoices'])
    assert.equal(full.objects['table scratchpad']!.attributes.persistence, 'UNLOGGED')
  })

  test('sequences with their OWNED BY; enum values in order; domain constraints; views with column comments', () => {
    assert.equal(full.objects['sequence billing.invoice_seq'], {
      kind: 'sequence',
      name: 'billing.invoice_seq',
      owner: 'table billing.invoices',
      attributes: {
        type: 'integer',
        start: '100',
        increment: '2',
        minimum: '1',
        maximum: '2147483647',
        cache: '5',
        cycle: 'CYCLE',
        'owned by': 'billing.invoices.number',
        comment: null,
      },
    })
    assert.equal(full.objects['enum type mood']!.attributes, { values: ['sad', 'ok', 'happy'], comment: 'How it went' })
    assert.equal(full.objects['domain email']!.attributes, {
      'base type': 'text',
      nullability: 'NULL',
      default: null,
      constraints: ["email_at_chk: CHECK ((VALUE ~~ '%@%'::text))"],
      comment: null,
    })
    assert.equal(full.objects['view rich_accounts']!.attributes['column comments'], ['email: Call first'])
    assert.equal(full.objects['view rich_accounts']!.attributes.comment, 'Worth a call')
    assert.equal(full.objects['constraint accounts_balance_chk on accounts']!.attributes.definition, 'CHECK ((balance >= (0)::numeric)) NOT VALID')
    assert.equal(full.objects['index accounts_name_idx']!.attributes, {
      definition: 'CREATE INDEX accounts_name_idx ON public.accounts USING btree (lower(name)) WHERE (name IS NOT NULL)',
      validity: 'valid',
      comment: 'Search by name',
    })
    assert.equal(full.objects['trigger accounts_touch on accounts']!.attributes, {
      definition: 'CREATE TRIGGER accounts_touch BEFORE UPDATE ON public.accounts FOR EACH ROW EXECUTE FUNCTION public.touch()',
      state: 'enabled',
      comment: 'Keeps rows fresh',
    })
  })

  test('a second snapshot of the same schema is identical', async () => {
    assert.equal(await snapshot(engine.catalog), full)
  })

  test('excluded tables leave with their columns, constraints, indexes and owned sequences', async () => {
    const s = await snapshot(engine.catalog, {
      exclude: [
        { schema: 'billing', name: 'invoices' },
        { schema: 'billing', name: 'invoices_2024' },
        { schema: 'public', name: 'accounts' },
      ],
    })
    const gone = KEYS.filter((k) => !(k in s.objects))
    assert.equal(gone, [
      'column accounts.balance',
      'column accounts.email',
      'column accounts.id',
      'column accounts.mood',
      'column accounts.name',
      'column accounts.name_upper',
      'column billing.invoices.account_id',
      'column billing.invoices.issued',
      'column billing.invoices.number',
      'column billing.invoices_2024.account_id',
      'column billing.invoices_2024.issued',
      'column billing.invoices_2024.number',
      'constraint accounts_balance_chk on accounts',
      'constraint accounts_pkey on accounts',
      'constraint invoices_account_id_fkey on billing.invoices',
      'constraint invoices_account_id_fkey on billing.invoices_2024',
      'index accounts_name_idx',
      'policy own_rows on accounts',
      'sequence billing.invoice_seq',
      'table accounts',
      'table billing.invoices',
      'table billing.invoices_2024',
      'trigger accounts_touch on accounts',
    ])
  })

  test.run()
}
