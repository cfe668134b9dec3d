/**
 * adaptForEmbedded / createdExtensions: what the embedded engine runs
 * differently, decided on tokens. Pure; whole results asserted.
 */
import { readFileSync } from 'node:fs'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { adaptForEmbedded, createdExtensions } from '../../src/check/rewrite.js'
import { prepareStep } from '../../src/core/prepare.js'
import type { PlanStep } from '../../src/types.js'

const AVAILABLE = new Set(['plpgsql', 'pgcrypto', 'uuid-ossp', 'pg_trgm'])
const LABEL = 'PGlite 0.5.16'

function prepared(content: string, file = '007_x.up.sql'): PlanStep {
  return prepareStep({ version: 7, name: '007_x', direction: 'up', file, checksum: 'c', content })
}

const rewrite = suite('adaptForEmbedded: CONCURRENTLY')

rewrite('discovery-svc 007: both CREATE INDEX CONCURRENTLY lose the keyword, blanked in place', () => {
  const file = '007_add_listing_search_index.up.sql'
  const content = readFileSync(`fixtures/discovery-svc/migrations/${file}`, 'utf8')
  const step = prepared(content, file)
  const a = adaptForEmbedded(step, AVAILABLE, LABEL)
  assert.equal(a.rewrites, [
    { file, line: 11, column: 14, from: 'CREATE INDEX CONCURRENTLY', to: 'CREATE INDEX', reason: 'one session: nothing to wait for, and the result is the same' },
    { file, line: 16, column: 14, from: 'CREATE INDEX CONCURRENTLY', to: 'CREATE INDEX', reason: 'one session: nothing to wait for, and the result is the same' },
  ])
  assert.is(a.skip, undefined)
  // Same length and lines: server positions still map into the file.
  assert.is(a.step.sql.length, content.length)
  assert.is(a.step.sql, content.replace(/INDEX CONCURRENTLY IF/g, 'INDEX              IF'))
  assert.equal(
    a.step.statements!.map((s) => s.text.split('\n')[0]),
    ['CREATE INDEX              IF NOT EXISTS listings_search_document_idx', 'CREATE INDEX              IF NOT EXISTS listings_active_place_category_idx'],
  )
  // Still statement by statement, as up runs the file.
  assert.is(a.step.transactional, false)
  assert.equal(
    a.step.statements!.map((s) => [s.start, s.line, s.column, s.createsIndex]),
    step.statements!.map((s) => [s.start, s.line, s.column, s.createsIndex]),
  )
})

rewrite('every statement kind that takes CONCURRENTLY; words in strings and comments do not count', () => {
  const content = [
    'create unique index concurrently u on t (a);',
    'drop index concurrently if exists u;',
    'reindex index concurrently i;',
    'reindex table concurrently t;',
    'alter table p detach partition p1 concurrently;',
    "select 'create index concurrently x on t (a)'; -- concurrently",
  ].join('\n')
  const a = adaptForEmbedded(prepared(content), AVAILABLE, LABEL)
  assert.equal(
    a.rewrites.map((r) => [r.line, r.column, r.from, r.to]),
    [
      [1, 21, 'CREATE UNIQUE INDEX CONCURRENTLY', 'CREATE UNIQUE INDEX'],
      [2, 12, 'DROP INDEX CONCURRENTLY', 'DROP INDEX'],
      [3, 15, 'REINDEX INDEX CONCURRENTLY', 'REINDEX INDEX'],
      [4, 15, 'REINDEX TABLE CONCURRENTLY', 'REINDEX TABLE'],
      [5, 35, 'ALTER TABLE ... DETACH PARTITION CONCURRENTLY', 'ALTER TABLE ... DETACH PARTITION'],
    ],
  )
  assert.ok(a.step.sql.includes("'create index concurrently x on t (a)'; -- concurrently"))
})

rewrite('a transactional file is never changed', () => {
  const step = prepared('create index i on t (a);\ncomment on index i is $$built concurrently$$;')
  assert.equal(adaptForEmbedded(step, AVAILABLE, LABEL), { step, rewrites: [] })
})

rewrite.run()

const skip = suite('adaptForEmbedded: extensions the engine lacks')

skip('CREATE EXTENSION of a missing extension skips the file, naming where and why', () => {
  const content = '-- maps\ncreate extension if not exists postgis;\ncreate extension "uuid-ossp";\n'
  const step = prepared(content, '003_enable_postgis.up.sql')
  assert.equal(adaptForEmbedded(step, AVAILABLE, LABEL), {
    step,
    rewrites: [],
    skip:
      '003_enable_postgis.up.sql:2:1: extension "postgis" is not available in the embedded engine (PGlite 0.5.16); ' +
      'check this migration on a server that has it (check --database-url URL)',
  })
})

skip('available extensions pass', () => {
  const step = prepared('create extension if not exists pgcrypto;\ncreate extension pg_trgm with schema public;')
  assert.equal(adaptForEmbedded(step, AVAILABLE, LABEL), { step, rewrites: [] })
})

skip.run()

const names = suite('createdExtensions')

names('names as PostgreSQL reads them, with positions; strings and comments do not count', () => {
  assert.equal(
    createdExtensions('/* create extension nope; */\nCREATE EXTENSION IF NOT EXISTS "uuid-ossp";\n  create extension PG_TRGM;\nselect $$create extension x$$;'),
    [
      { name: 'uuid-ossp', line: 2, column: 1 },
      { name: 'pg_trgm', line: 3, column: 3 },
    ],
  )
  assert.equal(createdExtensions('create table extension (a int)'), [])
  assert.equal(createdExtensions("select 'unterminated"), [])
})

names.run()
