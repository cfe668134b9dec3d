/**
 * Snapshots taken one after another on the same database, each re-reading
 * only what changed since the one before: `check` takes two per migration,
 * and a full read of a schema that grows with every migration made a
 * rehearsal of n migrations cost O(n²) (1,000 W1 migrations: 534 s of
 * snapshots). The result is always equal to a full {@link snapshot}
 * (test/check/incremental.test.ts compares both after every step).
 *
 * How a change is found. Every catalog row a snapshot depends on belongs to
 * a *unit*: a relation with everything on it (`r` + oid: columns, defaults,
 * constraints, indexes, triggers, policies, rules, inheritance, sequence
 * options, comments; a composite type is its relation's), an enum, domain
 * or range type (`t`), a routine (`p`), a schema (`n`), the extensions
 * (`x`), or another named object whose name others print (`o`: collations,
 * operators, languages, array types, roles...). A unit's fingerprint is the
 * count and the sum of the xmins of its rows: every row version a step
 * writes has an xmin newer than all the rows it found, so an insert, an
 * update or a delete always changes one or the other. One query sums the
 * fingerprints per bucket of unit oids and lists the units of the buckets
 * that changed; a unit that changed and existed before also makes
 * the units that depend on it (pg_depend, pg_shdepend: a view, a foreign
 * key, a trigger, a default that prints its name) be read again. Only those
 * units are read ({@link readUnits}); the other objects are kept from the
 * snapshot before. A renamed schema (every name in it changes) makes a
 * full read. Each snapshot still scans the user rows of the catalogs once
 * (cheap, but linear in the schema: see NOTES, issue 20); printing
 * definitions, the costly part, is linear in what changed.
 *
 * Updates PostgreSQL makes in place (no new xmin: relhasindex, reltuples,
 * frozen xids) touch nothing a snapshot reads.
 */
import { isFailure, loadParser } from '../sql/parser.js'
import type { PlanStep } from '../types.js'
import { statementsScope, type StepScope } from './scope.js'
import { LOOKUP, readUnits, type CatalogQuery, type Schema, type SchemaObject, type UnitScope } from './snapshot.js'

/**
 * Takes the next snapshot. The schema it returns is the taker's live copy:
 * the next take changes it in place (copying a schema of 60,000 objects
 * costs ~250 ms, more than reading what changed). Keep one with
 * `{ objects: { ...schema.objects } }`.
 */
export interface SnapshotTaker {
  (): Promise<Schema>
  /**
   * With `{ scoped: true }`: told before each change between two takes (the
   * step about to run; undefined for anything else, which makes the next
   * take scan for fingerprints). Throws what a catalog query throws.
   */
  expect?: (step: PlanStep | undefined) => Promise<void>
  /** How the takes so far were made: `full` reads, fingerprint `scans`, `scoped` from the steps' statements. */
  readonly counts: { full: number; scans: number; scoped: number }
}

export interface SnapshotOptions {
  /**
   * The caller tells {@link SnapshotTaker.expect} about every change it
   * makes between takes; a take after steps whose statements are all
   * scoped (scope.ts) reads only the relations they name and what depends
   * on those, without scanning the catalogs.
   */
  scoped?: boolean
}

/** What changed from the snapshot before: the keys, and what they held then. */
interface Delta {
  from: Schema
  keys: Set<string>
  previous: Record<string, SchemaObject>
}

const deltas = new WeakMap<Schema, Delta>()

/**
 * When `after` was taken right after `before` by the same taker: the keys
 * that may differ, and `before` cut down to what those keys held (every
 * other key holds the same object in both). Undefined otherwise: compare
 * everything.
 *
 * @example const c = changesFrom(before, after); diffSchemas(c?.before ?? before, after, c?.keys)
 */
export function changesFrom(before: Schema, after: Schema): { before: Schema; keys: Set<string> } | undefined {
  const d = deltas.get(after)
  return d && d.from === before ? { before: { objects: d.previous }, keys: d.keys } : undefined
}

