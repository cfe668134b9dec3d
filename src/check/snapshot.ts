/**
 * The schema of a database as plain data, read from pg_catalog in one query
 * (all of `check`'s catalog SQL lives here). Two snapshots of identical
 * schemas are deep-equal; {@link diffSchemas} (diff.ts) names what differs.
 *
 * Covered: schemas, extensions, tables (kind, persistence, partitioning,
 * inheritance, row-level security, options, column order), columns (type,
 * nullability, default, identity, generated expression, collation),
 * constraints (definition, incl. NOT VALID), indexes (definition, validity),
 * sequences (type, bounds, cache, cycle, OWNED BY), views and materialized
 * views (definition, options), functions, procedures and aggregates (full
 * definition), triggers (definition, enabled state), enum types (values in
 * order), domains, composite and range types, row-level security policies,
 * rules, and comments on all of these.
 *
 * Left out on purpose: pg_catalog, information_schema, pg_toast and temp
 * schemas; objects that belong to an extension (the extension stands for
 * them, with its version); NOT NULL constraints of PostgreSQL 18 (the
 * column's nullability says the same on every version); indexes that back a
 * primary key, unique or exclusion constraint (the constraint says it);
 * identity sequences (the column's identity says it); owners, privileges,
 * statistics and storage parameters of columns.
 *
 * The query runs with `search_path = pg_catalog` and fixed TimeZone,
 * DateStyle, IntervalStyle and extra_float_digits (see CATALOG_SETTINGS),
 * so every name in a definition is schema-qualified and every constant
 * prints the same way in any session: a snapshot does not depend on the
 * role's or database's settings, which a live database and a scratch copy
 * need not share.
 */

/** What a snapshot is made of. */
export type ObjectKind =
  | 'schema'
  | 'extension'
  | 'enum type'
  | 'domain'
  | 'composite type'
  | 'range type'
  | 'sequence'
  | 'table'
  | 'column'
  | 'constraint'
  | 'index'
  | 'view'
  | 'materialized view'
  | 'function'
  | 'procedure'
  | 'aggregate'
  | 'trigger'
  | 'policy'
  | 'rule'

/** Report order: containers before what they contain. */
export const KIND_ORDER: readonly ObjectKind[] = [
  'schema',
  'extension',
  'enum type',
  'domain',
  'composite type',
  'range type',
  'sequence',
  'table',
  'column',
  'constraint',
  'index',
  'view',
  'materialized view',
  'function',
  'procedure',
  'aggregate',
  'trigger',
  'policy',
  'rule',
]

/** An attribute's value: text, absent (null), or an ordered list. */
export type AttributeValue = string | null | string[]

/** One object of the schema. */
export interface SchemaObject {
  kind: ObjectKind
  /**
   * The name people read, unique within its kind: `listings`,
   * `listings.status` (a column), `listings_pkey on listings` (a constraint,
   * trigger, policy or rule), `discovery_set_updated_at()` (a function with
   * its argument types). Objects in `public` are not schema-qualified;
   * others are (`billing.invoices`).
   */
  name: string
  /**
   * Key of the object this one belongs to (`table listings` for its
   * columns, constraints, indexes, triggers, policies, rules and OWNED BY
   * sequences): a difference in a child is not reported when its owner
   * itself appears or disappears, and drift uses it to tell the service's
   * objects from others.
   */
  owner?: string
  attributes: Record<string, AttributeValue>
}

/** A schema: objects by key (`<kind> <name>`). */
export interface Schema {
  objects: Record<string, SchemaObject>
}

/** The key of an object in {@link Schema.objects}. */
export function objectKey(kind: ObjectKind, name: string): string {
  return `${kind} ${name}`
}

/**
 * Runs one catalog query and returns its rows. The engine runs it inside a
 * transaction with {@link catalogSettings} applied (`set local`).
 */
export type CatalogQuery = (text: string, params: unknown[]) => Promise<Record<string, unknown>[]>

/** `set local` statements the engine runs before {@link SNAPSHOT_SQL}, in the same transaction. */
export const CATALOG_SETTINGS =
  "set local search_path = pg_catalog; set local timezone = 'UTC'; set local datestyle = 'ISO, MDY'; " +
  "set local intervalstyle = 'postgres'; set local extra_float_digits = 1"

