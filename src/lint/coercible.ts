/**
 * Which `ALTER COLUMN ... TYPE` changes PostgreSQL makes without rewriting
 * the table: the binary-coercible casts (pg_cast castmethod 'b') and the
 * length coercions whose support functions see that nothing changes
 * (varchar_support, numeric_support, varbit_support, timestamp_support,
 * time_support). See ALTER TABLE's notes: "when the old type is binary
 * coercible to the new type ... a table rewrite is not needed". Pure.
 */
import type { ColumnType } from './known.js'

/** Types whose grammar names are serial shorthands. */
const SERIAL: Record<string, string> = { smallserial: 'int2', serial: 'int4', bigserial: 'int8', serial2: 'int2', serial4: 'int4', serial8: 'int8' }

/** Binary-coercible pairs (from -> to) that need no modifier check. */
const RELABEL = new Set(['varchar>text', 'text>varchar', 'cidr>inet', 'xml>text', 'xml>varchar'])

/** Types whose one modifier is a maximum (length or precision): widening it, or dropping it, rewrites nothing. */
const WIDENS = new Set(['varchar', 'varbit', 'timestamp', 'timestamptz', 'time'])

/**
 * True when changing a column from `from` to `to` rewrites nothing: the
 * same type, a binary-coercible one (varchar -> text), or a wider modifier
 * (varchar(n) -> varchar(m >= n), numeric(p, s) -> numeric(q >= p, s), or
 * the modifier dropped). Conservative: anything not known to be free is not.
 */
export function rewriteFree(from: ColumnType, to: ColumnType): boolean {
  if (from.array || to.array) return from.array === to.array && same(from, to)
  const a = SERIAL[from.name] ?? from.name
  const b = SERIAL[to.name] ?? to.name
  if (a === b) {
    if (same({ ...from, name: a }, { ...to, name: b })) return true
    if (to.mods?.length === 0) return WIDENS.has(a) || a === 'numeric'
    if (!from.mods || !to.mods || from.mods.length === 0) return false
    if (WIDENS.has(a)) return to.mods[0]! >= from.mods[0]!
    // numeric(p) is numeric(p, 0): the scale must stay, the precision may grow.
    if (a === 'numeric') return to.mods[0]! >= from.mods[0]! && (to.mods[1] ?? 0) === (from.mods[1] ?? 0)
    return false
  }
  // varchar(n) -> text; text -> varchar (without a length: no check to run).
  if (!RELABEL.has(`${a}>${b}`)) return false
  return to.mods === undefined || to.mods.length === 0
}

function same(a: ColumnType, b: ColumnType): boolean {
  return a.name === b.name && JSON.stringify(a.mods) === JSON.stringify(b.mods)
}

/** `varchar(120)`, `numeric(10,2)`, `text[]`: a type for messages. */
export function typeText(t: ColumnType): string {
  const mods = t.mods && t.mods.length > 0 ? `(${t.mods.join(',')})` : ''
  return `${t.name}${mods}${t.array ? '[]' : ''}`
}
