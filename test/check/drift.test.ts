/**
 * checkDrift(): a database migrated with `up` has no drift; hand-made
 * changes to the service's objects are each named; another service's
 * objects in the same database are not; an applied migration whose file is
 * gone makes the comparison incomplete. On the test server.
 */
import { cp } from 'node:fs/promises'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { checkDrift } from '../../src/check/index.js'
import type { DriftResult } from '../../src/check/types.js'
import { createMigrator } from '../../src/migrator.js'
import { adminSql, closeAdmin, freshDatabase, type FreshDatabase } from '../helpers/db.js'
import { tmpDir } from '../helpers/tmp.js'

const DISCOVERY = [
  '001_enable_uuid_ossp',
  '002_create_providers',
  '003_create_listings',
  '004_add_availability_columns',
  '005_2.10.0_schema',
  '006_add_listing_search_document',
  '007_add_listing_search_index',
]

function normalize(r: DriftResult): DriftResult {
  assert.match(r.scratchDatabase, /^link_migrate_check_discovery_svc_[0-9a-f]{8}$/)
  return {
    ...r,
    serverVersion: '<version>',
    scratchDatabase: '<scratch>',
    timings: { engine: { totalMs: 0 }, replayMs: 0, snapshotMs: 0, closeMs: 0, totalMs: 0 },
  }
}

function expected(over: Partial<DriftResult>): DriftResult {
  return {
    ok: true,
    service: 'discovery-svc',
    engine: 'server',
    serverVersion: '<version>',
    scratchDatabase: '<scratch>',
    replayed: DISCOVERY.map((name, i) => ({ version: i + 1, name })),
    warnings: [],
    differences: [],
    timings: { engine: { totalMs: 0 }, replayMs: 0, snapshotMs: 0, closeMs: 0, totalMs: 0 },
    ...over,
  }
}

const test = suite('check --drift')
let db: FreshDatabase

test.before(async () => {
  db = await freshDatabase('check_drift')
  // Two services in one database, as in production.
  for (const service of ['discovery-svc', 'chat-svc']) {
    const m = createMigrator({ dir: `fixtures/${service}/migrations`, url: db.url })
    await m.up()
    await m.close()
  }
})
test.after(async () => {
  const left = await adminSql()`select datname from pg_database where datname like 'link_migrate_check_discovery_svc_%'`
  await db.drop()
  await closeAdmin()
  assert.is(left.length, 0)
})

const drift = async (dir = 'fixtures/discovery-svc/migrations') => normalize(await checkDrift({ dir, url: db.url, env: {} }))

test('a database migrated by up: no drift (the other service and the bookkeeping tables are not reported)', async () => {
  assert.equal(await drift(), expected({}))
})

test('hand-made changes to the service objects are each named; unrelated objects are not', async () => {
  await db.sql.unsafe(`
    create index listings_title_idx on listings (title);
    drop index listings_tags_gin_idx;
    alter table providers alter column status set default 'active';
    alter type listing_status add value 'hidden';
    comment on table listings is 'hotfix 2024-05-01';
    alter table listings add column legacy_id integer;
    create table hand_made (id int);
    create index chat_messages_hotfix_idx on chat_messages (created_at);
  `)
  assert.equal(
    await drift(),
    expected({
      ok: false,
      differences: [
        {
          change: 'added',
          kind: 'enum type',
          name: 'listing_status',
          attribute: 'values',
          element: 'hidden',
          message: "the live database has extra value 'hidden' in enum type listing_status",
        },
        {
          change: 'changed',
          kind: 'table',
          name: 'listings',
          attribute: 'comment',
          before: 'Offers published by providers; soft-deleted through deleted_at. Bookable times live in listing_availability_slots.',
          after: 'hotfix 2024-05-01',
          message:
            "the live database differs in comment of table listings: 'Offers published by providers; soft-deleted through deleted_at. Bookable times live in listing_availability_slots.' -> 'hotfix 2024-05-01'",
        },
        { change: 'added', kind: 'column', name: 'listings.legacy_id', message: 'the live database has extra column listings.legacy_id' },
        {
          change: 'changed',
          kind: 'column',
          name: 'providers.status',
          attribute: 'default',
          before: "'pending'::character varying",
          after: "'active'::character varying",
          message: "the live database differs in default of column providers.status: 'pending'::character varying -> 'active'::character varying",
        },
        { change: 'removed', kind: 'index', name: 'listings_tags_gin_idx', message: 'the live database lacks index listings_tags_gin_idx' },
        { change: 'added', kind: 'index', name: 'listings_title_idx', message: 'the live database has extra index listings_title_idx' },
      ],
    }),
  )
})

test('an applied migration whose file is gone: the comparison is incomplete, and says so', async () => {
  const dir = await tmpDir('lm-drift-')
  await cp('fixtures/discovery-svc/migrations', dir, { recursive: true })
  const { rm } = await import('node:fs/promises')
  await rm(join(dir, '007_add_listing_search_index.up.sql'))
  await rm(join(dir, '007_add_listing_search_index.down.sql'))
  const r = await checkDrift({ dir, service: 'discovery-svc', url: db.url, env: {} })
  assert.is(r.ok, false)
  assert.equal(r.replayed.map((m) => m.version), [1, 2, 3, 4, 5, 6])
  assert.equal(r.warnings, ['007_add_listing_search_index is applied but its file is missing: what it made is not in the comparison'])
})

test('no database configured: a usage error', async () => {
  try {
    await checkDrift({ dir: 'fixtures/discovery-svc/migrations', env: {} })
    assert.unreachable('must throw')
  } catch (e) {
    assert.is((e as { code?: string }).code, 'USAGE')
  }
})

test.run()