/**
 * Starts the text of a catalog query that looks a few objects up (scoped
 * snapshots, incremental.ts): the embedded engine plans it with index
 * lookups only. Its one generic plan per query, made while the catalogs
 * were small, would otherwise go on scanning them as they grow, which made
 * each such query cost time in proportion to the schema. (A server plans
 * each execution with its statistics, and is left alone.)
 */
export const LOOKUP = '/* link-migrate: lookup */'

/** The `set local` statements for a catalog query's text: {@link CATALOG_SETTINGS}, and index lookups only for a {@link LOOKUP}. */
export function catalogSettings(text: string): string {
  return text.startsWith(LOOKUP)
    ? `${CATALOG_SETTINGS}; set local enable_seqscan = off; set local enable_hashjoin = off; set local enable_mergejoin = off`
    : CATALOG_SETTINGS
}

/** A table to leave out, e.g. the bookkeeping tables of a live database. */
export interface ExcludedTable {
  schema: string
  name: string
}

export interface SnapshotOptions {
  /** Tables (with everything that hangs on them, and sequences they own) left out of the snapshot. */
  exclude?: ExcludedTable[]
}

/**
 * Reads the schema. Throws what the query throws (a QueryError from the engine).
 *
 * @example const schema = await snapshot(engine.catalog, { exclude: [{ schema: 'public', name: 'migration_records' }] })
 */
export async function snapshot(query: CatalogQuery, opts: SnapshotOptions = {}): Promise<Schema> {
  return (await readUnits(query, null, opts)).schema
}

/**
 * The oids of the units to read (incremental.ts): relations with everything
 * on them (r), types (t), routines (p), schemas (n). Extensions are always read.
 */
export interface UnitScope {
  r: number[]
  t: number[]
  p: number[]
  n: number[]
}

/**
 * Reads the objects of `scope`'s units (all of them when null), with the
 * unit each object comes from (`r16390`, `t16402`, `p16410`, `n2200`, `x`
 * for extensions; a composite type is its relation's `r`). Throws what the query throws.
 */
export async function readUnits(
  query: CatalogQuery,
  scope: UnitScope | null,
  opts: SnapshotOptions = {},
): Promise<{ schema: Schema; units: Map<string, string> }> {
  const excluded = JSON.stringify((opts.exclude ?? []).map((t) => `${t.schema}.${t.name}`))
  const rows = await query(scope === null ? SNAPSHOT_SQL.all : SNAPSHOT_SQL.scoped, [excluded, scope === null ? null : JSON.stringify(scope)])
  const doc = rows[0]?.doc
  if (typeof doc !== 'string') throw new Error('catalog query returned no document')
  const units = new Map<string, string>()
  return { schema: buildSchema(JSON.parse(doc) as CatalogDocument, units), units }
}

// ---------------------------------------------------------------------------
// The query. $1: JSON array of "schema.table" names to leave out; $2: the
// units to read (a UnitScope as JSON), or null for all.
//
// Each part is a json_agg of plain rows, ordered, so the document is the
// same text for the same schema. bigint values are cast to text (JSON
// numbers would lose precision past 2^53).

const SNAPSHOT_SQL = { all: snapshotSql(false), scoped: snapshotSql(true) }

/**
 * The text for a full read, or for the units of $2: a separate text, so that
 * each gets its own plan (a scoped read looks the units' rows up by index;
 * a filter that may be "everything" made it scan every catalog).
 */