/** Steps between two takes beyond which the take scans instead. */
const MAX_SCOPED_STEPS = 16

/** Units to read beyond which a take reads everything. */
const FULL_READ_ABOVE = 2000

/** Bucket of a unit: its oid >> BUCKET_BITS. */
const BUCKET_BITS = 10

/**
 * A taker of snapshots of one database, each read incrementally from the
 * one before (the first reads everything). Not for concurrent use.
 *
 * @example const snap = incrementalSnapshots(engine.catalog); const a = await snap(); ...; const b = await snap()
 */
export function incrementalSnapshots(query: CatalogQuery, opts: SnapshotOptions = {}): SnapshotTaker {
  let last: Schema | undefined
  const counts = { full: 0, scans: 0, scoped: 0 }
  /** What ran since the last take: unscoped (full), or the names and units it touched. */
  let window = { full: true, steps: 0, names: new Set<string>(), units: new Set<string>(), indexes: false }
  /**
   * Units read by scoped takes since the last scan: their fingerprints were
   * not recorded, so the next scan reads them again (one made and dropped
   * since then would otherwise be in neither the fingerprints nor the catalogs).
   */
  const unscanned = new Set<string>()
  /** bucket -> "count:sum" */
  let buckets = new Map<string, string>()
  /** unit -> "count:sum", by bucket */
  const fingerprints = new Map<string, Map<string, string>>()
  /** unit -> the keys of its objects */
  const keysOf = new Map<string, string[]>()

  const json = async <T>(text: string, params: unknown[]): Promise<T> => {
    const rows = await query(text, params)
    const v = rows[0]?.v
    if (typeof v !== 'string') throw new Error('catalog query returned no document')
    return JSON.parse(v) as T
  }

  /** Units that hold `names` (any schema) and what depends on them automatically; ok: nothing else can have changed. */
  const unitsNamed = (names: Set<string>, indexes: boolean) =>
    json<{ ok: boolean; units: string[] }>(UNITS_SQL, [JSON.stringify([...names]), indexes ? 'true' : 'false'])

  const expect = async (step: PlanStep | undefined): Promise<void> => {
    if (window.full) return
    const scope = step && (await scopeOf(step))
    // Many steps between two takes (the round trip's passes): one scan
    // costs less than a query before each of them.
    if (!scope || ++window.steps > MAX_SCOPED_STEPS) {
      window.full = true
      return
    }
    for (const n of scope.names) window.names.add(n)
    window.indexes ||= scope.indexes
    // What a DROP removes is found before it runs (afterwards its rows are gone).
    if (scope.drops) {
      const found = await unitsNamed(new Set(scope.names), false)
      for (const u of found.units) window.units.add(u)
    }
  }

  const take = async (): Promise<Schema> => {
    if (last && opts.scoped && !window.full) {
      const found = await unitsNamed(window.names, window.indexes)
      if (found.ok) {
        const dirty = new Set(['x', ...window.units, ...found.units])
        return apply(dirty, false, undefined, () => {
          for (const u of dirty) unscanned.add(u)
          counts.scoped++
        })
      }
    }
    return scan()
  }

  const scan = async (): Promise<Schema> => {
    const found = await json<{ buckets: Record<string, string>; units: [string, string][] }>(FINGERPRINTS_SQL, [
      last ? JSON.stringify(Object.fromEntries(buckets)) : null,
    ])
    const nowBuckets = new Map(Object.entries(found.buckets))
    const changedBuckets = [...new Set([...nowBuckets.keys(), ...buckets.keys()])].filter((b) => nowBuckets.get(b) !== buckets.get(b))

    // Units that appeared, changed or went away.
    const added: string[] = []
    const changed: string[] = []
    const removed: string[] = []
    const listing = found.units
    const byBucket = new Map<string, Map<string, string>>()
    for (const [unit, fp] of listing) {
      const b = String(Number(unit.slice(1)) >> BUCKET_BITS)
      let m = byBucket.get(b)
      if (!m) byBucket.set(b, (m = new Map()))
      m.set(unit, fp)
    }
    for (const b of changedBuckets) {
      const before = fingerprints.get(b) ?? new Map<string, string>()
      const now = byBucket.get(b) ?? new Map<string, string>()
      for (const [unit, fp] of now) {
        const was = before.get(unit)
        if (was === undefined) added.push(unit)
        else if (was !== fp) changed.push(unit)
      }
      for (const unit of before.keys()) if (!now.has(unit)) removed.push(unit)
    }

    const dirty = new Set<string>(['x', ...added, ...changed, ...removed, ...unscanned])
    // A renamed schema renames everything in it: read everything (and when
    // most of it changed, a full read costs less than looking each unit up).
    const everything = !last || changed.some((u) => u[0] === 'N') || dirty.size > FULL_READ_ABOVE
    if (!everything) {
      // Units that print the name of one that changed (renamed, or a column renamed).
      const seeds = changed.filter((u) => 'rtpo'.includes(u[0]!)).map((u) => Number(u.slice(1)))
      if (seeds.length > 0) for (const u of await json<string[]>(DEPENDENTS_SQL, [JSON.stringify(seeds)])) dirty.add(u)
    }
    const gone = new Set(removed)
    return apply(dirty, everything, gone, () => {
      // Every query succeeded: now the state moves on (a failed take leaves it as it was).
      buckets = nowBuckets
      for (const b of changedBuckets) {
        const now = byBucket.get(b)
        if (now) fingerprints.set(b, now)
        else fingerprints.delete(b)
      }
      unscanned.clear()
      if (everything) counts.full++
      else counts.scans++
    })
  }

  /**
   * Reads the `dirty` units (everything when `everything`) and puts them in
   * place of what the snapshot before held for them. The fingerprints of a
   * scoped take are left as they were: a later scan finds the units it
   * re-read changed again and reads them once more, which is only slower.
   */
  const apply = async (dirty: Set<string>, everything: boolean, gone = new Set<string>(), commit = () => {}): Promise<Schema> => {
    const scope: UnitScope = { r: [], t: [], p: [], n: [] }
    if (!everything) {
      for (const u of dirty) {
        const k = u[0] as keyof UnitScope
        if (k in scope && !gone.has(u)) scope[k].push(Number(u.slice(1)))
      }
    }
    const read = await readUnits(query, everything ? null : scope)
    commit()
    window = { full: !opts.scoped, steps: 0, names: new Set(), units: new Set(), indexes: false }
    let objects: Record<string, SchemaObject>
    let previous: Record<string, SchemaObject>
    const keys = new Set<string>()
    if (everything) {
      previous = last?.objects ?? {}
      objects = {}
      keysOf.clear()
      for (const key of Object.keys(previous)) keys.add(key)
    } else {
      objects = last!.objects
      previous = {}
      for (const u of dirty) {
        for (const key of keysOf.get(u) ?? []) {
          if (key in objects) {
            previous[key] = objects[key]!
            delete objects[key]
          }
          keys.add(key)
        }
        keysOf.delete(u)
      }
    }
    for (const [key, unit] of read.units) {
      if (!everything && !keys.has(key) && key in objects) previous[key] = objects[key]!
      objects[key] = read.schema.objects[key]!
      keys.add(key)
      const list = keysOf.get(unit)
      if (list) list.push(key)
      else keysOf.set(unit, [key])
    }
    const next: Schema = { objects }
    if (last) deltas.set(next, { from: last, keys, previous })
    last = next
    return next
  }

  return Object.assign(take, { expect, counts })
}

