/**
 * Pure: what differs between two schema snapshots, each difference naming
 * its object precisely, and how to say it in words. No I/O.
 */
import { KIND_ORDER, type AttributeValue, type ObjectKind, type Schema, type SchemaObject } from './snapshot.js'

/**
 * One difference from `before` to `after`.
 *
 * - An object only in `after`: `change: 'added'`; only in `before`: `'removed'`.
 * - An attribute whose value differs: `'changed'` with `attribute`, `before`, `after`.
 * - An element of a list attribute (an enum value, a domain constraint, a
 *   composite type's attribute, a parent table, a view column's comment)
 *   only on one side: `'added'`/`'removed'` with `attribute` and `element`.
 * - The same elements in another order: `'changed'` with both lists.
 */
export interface Difference {
  change: 'added' | 'removed' | 'changed'
  kind: ObjectKind
  name: string
  attribute?: string
  element?: string
  before?: AttributeValue
  after?: AttributeValue
}

/**
 * List attributes whose elements are objects of their own (a column in
 * `column order` is also a `column` object): only a new order of the
 * elements both sides share is a difference of the list.
 */
const ORDER_ONLY = new Set(['column order'])

/** What one element of a list attribute is called in a message. */
const ELEMENT_NOUN: Record<string, string> = {
  values: 'value',
  constraints: 'constraint',
  attributes: 'attribute',
  parents: 'parent',
  'column comments': 'column comment',
}

/** Free-text attributes, quoted in messages. */
const QUOTED = new Set(['comment'])

/**
 * Every difference from `before` to `after`, sorted (containers first, then
 * by name). A child (column, index, ...) of an object that itself appears
 * or disappears is not listed: "leaves table x" says it all. `only`: the
 * keys to compare, when the caller knows every other key is the same object.
 *
 * @example diffSchemas(before, after) // [{ change: 'added', kind: 'column', name: 'users.avatar_url' }]
 */
export function diffSchemas(before: Schema, after: Schema, only?: Iterable<string>): Difference[] {
  const out: Difference[] = []
  const added = new Set<string>()
  const removed = new Set<string>()
  // `only`: the keys that may differ (an incremental snapshot's, incremental.ts);
  // every other key holds the same object on both sides.
  const keys = only ? [...only] : undefined
  for (const key of keys ?? Object.keys(after.objects)) if (key in after.objects && !(key in before.objects)) added.add(key)
  for (const key of keys ?? Object.keys(before.objects)) if (key in before.objects && !(key in after.objects)) removed.add(key)

  for (const key of added) {
    const o = after.objects[key]!
    if (o.owner === undefined || !added.has(o.owner)) out.push({ change: 'added', kind: o.kind, name: o.name })
  }
  for (const key of removed) {
    const o = before.objects[key]!
    if (o.owner === undefined || !removed.has(o.owner)) out.push({ change: 'removed', kind: o.kind, name: o.name })
  }
  for (const key of keys ?? Object.keys(before.objects)) {
    const b = before.objects[key]
    const a = after.objects[key]
    if (a && b && a !== b) out.push(...diffAttributes(b, a))
  }
  return out.sort(compareDifferences)
}

/**
 * `schema` cut down to what `scope` is about: the objects `scope` has, and
 * the objects that belong to one of them (a column, index, trigger, ... on
 * one of its tables). For drift: a shared database holds other services'
 * tables, which are none of this service's business, but an index someone
 * added by hand on one of its tables is.
 */
export function restrictTo(schema: Schema, scope: Schema): Schema {
  const objects: Schema['objects'] = {}
  for (const [key, o] of Object.entries(schema.objects)) {
    if (key in scope.objects || (o.owner !== undefined && o.owner in scope.objects)) objects[key] = o
  }
  return { objects }
}

function diffAttributes(b: SchemaObject, a: SchemaObject): Difference[] {
  const out: Difference[] = []
  const names = new Set([...Object.keys(b.attributes), ...Object.keys(a.attributes)])
  for (const attribute of names) {
    const x = b.attributes[attribute] ?? null
    const y = a.attributes[attribute] ?? null
    const base = { kind: b.kind, name: b.name, attribute }
    if (Array.isArray(x) || Array.isArray(y)) {
      const xs = Array.isArray(x) ? x : []
      const ys = Array.isArray(y) ? y : []
      if (!ORDER_ONLY.has(attribute)) {
        for (const e of ys) if (!xs.includes(e)) out.push({ change: 'added', ...base, element: e })
        for (const e of xs) if (!ys.includes(e)) out.push({ change: 'removed', ...base, element: e })
      }
      const common = xs.filter((e) => ys.includes(e))
      const commonAfter = ys.filter((e) => xs.includes(e))
      if (common.join('\u0000') !== commonAfter.join('\u0000')) {
        out.push({ change: 'changed', ...base, before: common, after: commonAfter })
      }
    } else if (x !== y) {
      out.push({ change: 'changed', ...base, before: x, after: y })
    }
  }
  return out
}