function snapshotSql(scoped: boolean): string {
  return `${scoped ? LOOKUP : ''}
with scope as (
  -- $2: null (everything), or the units to read (incremental.ts): oids of
  -- relations (r), types (t), routines (p) and schemas (n).
  select $2::text is null as everything,
         array(select json_array_elements_text($2::text::json->'r')::oid) as r,
         array(select json_array_elements_text($2::text::json->'t')::oid) as t,
         array(select json_array_elements_text($2::text::json->'p')::oid) as p,
         array(select json_array_elements_text($2::text::json->'n')::oid) as n
), nsp as (
  select n.oid, n.nspname from pg_namespace n
   where n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
), excluded as (
  select c.oid from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where $1::text <> '[]' and n.nspname || '.' || c.relname in (select json_array_elements_text($1::text::json))
), rel as (
  select c.oid, c.relname, c.relkind, c.relpersistence, c.relispartition, c.relrowsecurity,
         c.relforcerowsecurity, c.reloptions, c.relpartbound, n.nspname
    from pg_class c join nsp n on n.oid = c.relnamespace
   where c.relkind in ('r', 'p', 'f', 'v', 'm', 'S')
     and ${scoped ? 'c.oid = any ((select r from scope)::oid[])' : 'true'}
     and c.oid not in (select oid from excluded)
     and not exists (select 1 from pg_depend d
                      where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
     -- sequences owned by an excluded table, and identity sequences (the column says it)
     and not exists (select 1 from pg_depend d
                      where c.relkind = 'S' and d.classid = 'pg_class'::regclass and d.objid = c.oid
                        and d.refclassid = 'pg_class'::regclass
                        and (d.deptype = 'i' or (d.deptype = 'a' and d.refobjid in (select oid from excluded))))
)
select json_build_object(
  'schemas', (select coalesce(json_agg(json_build_object(
      'unit', n.oid, 'name', n.nspname,
      'comment', obj_description(n.oid, 'pg_namespace')) order by n.nspname), '[]') from nsp n
      where ${scoped ? 'n.oid = any ((select n from scope)::oid[])' : 'true'}),
  'extensions', (select coalesce(json_agg(json_build_object(
      'name', e.extname, 'version', e.extversion, 'schema', n.nspname) order by e.extname), '[]')
      from pg_extension e join pg_namespace n on n.oid = e.extnamespace),
  'relations', (select coalesce(json_agg(json_build_object(
      'unit', r.oid, 'schema', r.nspname, 'name', r.relname, 'kind', r.relkind,
      'persistence', r.relpersistence,
      'rls', case when r.relforcerowsecurity then 'forced' when r.relrowsecurity then 'enabled' end,
      'options', array_to_string(r.reloptions, ', '),
      'partitionKey', case when r.relkind = 'p' then pg_get_partkeydef(r.oid) end,
      'partitionBound', case when r.relispartition then pg_get_expr(r.relpartbound, r.oid) end,
      'parents', (select json_agg(pn.nspname || '.' || p.relname order by i.inhseqno)
                    from pg_inherits i join pg_class p on p.oid = i.inhparent
                    join pg_namespace pn on pn.oid = p.relnamespace where i.inhrelid = r.oid),
      'definition', case when r.relkind in ('v', 'm') then pg_get_viewdef(r.oid, true) end,
      'comment', obj_description(r.oid, 'pg_class')) order by r.nspname, r.relname), '[]')
      from rel r where r.relkind <> 'S'),
  'columns', (select coalesce(json_agg(json_build_object(
      'unit', r.oid, 'schema', r.nspname, 'table', r.relname, 'tableKind', r.relkind, 'name', a.attname,
      'type', format_type(a.atttypid, a.atttypmod),
      'notNull', a.attnotnull,
      'identity', a.attidentity,
      'generated', a.attgenerated,
      'expression', pg_get_expr(ad.adbin, ad.adrelid),
      'collation', case when a.attcollation <> 0 and a.attcollation <> t.typcollation
                        then (select cn.nspname || '.' || co.collname from pg_collation co
                               join pg_namespace cn on cn.oid = co.collnamespace where co.oid = a.attcollation) end,
      'comment', col_description(r.oid, a.attnum)) order by r.nspname, r.relname, a.attnum), '[]')
      from rel r
      join pg_attribute a on a.attrelid = r.oid and a.attnum > 0 and not a.attisdropped
      join pg_type t on t.oid = a.atttypid
      left join pg_attrdef ad on ad.adrelid = a.attrelid and ad.adnum = a.attnum
     where r.relkind in ('r', 'p', 'f', 'v', 'm')),
  'constraints', (select coalesce(json_agg(json_build_object(
      'unit', r.oid, 'schema', r.nspname, 'table', r.relname, 'name', co.conname,
      'definition', pg_get_constraintdef(co.oid),
      'comment', obj_description(co.oid, 'pg_constraint')) order by r.nspname, r.relname, co.conname), '[]')
      from pg_constraint co join rel r on r.oid = co.conrelid
     -- n: NOT NULL as a constraint (PostgreSQL 18); t: constraint triggers (listed as triggers)
     where co.contype in ('p', 'u', 'f', 'c', 'x')),
  'indexes', (select coalesce(json_agg(json_build_object(
      'unit', r.oid, 'schema', r.nspname, 'table', r.relname, 'tableKind', r.relkind, 'name', ic.relname,
      'definition', pg_get_indexdef(i.indexrelid),
      'valid', i.indisvalid,
      'comment', obj_description(i.indexrelid, 'pg_class')) order by r.nspname, ic.relname), '[]')
      from pg_index i join rel r on r.oid = i.indrelid join pg_class ic on ic.oid = i.indexrelid
     where not exists (select 1 from pg_constraint co
                        where co.conindid = i.indexrelid and co.conrelid = i.indrelid and co.contype in ('p', 'u', 'x'))),
  'sequences', (select coalesce(json_agg(json_build_object(
      'unit', r.oid, 'schema', r.nspname, 'name', r.relname,
      'type', format_type(s.seqtypid, null),
      'start', s.seqstart::text, 'increment', s.seqincrement::text,
      'min', s.seqmin::text, 'max', s.seqmax::text, 'cache', s.seqcache::text, 'cycle', s.seqcycle,
      'ownedBy', (select json_build_object('schema', tn.nspname, 'table', t.relname, 'kind', t.relkind, 'column', a.attname)
                    from pg_depend d join pg_class t on t.oid = d.refobjid
                    join pg_namespace tn on tn.oid = t.relnamespace
                    join pg_attribute a on a.attrelid = t.oid and a.attnum = d.refobjsubid
                   where d.classid = 'pg_class'::regclass and d.objid = r.oid and d.deptype = 'a'
                     and d.refclassid = 'pg_class'::regclass limit 1),
      'comment', obj_description(r.oid, 'pg_class')) order by r.nspname, r.relname), '[]')
      from rel r join pg_sequence s on s.seqrelid = r.oid where r.relkind = 'S'),
  'routines', (select coalesce(json_agg(json_build_object(
      'unit', p.oid, 'schema', n.nspname, 'name', p.proname, 'kind', p.prokind,
      'arguments', pg_get_function_identity_arguments(p.oid),
      'definition', case when p.prokind <> 'a' then pg_get_functiondef(p.oid) else
        (select format('AGGREGATE %s(%s) RETURNS %s (SFUNC = %s, STYPE = %s, FINALFUNC = %s, COMBINEFUNC = %s, INITCOND = %s, SORTOP = %s)',
                       p.proname, pg_get_function_arguments(p.oid), pg_get_function_result(p.oid),
                       ag.aggtransfn::regproc, format_type(ag.aggtranstype, null), ag.aggfinalfn::regproc,
                       ag.aggcombinefn::regproc, coalesce(ag.agginitval, 'NULL'), ag.aggsortop::regoperator)
           from pg_aggregate ag where ag.aggfnoid = p.oid) end,
      'comment', obj_description(p.oid, 'pg_proc')) order by n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)), '[]')
      from pg_proc p join nsp n on n.oid = p.pronamespace
     -- e: an extension's; i: made with another object (a range type's constructors)
     where ${scoped ? 'p.oid = any ((select p from scope)::oid[])' : 'true'}
       and not exists (select 1 from pg_depend d
                        where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype in ('e', 'i'))),
  'triggers', (select coalesce(json_agg(json_build_object(
      'unit', r.oid, 'schema', r.nspname, 'table', r.relname, 'tableKind', r.relkind, 'name', tg.tgname,
      'definition', pg_get_triggerdef(tg.oid),
      'enabled', tg.tgenabled,
      'comment', obj_description(tg.oid, 'pg_trigger')) order by r.nspname, r.relname, tg.tgname), '[]')
      from pg_trigger tg join rel r on r.oid = tg.tgrelid where not tg.tgisinternal),
  'types', (select coalesce(json_agg(json_build_object(
      'unit', case when t.typtype = 'c' then t.typrelid else t.oid end, 'schema', n.nspname, 'name', t.typname, 'kind', t.typtype,
      'values', case when t.typtype = 'e' then
                  (select json_agg(e.enumlabel order by e.enumsortorder) from pg_enum e where e.enumtypid = t.oid) end,
      'baseType', case when t.typtype = 'd' then format_type(t.typbasetype, t.typtypmod) end,
      'notNull', t.typnotnull,
      'default', t.typdefault,
      'constraints', case when t.typtype = 'd' then
                  (select json_agg(co.conname || ': ' || pg_get_constraintdef(co.oid) order by co.conname)
                     from pg_constraint co where co.contypid = t.oid and co.contype = 'c') end,
      'attributes', case when t.typtype = 'c' then
                  (select json_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) order by a.attnum)
                     from pg_attribute a where a.attrelid = t.typrelid and a.attnum > 0 and not a.attisdropped) end,
      'subtype', case when t.typtype = 'r' then
                  (select format_type(rg.rngsubtype, null) from pg_range rg where rg.rngtypid = t.oid) end,
      'comment', obj_description(t.oid, 'pg_type')) order by n.nspname, t.typname), '[]')
      from pg_type t join nsp n on n.oid = t.typnamespace
     -- (a composite type is its relation's unit)
     where ${scoped ? "t.oid = any ((select s.t || array(select reltype from pg_class where oid = any (s.r)) from scope s)::oid[])" : 'true'}
       and (t.typtype in ('e', 'd', 'r')
            or (t.typtype = 'c' and exists (select 1 from pg_class c where c.oid = t.typrelid and c.relkind = 'c')))
       and not exists (select 1 from pg_depend d
                        where d.classid = 'pg_type'::regclass and d.objid = t.oid and d.deptype = 'e')),
  'policies', (select coalesce(json_agg(json_build_object(
      'unit', r.oid, 'schema', r.nspname, 'table', r.relname, 'name', po.polname,
      'command', po.polcmd, 'permissive', po.polpermissive,
      'roles', (select string_agg(case when ro = 0 then 'public' else pg_get_userbyid(ro) end, ', ' order by 1)
                  from unnest(po.polroles) ro),
      'using', pg_get_expr(po.polqual, po.polrelid),
      'check', pg_get_expr(po.polwithcheck, po.polrelid)) order by r.nspname, r.relname, po.polname), '[]')
      from pg_policy po join rel r on r.oid = po.polrelid),
  'rules', (select coalesce(json_agg(json_build_object(
      'unit', r.oid, 'schema', r.nspname, 'table', r.relname, 'tableKind', r.relkind, 'name', w.rulename,
      'definition', pg_get_ruledef(w.oid)) order by r.nspname, r.relname, w.rulename), '[]')
      from pg_rewrite w join rel r on r.oid = w.ev_class where w.rulename <> '_RETURN')
)::text as doc
`
}