/** Texts longer than this are not parsed for a scope (the step is unscoped). */
const SCOPE_PARSE_LIMIT = 1024 * 1024

const scopes = new WeakMap<PlanStep, StepScope | null>()

/** The step's scope (scope.ts), parsed once per step; null when unscoped or unparsable. */
async function scopeOf(step: PlanStep): Promise<StepScope | null> {
  const known = scopes.get(step)
  if (known !== undefined) return known
  const parse = await loadParser()
  const texts = step.statements?.length ? step.statements.map((s) => s.text) : [step.sql]
  const scope = ((): StepScope | null => {
    const nodes = []
    for (const t of texts) {
      const parsed = t.length <= SCOPE_PARSE_LIMIT ? parse(t) : undefined
      if (!parsed || isFailure(parsed)) return null
      nodes.push(...parsed.nodes)
    }
    return statementsScope(nodes)
  })()
  scopes.set(step, scope)
  return scope
}

// ---------------------------------------------------------------------------
// The queries. Rows of user objects only (oid >= 16384, FirstNormalObjectId),
// but every schema (public is 2200). Each row: its unit's kind (k), the
// unit's oid (u) and its xmin (x). A unit's fingerprint is count(*) and
// sum(x): within one step every new row version has an xmin newer than
// every row the step found, so the same count with the same sum means no
// row was added, changed or removed. Joins go through catalog indexes only
// (a join with a CTE became a nested loop over thousands of rows on PGlite).