function compareDifferences(p: Difference, q: Difference): number {
  return (
    KIND_ORDER.indexOf(p.kind) - KIND_ORDER.indexOf(q.kind) ||
    cmp(p.name, q.name) ||
    cmp(p.attribute ?? '', q.attribute ?? '') ||
    cmp(p.change, q.change) ||
    cmp(p.element ?? '', q.element ?? '')
  )
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * The words for each kind of change, from the point of view of what is
 * compared: a down that `leaves` what its up made, a live database that
 * `has extra` what the migrations do not make.
 */
export interface Verbs {
  added: string
  removed: string
  changed: string
}

/** A down compared with the schema before its up. */
export const DOWN_VERBS: Verbs = { added: 'leaves', removed: 'drops', changed: 'changes' }

/** A live database (after) compared with what its migrations make (before). */
export const DRIFT_VERBS: Verbs = { added: 'has extra', removed: 'lacks', changed: 'differs in' }

/**
 * The difference in words, without a subject: `leaves column users.avatar_url`,
 * `leaves value 'cancelled' in enum type ai_run_status`,
 * `changes default of column providers.metadata: '{}'::jsonb -> '{"tier": "standard"}'::jsonb`.
 */
export function describeDifference(d: Difference, verbs: Verbs = DOWN_VERBS): string {
  const object = `${d.kind} ${d.name}`
  if (d.attribute === undefined) return `${d.change === 'added' ? verbs.added : verbs.removed} ${object}`
  if (d.element !== undefined) {
    const noun = ELEMENT_NOUN[d.attribute] ?? d.attribute
    const element = d.attribute === 'values' ? sqlString(d.element) : d.element
    return d.change === 'added' ? `${verbs.added} ${noun} ${element} in ${object}` : `${verbs.removed} ${noun} ${element} from ${object}`
  }
  if (Array.isArray(d.before) || Array.isArray(d.after)) {
    const list = (v: AttributeValue | undefined) => (Array.isArray(v) ? v.join(', ') : '')
    const what = ORDER_ONLY.has(d.attribute) ? d.attribute : `order of ${d.attribute}`
    return `${verbs.changed} ${what} of ${object}: ${list(d.before)} -> ${list(d.after)}`
  }
  const quoted = QUOTED.has(d.attribute)
  if (d.before === null || d.before === undefined) return `${verbs.added} ${d.attribute} ${shown(d.after, quoted)} on ${object}`
  if (d.after === null || d.after === undefined) return `${verbs.removed} ${d.attribute} ${shown(d.before, quoted)} of ${object}`
  return `${verbs.changed} ${d.attribute} of ${object}: ${change(d.before, d.after, quoted)}`
}

const MAX_SHOWN = 160

/** A value in a message: one line, at most MAX_SHOWN characters. */
function shown(v: AttributeValue | undefined, quoted: boolean): string {
  const text = typeof v === 'string' ? v : ''
  const lines = text.split('\n')
  const first = lines.length > 1 ? `${lines[0]!.trim()} ... (${lines.length} lines)` : text
  return clip(quoted ? sqlString(first) : first)
}

/** `before -> after`; for multi-line text (a function's definition) the first line that differs. */
function change(before: string, after: string, quoted: boolean): string {
  if (!before.includes('\n') && !after.includes('\n')) return `${shown(before, quoted)} -> ${shown(after, quoted)}`
  const b = before.split('\n')
  const a = after.split('\n')
  let i = 0
  while (i < b.length && i < a.length && b[i] === a[i]) i++
  const line = (l: string | undefined) => (l === undefined ? '(end)' : clip(l.trim() === '' ? '(empty line)' : l.trim()))
  return `line ${i + 1}: ${line(b[i])} -> ${line(a[i])}`
}

function clip(s: string): string {
  return s.length > MAX_SHOWN ? s.slice(0, MAX_SHOWN - 3) + '...' : s
}

function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`
}