// ---------------------------------------------------------------------------
// Rows -> objects.

/** `unit` (every row but extensions'): the oid of the unit the row belongs to. */
interface CatalogDocument {
  schemas: { unit?: number; name: string; comment: string | null }[]
  extensions: { name: string; version: string; schema: string }[]
  relations: {
    unit?: number
    schema: string
    name: string
    kind: string
    persistence: string
    rls: string | null
    options: string | null
    partitionKey: string | null
    partitionBound: string | null
    parents: string[] | null
    definition: string | null
    comment: string | null
  }[]
  columns: {
    unit?: number
    schema: string
    table: string
    tableKind: string
    name: string
    type: string
    notNull: boolean
    identity: string
    generated: string
    expression: string | null
    collation: string | null
    comment: string | null
  }[]
  constraints: { unit?: number; schema: string; table: string; name: string; definition: string; comment: string | null }[]
  indexes: {
    unit?: number
    schema: string
    table: string
    tableKind: string
    name: string
    definition: string
    valid: boolean
    comment: string | null
  }[]
  sequences: {
    unit?: number
    schema: string
    name: string
    type: string
    start: string
    increment: string
    min: string
    max: string
    cache: string
    cycle: boolean
    ownedBy: { schema: string; table: string; kind: string; column: string } | null
    comment: string | null
  }[]
  routines: { unit?: number; schema: string; name: string; kind: string; arguments: string; definition: string | null; comment: string | null }[]
  triggers: {
    unit?: number
    schema: string
    table: string
    tableKind: string
    name: string
    definition: string
    enabled: string
    comment: string | null
  }[]
  types: {
    unit?: number
    schema: string
    name: string
    kind: string
    values: string[] | null
    baseType: string | null
    notNull: boolean
    default: string | null
    constraints: string[] | null
    attributes: string[] | null
    subtype: string | null
    comment: string | null
  }[]
  policies: {
    unit?: number
    schema: string
    table: string
    name: string
    command: string
    permissive: boolean
    roles: string | null
    using: string | null
    check: string | null
  }[]
  rules: { unit?: number; schema: string; table: string; tableKind: string; name: string; definition: string }[]
}