const FINGERPRINT_CTE = `
with fp(k, u, x) as (
  -- a relation is its own unit (a composite type's relation too); an index
  -- is its table's; toast tables and their indexes are left out
  select 'r', case when c.relkind in ('i', 'I') then i.indrelid else c.oid end, c.xmin::text::int8
    from pg_class c left join pg_index i on i.indexrelid = c.oid
   where c.oid >= 16384 and c.relkind <> 't' and c.relnamespace <> 'pg_toast'::regnamespace
  union all select 'r', indrelid, xmin::text::int8 from pg_index where indexrelid >= 16384
  -- (an index's attributes count as the index's own unit, which shows nothing)
  union all select 'r', attrelid, xmin::text::int8 from pg_attribute where attrelid >= 16384 and attnum > 0
  union all select 'r', adrelid, xmin::text::int8 from pg_attrdef where oid >= 16384
  union all select case when conrelid <> 0 then 'r' else 't' end, case when conrelid <> 0 then conrelid else contypid end,
                   xmin::text::int8 from pg_constraint where oid >= 16384
  union all select 'r', tgrelid, xmin::text::int8 from pg_trigger where oid >= 16384
  union all select 'r', polrelid, xmin::text::int8 from pg_policy where oid >= 16384
  union all select 'r', ev_class, xmin::text::int8 from pg_rewrite where oid >= 16384
  union all select 'r', inhrelid, xmin::text::int8 from pg_inherits where inhrelid >= 16384
  union all select 'r', seqrelid, xmin::text::int8 from pg_sequence where seqrelid >= 16384
  union all select 'p', oid, xmin::text::int8 from pg_proc where oid >= 16384
  union all select 'p', aggfnoid::oid, xmin::text::int8 from pg_aggregate where aggfnoid::oid >= 16384
  -- enum, domain and range types are units; a composite type is its
  -- relation's; others (array, row, multirange, base types) only print a name
  union all select case when typtype in ('e', 'd', 'r') then 't' when typtype = 'c' then 'r' else 'o' end,
                   case when typtype = 'c' then typrelid else oid end, xmin::text::int8 from pg_type where oid >= 16384
  union all select 't', enumtypid, xmin::text::int8 from pg_enum where enumtypid >= 16384
  union all select 't', rngtypid, xmin::text::int8 from pg_range where rngtypid >= 16384
  union all select 'n', oid, xmin::text::int8 from pg_namespace
  -- a schema's name apart: renaming one changes every name in it
  union all select 'N', oid, hashtext(nspname) from pg_namespace
  union all select 'x', 0, xmin::text::int8 from pg_extension
  union all select 'o', oid, xmin::text::int8 from pg_collation where oid >= 16384
  union all select 'o', oid, xmin::text::int8 from pg_opclass where oid >= 16384
  union all select 'o', oid, xmin::text::int8 from pg_opfamily where oid >= 16384
  union all select 'o', oid, xmin::text::int8 from pg_operator where oid >= 16384
  union all select 'o', oid, xmin::text::int8 from pg_language where oid >= 16384
  union all select 'o', oid, xmin::text::int8 from pg_ts_config where oid >= 16384
  union all select 'o', oid, xmin::text::int8 from pg_ts_dict where oid >= 16384
  union all select 'o', oid, xmin::text::int8 from pg_cast where oid >= 16384
  -- policies print role names (pg_authid is not readable by every role)
  union all select 'o', oid, hashtext(rolname) from pg_roles where oid >= 16384
  -- comments, on the unit of what they are on (few rows: one lookup each)
  union all select coalesce(o.k, 'o'), coalesce(o.u, d.objoid), d.xmin::text::int8
      from pg_description d left join lateral (
        select 'r' as k, coalesce((select indrelid from pg_index where indexrelid = d.objoid), d.objoid) as u
         where d.classoid = 'pg_class'::regclass
        union all select case when conrelid <> 0 then 'r' else 't' end, case when conrelid <> 0 then conrelid else contypid end
          from pg_constraint where d.classoid = 'pg_constraint'::regclass and oid = d.objoid
        union all select 'r', tgrelid from pg_trigger where d.classoid = 'pg_trigger'::regclass and oid = d.objoid
        union all select case when typtype in ('e', 'd', 'r') then 't' when typtype = 'c' then 'r' else 'o' end,
                         case when typtype = 'c' then typrelid else oid end
          from pg_type where d.classoid = 'pg_type'::regclass and oid = d.objoid
        union all select 'p', d.objoid where d.classoid = 'pg_proc'::regclass
        union all select 'n', d.objoid where d.classoid = 'pg_namespace'::regclass
      ) o on true
     where d.objoid >= 16384 or d.classoid = 'pg_namespace'::regclass
  -- what decides whether an object is shown: a sequence's OWNED BY (a) or
  -- identity (i), an extension's members (e)
  union all select 'r', d.objid, d.xmin::text::int8
      from pg_sequence s join pg_depend d on d.classid = 'pg_class'::regclass and d.objid = s.seqrelid and d.objsubid = 0
     where s.seqrelid >= 16384 and d.deptype in ('a', 'i')
  union all select case d.classid when 'pg_class'::regclass then 'r' when 'pg_proc'::regclass then 'p'
                                  when 'pg_type'::regclass then 't' else 'o' end,
                   d.objid, d.xmin::text::int8
      from pg_extension e join pg_depend d on d.refclassid = 'pg_extension'::regclass and d.refobjid = e.oid and d.deptype = 'e'
)`

