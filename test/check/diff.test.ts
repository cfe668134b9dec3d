/**
 * diffSchemas / describeDifference / restrictTo: pure, on hand-made
 * schemas. Whole difference lists and whole sentences are asserted.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { describeDifference, diffSchemas, DOWN_VERBS, DRIFT_VERBS, restrictTo, type Difference } from '../../src/check/diff.js'
import { objectKey, type ObjectKind, type Schema, type SchemaObject } from '../../src/check/snapshot.js'

function o(kind: ObjectKind, name: string, attributes: SchemaObject['attributes'] = {}, owner?: string): SchemaObject {
  return owner === undefined ? { kind, name, attributes } : { kind, name, owner, attributes }
}

function schema(...objects: SchemaObject[]): Schema {
  return { objects: Object.fromEntries(objects.map((x) => [objectKey(x.kind, x.name), x])) }
}

const users = o('table', 'users', { comment: 'Accounts', 'column order': ['id', 'email'] })
const id = o('column', 'users.id', { type: 'bigint', default: null }, 'table users')
const email = o('column', 'users.email', { type: 'text', default: null }, 'table users')
const base = schema(o('schema', 'public', { comment: 'standard public schema' }), users, id, email)

const diff = suite('diffSchemas')

diff('identical schemas have no difference', () => {
  assert.equal(diffSchemas(base, structuredClone(base)), [])
})

diff('an object only after is added, only before is removed', () => {
  const after = schema(...Object.values(base.objects), o('index', 'users_email_idx', { definition: 'CREATE INDEX ...' }, 'table users'))
  assert.equal(diffSchemas(base, after), [{ change: 'added', kind: 'index', name: 'users_email_idx' }])
  assert.equal(diffSchemas(after, base), [{ change: 'removed', kind: 'index', name: 'users_email_idx' }])
})

diff('the children of an added or removed object are not listed', () => {
  const slots = o('table', 'slots', { 'column order': ['id'] })
  const after = schema(
    ...Object.values(base.objects),
    slots,
    o('column', 'slots.id', { type: 'bigint' }, 'table slots'),
    o('index', 'slots_idx', {}, 'table slots'),
    o('sequence', 'slots_seq', { 'owned by': 'slots.id' }, 'table slots'),
  )
  assert.equal(diffSchemas(base, after), [{ change: 'added', kind: 'table', name: 'slots' }])
  assert.equal(diffSchemas(after, base), [{ change: 'removed', kind: 'table', name: 'slots' }])
})

diff('a child of a kept object is listed (a column added to an existing table; its order is not a second difference)', () => {
  const after = structuredClone(base)
  after.objects['column users.avatar_url'] = o('column', 'users.avatar_url', { type: 'text' }, 'table users')
  after.objects['table users']!.attributes['column order'] = ['id', 'email', 'avatar_url']
  assert.equal(diffSchemas(base, after), [{ change: 'added', kind: 'column', name: 'users.avatar_url' }])
})

diff('an attribute that differs, appears or disappears', () => {
  const after = structuredClone(base)
  after.objects['column users.email']!.attributes.default = "''::text"
  after.objects['table users']!.attributes.comment = 'People'
  after.objects['schema public']!.attributes.comment = null
  assert.equal(diffSchemas(base, after), [
    { change: 'changed', kind: 'schema', name: 'public', attribute: 'comment', before: 'standard public schema', after: null },
    { change: 'changed', kind: 'table', name: 'users', attribute: 'comment', before: 'Accounts', after: 'People' },
    { change: 'changed', kind: 'column', name: 'users.email', attribute: 'default', before: null, after: "''::text" },
  ])
})

diff('list attributes: elements added and removed, and a new order of the same elements', () => {
  const before = schema(o('enum type', 'status', { values: ['a', 'b', 'c'] }))
  const added = schema(o('enum type', 'status', { values: ['a', 'b', 'c', 'd'] }))
  const reordered = schema(o('enum type', 'status', { values: ['a', 'c', 'b'] }))
  const both = schema(o('enum type', 'status', { values: ['c', 'a', 'x'] }))
  assert.equal(diffSchemas(before, added), [{ change: 'added', kind: 'enum type', name: 'status', attribute: 'values', element: 'd' }])
  assert.equal(diffSchemas(before, reordered), [
    { change: 'changed', kind: 'enum type', name: 'status', attribute: 'values', before: ['a', 'b', 'c'], after: ['a', 'c', 'b'] },
  ])
  assert.equal(diffSchemas(before, both), [
    { change: 'added', kind: 'enum type', name: 'status', attribute: 'values', element: 'x' },
    { change: 'changed', kind: 'enum type', name: 'status', attribute: 'values', before: ['a', 'c'], after: ['c', 'a'] },
    { change: 'removed', kind: 'enum type', name: 'status', attribute: 'values', element: 'b' },
  ])
})

diff('column order: only a new order of the columns both sides have', () => {
  const after = structuredClone(base)
  after.objects['table users']!.attributes['column order'] = ['email', 'id']
  assert.equal(diffSchemas(base, after), [
    { change: 'changed', kind: 'table', name: 'users', attribute: 'column order', before: ['id', 'email'], after: ['email', 'id'] },
  ])
})

diff('sorted: containers first, then by name', () => {
  const after = schema(
    ...Object.values(base.objects),
    o('trigger', 't on users', {}, 'table users'),
    o('function', 'f()'),
    o('extension', 'pg_trgm', { version: '1.6' }),
    o('column', 'users.a', {}, 'table users'),
    o('index', 'b_idx', {}, 'table users'),
    o('index', 'a_idx', {}, 'table users'),
  )
  assert.equal(
    diffSchemas(base, after).map((d) => `${d.kind} ${d.name}`),
    ['extension pg_trgm', 'column users.a', 'index a_idx', 'index b_idx', 'function f()', 'trigger t on users'],
  )
})

diff.run()

const words = suite('describeDifference')

const say = (d: Difference) => describeDifference(d, DOWN_VERBS)

words('objects left behind or dropped', () => {
  assert.is(say({ change: 'added', kind: 'column', name: 'users.avatar_url' }), 'leaves column users.avatar_url')
  assert.is(say({ change: 'removed', kind: 'function', name: 'f(integer)' }), 'drops function f(integer)')
  assert.is(
    describeDifference({ change: 'added', kind: 'index', name: 'users_email_idx' }, DRIFT_VERBS),
    'has extra index users_email_idx',
  )
  assert.is(describeDifference({ change: 'removed', kind: 'index', name: 'users_email_idx' }, DRIFT_VERBS), 'lacks index users_email_idx')
})

words('attributes: left, dropped, changed; free text quoted', () => {
  assert.is(
    say({ change: 'changed', kind: 'column', name: 'users.status', attribute: 'default', before: null, after: "'active'::text" }),
    "leaves default 'active'::text on column users.status",
  )
  assert.is(
    say({ change: 'changed', kind: 'column', name: 'users.status', attribute: 'default', before: "'active'::text", after: null }),
    "drops default 'active'::text of column users.status",
  )
  assert.is(
    say({ change: 'changed', kind: 'table', name: 'users', attribute: 'comment', before: 'Accounts', after: "People's" }),
    "changes comment of table users: 'Accounts' -> 'People''s'",
  )
  assert.is(
    say({ change: 'changed', kind: 'column', name: 'users.email', attribute: 'nullability', before: 'NOT NULL', after: 'NULL' }),
    'changes nullability of column users.email: NOT NULL -> NULL',
  )
})

words('list elements and order', () => {
  assert.is(
    say({ change: 'added', kind: 'enum type', name: 'user_role', attribute: 'values', element: 'owner' }),
    "leaves value 'owner' in enum type user_role",
  )
  assert.is(
    say({ change: 'removed', kind: 'domain', name: 'email', attribute: 'constraints', element: 'email_chk: CHECK (...)' }),
    'drops constraint email_chk: CHECK (...) from domain email',
  )
  assert.is(
    say({ change: 'changed', kind: 'enum type', name: 's', attribute: 'values', before: ['a', 'b'], after: ['b', 'a'] }),
    'changes order of values of enum type s: a, b -> b, a',
  )
  assert.is(
    say({ change: 'changed', kind: 'table', name: 'users', attribute: 'column order', before: ['id', 'email'], after: ['email', 'id'] }),
    'changes column order of table users: id, email -> email, id',
  )
})

words('multi-line values: the first line that differs; long values are cut', () => {
  const before = 'CREATE FUNCTION f()\n RETURNS integer\nAS $$ select 1 $$\n'
  const after = 'CREATE FUNCTION f()\n RETURNS integer\nAS $$ select 2 $$\n'
  assert.is(
    say({ change: 'changed', kind: 'function', name: 'f()', attribute: 'definition', before, after }),
    'changes definition of function f(): line 3: AS $$ select 1 $$ -> AS $$ select 2 $$',
  )
  assert.is(
    say({ change: 'changed', kind: 'function', name: 'f()', attribute: 'definition', before: 'a\nb', after: 'a\nb\nc' }),
    'changes definition of function f(): line 3: (end) -> c',
  )
  const long = 'x'.repeat(400)
  const text = say({ change: 'changed', kind: 'view', name: 'v', attribute: 'definition', before: null, after: long })
  assert.is(text, `leaves definition ${'x'.repeat(157)}... on view v`)
})

words.run()

const scope = suite('restrictTo')

scope('keeps what the scope has and what hangs on it; drops standalone objects it does not have', () => {
  const live = schema(
    ...Object.values(base.objects),
    o('index', 'users_hotfix_idx', {}, 'table users'),
    o('table', 'other_service_table'),
    o('column', 'other_service_table.id', {}, 'table other_service_table'),
    o('function', 'hand_made()'),
  )
  assert.equal(Object.keys(restrictTo(live, base).objects).sort(), [
    'column users.email',
    'column users.id',
    'index users_hotfix_idx',
    'schema public',
    'table users',
  ])
})

scope.run()