function push(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key)
  if (list) list.push(value)
  else map.set(key, [value])
}

/** `listings` in public, `billing.invoices` elsewhere. */
function qualify(schema: string, name: string): string {
  return schema === 'public' ? name : `${schema}.${name}`
}

const RELATION_KINDS: Record<string, ObjectKind> = {
  r: 'table',
  p: 'table',
  f: 'table',
  v: 'view',
  m: 'materialized view',
}

const TABLE_KINDS: Record<string, string> = { r: 'table', p: 'partitioned table', f: 'foreign table' }
const ROUTINE_KINDS: Record<string, ObjectKind> = { f: 'function', w: 'function', p: 'procedure', a: 'aggregate' }
const TYPE_KINDS: Record<string, ObjectKind> = { e: 'enum type', d: 'domain', c: 'composite type', r: 'range type' }
const TRIGGER_STATES: Record<string, string> = { O: 'enabled', D: 'disabled', R: 'enabled on replica only', A: 'enabled always' }
const POLICY_COMMANDS: Record<string, string> = { r: 'SELECT', a: 'INSERT', w: 'UPDATE', d: 'DELETE', '*': 'ALL' }

/**
 * Pure: the catalog document as a {@link Schema}; `units` (when given) gets
 * each object's key -> its unit. Exported for tests.
 */