/**
 * $1: the buckets' fingerprints as the taker last saw them (JSON object
 * bucket -> "count:sum"), or null for a first read. One scan of the
 * catalogs (the CTE is read twice, computed once): every bucket's
 * fingerprint, and the units of each bucket that differs.
 */
const FINGERPRINTS_SQL = `${FINGERPRINT_CTE}, bucket as (
  select u::int8 >> ${BUCKET_BITS} as b, count(*) || ':' || sum(x) as f from fp group by 1
), known as (
  select key::int8 as b, value as f from json_each_text(coalesce($1::text, '{}')::json)
), changed as (
  select coalesce(n.b, k.b) as b from bucket n full join known k on k.b = n.b where n.f is distinct from k.f
)
select json_build_object(
  'buckets', (select coalesce(json_object_agg(b, f), '{}') from bucket),
  'units', (select coalesce(json_agg(json_build_array(k || u, f)), '[]')
              from (select k, u, count(*) || ':' || sum(x) as f from fp
                     where $1::text is null or (u::int8 >> ${BUCKET_BITS}) in (select b from changed)
                     group by k, u) x)
)::text as v`

/** The unit of the object (classid, objid) of row `d`, as an expression (null: none, or gone). */
const UNIT_OF = (d: string) => `case
    when ${d}.classid = 'pg_class'::regclass then
      'r' || coalesce((select indrelid from pg_index where indexrelid = ${d}.objid), ${d}.objid)
    when ${d}.classid = 'pg_type'::regclass then
      (select case when typtype in ('e', 'd', 'r') then 't' || oid when typtype = 'c' then 'r' || typrelid else 'o' || oid end
         from pg_type where oid = ${d}.objid)
    when ${d}.classid = 'pg_proc'::regclass then 'p' || ${d}.objid
    when ${d}.classid = 'pg_constraint'::regclass then
      (select case when co.conrelid <> 0 then 'r' || co.conrelid else 't' || co.contypid end from pg_constraint co where co.oid = ${d}.objid)
    when ${d}.classid = 'pg_trigger'::regclass then (select 'r' || tgrelid from pg_trigger where oid = ${d}.objid)
    when ${d}.classid = 'pg_rewrite'::regclass then (select 'r' || ev_class from pg_rewrite where oid = ${d}.objid)
    when ${d}.classid = 'pg_attrdef'::regclass then (select 'r' || adrelid from pg_attrdef where oid = ${d}.objid)
    when ${d}.classid = 'pg_policy'::regclass then (select 'r' || polrelid from pg_policy where oid = ${d}.objid)
    when ${d}.classid = 'pg_namespace'::regclass then 'n' || ${d}.objid
  end`