export function buildSchema(doc: CatalogDocument, units?: Map<string, string>): Schema {
  const objects: Record<string, SchemaObject> = {}
  let unit = ''
  const add = (kind: ObjectKind, name: string, attributes: Record<string, AttributeValue>, owner?: string) => {
    const key = objectKey(kind, name)
    objects[key] = owner === undefined ? { kind, name, attributes } : { kind, name, owner, attributes }
    units?.set(key, unit)
  }
  /** Sets the unit of the objects the next add() makes. */
  const from = (prefix: string, row: { unit?: number }) => {
    unit = prefix + String(row.unit)
  }
  const relationKey = (schema: string, table: string, kind: string) => objectKey(RELATION_KINDS[kind] ?? 'table', qualify(schema, table))

  for (const s of doc.schemas) {
    from('n', s)
    add('schema', s.name, { comment: s.comment })
  }
  unit = 'x'
  for (const e of doc.extensions) add('extension', e.name, { version: e.version, schema: e.schema })

  const columnOrder = new Map<string, string[]>()
  const viewColumnComments = new Map<string, string[]>()
  for (const c of doc.columns) {
    const table = qualify(c.schema, c.table)
    const owner = relationKey(c.schema, c.table, c.tableKind)
    // A view's columns follow from its definition: only their comments are
    // its own, kept on the view (a column object per view column would
    // repeat every definition change once per column).
    if (c.tableKind === 'v' || c.tableKind === 'm') {
      if (c.comment !== null) push(viewColumnComments, owner, `${c.name}: ${c.comment}`)
      continue
    }
    push(columnOrder, owner, c.name)
    from('r', c)
    // The expression of a generated column is its generation expression, not a default.
    const generated = c.generated === 's' ? 'STORED' : c.generated === 'v' ? 'VIRTUAL' : undefined
    add(
      'column',
      `${table}.${c.name}`,
      {
        type: c.type,
        nullability: c.notNull ? 'NOT NULL' : 'NULL',
        default: generated ? null : c.expression,
        identity: c.identity === 'a' ? 'GENERATED ALWAYS' : c.identity === 'd' ? 'GENERATED BY DEFAULT' : null,
        generated: generated ? `${c.expression} ${generated}` : null,
        collation: c.collation,
        comment: c.comment,
      },
      owner,
    )
  }

  for (const r of doc.relations) {
    from('r', r)
    const kind = RELATION_KINDS[r.kind] ?? 'table'
    const name = qualify(r.schema, r.name)
    const key = objectKey(kind, name)
    if (kind === 'table') {
      add(kind, name, {
        kind: TABLE_KINDS[r.kind] ?? r.kind,
        persistence: r.persistence === 'u' ? 'UNLOGGED' : 'LOGGED',
        'partition key': r.partitionKey,
        'partition bound': r.partitionBound,
        parents: r.parents ?? [],
        'row level security': r.rls ?? 'disabled',
        options: r.options || null,
        'column order': columnOrder.get(key) ?? [],
        comment: r.comment,
      })
    } else {
      add(kind, name, {
        definition: r.definition,
        options: r.options || null,
        'column comments': viewColumnComments.get(key) ?? [],
        comment: r.comment,
      })
    }
  }

  for (const c of doc.constraints) {
    from('r', c)
    const table = qualify(c.schema, c.table)
    add('constraint', `${c.name} on ${table}`, { definition: c.definition, comment: c.comment }, objectKey('table', table))
  }
  for (const i of doc.indexes) {
    from('r', i)
    add(
      'index',
      qualify(i.schema, i.name),
      { definition: i.definition, validity: i.valid ? 'valid' : 'INVALID', comment: i.comment },
      relationKey(i.schema, i.table, i.tableKind),
    )
  }
  for (const s of doc.sequences) {
    from('r', s)
    const o = s.ownedBy
    add(
      'sequence',
      qualify(s.schema, s.name),
      {
        type: s.type,
        start: s.start,
        increment: s.increment,
        minimum: s.min,
        maximum: s.max,
        cache: s.cache,
        cycle: s.cycle ? 'CYCLE' : 'NO CYCLE',
        'owned by': o ? `${qualify(o.schema, o.table)}.${o.column}` : null,
        comment: s.comment,
      },
      o ? relationKey(o.schema, o.table, o.kind) : undefined,
    )
  }
  for (const r of doc.routines) {
    from('p', r)
    add(ROUTINE_KINDS[r.kind] ?? 'function', `${qualify(r.schema, r.name)}(${r.arguments})`, {
      definition: r.definition,
      comment: r.comment,
    })
  }
  for (const t of doc.triggers) {
    from('r', t)
    add(
      'trigger',
      `${t.name} on ${qualify(t.schema, t.table)}`,
      { definition: t.definition, state: TRIGGER_STATES[t.enabled] ?? t.enabled, comment: t.comment },
      relationKey(t.schema, t.table, t.tableKind),
    )
  }
  for (const t of doc.types) {
    const kind = TYPE_KINDS[t.kind]
    if (!kind) continue
    from(kind === 'composite type' ? 'r' : 't', t)
    const name = qualify(t.schema, t.name)
    if (kind === 'enum type') add(kind, name, { values: t.values ?? [], comment: t.comment })
    else if (kind === 'domain') {
      add(kind, name, {
        'base type': t.baseType,
        nullability: t.notNull ? 'NOT NULL' : 'NULL',
        default: t.default,
        constraints: t.constraints ?? [],
        comment: t.comment,
      })
    } else if (kind === 'composite type') add(kind, name, { attributes: t.attributes ?? [], comment: t.comment })
    else add(kind, name, { subtype: t.subtype, comment: t.comment })
  }
  for (const p of doc.policies) {
    from('r', p)
    const table = qualify(p.schema, p.table)
    add(
      'policy',
      `${p.name} on ${table}`,
      {
        command: POLICY_COMMANDS[p.command] ?? p.command,
        mode: p.permissive ? 'PERMISSIVE' : 'RESTRICTIVE',
        roles: p.roles,
        using: p.using,
        'with check': p.check,
      },
      objectKey('table', table),
    )
  }
  for (const r of doc.rules) {
    from('r', r)
    add('rule', `${r.name} on ${qualify(r.schema, r.table)}`, { definition: r.definition }, relationKey(r.schema, r.table, r.tableKind))
  }
  return { objects }
}