/**
 * $1: JSON array of oids of units that changed: the units of the objects
 * that depend on them (their rendering may print the changed names).
 */
const DEPENDENTS_SQL = `${LOOKUP}
with seed as (
  select json_array_elements_text($1::text::json)::oid as oid
  -- a relation's row type (what a function's argument depends on)
  union select c.reltype from pg_class c where c.reltype <> 0
     and c.oid in (select json_array_elements_text($1::text::json)::oid)
), dep(classid, objid) as (
  select d.classid, d.objid from pg_depend d where d.refobjid in (select oid from seed)
  union
  select d.classid, d.objid from pg_shdepend d
   where d.refobjid in (select oid from seed) and d.dbid = (select oid from pg_database where datname = current_database())
)
select coalesce(json_agg(distinct unit), '[]')::text as v from (
  select ${UNIT_OF('d')} as unit
  from dep d
) x where unit is not null`

/**
 * $1: JSON array of relation names (scope.ts; unqualified, so every schema's
 * relation of that name counts); $2: 'true' when a scoped step built an
 * index. The units of those relations and of everything that depends on
 * them automatically or internally, transitively (their indexes,
 * constraints, triggers, owned sequences, row types, partitions: what a
 * CREATE makes with them, what a DROP ... RESTRICT removes with them).
 * `ok` is false when the database could have run code a step does not
 * name: an event trigger exists, or an index was built while a user-made
 * operator class exists (its functions run over the table's rows).
 */
const UNITS_SQL = `${LOOKUP}
with recursive named as (
  select c.oid, c.reltype from pg_class c
   where c.relname = any (array(select json_array_elements_text($1::text::json))::name[]) and c.oid >= 16384
), reach(classid, objid) as (
  select 'pg_class'::regclass::oid, oid from named
  union select 'pg_type'::regclass::oid, reltype from named where reltype <> 0
  union
  select d.classid, d.objid from reach r join pg_depend d on d.refclassid = r.classid and d.refobjid = r.objid
   where d.deptype not in ('n', 'e', 'x')
)
select json_build_object(
  'ok', not exists (select 1 from pg_event_trigger)
        and ($2::text <> 'true' or not exists (select 1 from pg_opclass where oid >= 16384)),
  'units', (select coalesce(json_agg(distinct unit), '[]') from (select ${UNIT_OF('r')} as unit from reach r) x where unit is not null)
)::text as v`
