/**
 * What the linter knows about the schema at a point in the migration
 * sequence, from the statements before it: which tables are new (created
 * earlier in the same migration, or by a migration of the batch not yet
 * deployed, so they hold no production rows and no running code uses
 * them), which table an index belongs to, the type of each column, and
 * which `col IS NOT NULL` checks are validated.
 *
 * Every statement keeps the state it runs in, so the state must be cheap to
 * keep: facts live on one shared {@link Timeline}, each stamped with when
 * it became true (and when it stopped), and a {@link Known} is just a point
 * on it. Copying the state per statement instead made 1,000 migrations
 * quadratic. Files whose effects must not reach later files (down files,
 * migrations taken as applied) write on a branch only they see.
 */
import type { Node } from 'libpg-query'
import type { TypeName } from 'libpg-query'
import { as, intValue, names, tableFromNames, tableOf, type TableName } from './ast.js'

interface CheckInfo {
  table: TableName
  column: string
}

/** A table some statement created: by which migration, and whether that migration is in the new batch. */
interface TableInfo {
  schema: string // '' when unqualified
  unit: number
  batch: boolean
}

/** A column's type as written: `varchar` with modifiers `[120]`, `numeric` `[10, 2]`, `text` `[]`. */
export interface ColumnType {
  /** Canonical lower-case name (`pg_catalog.` dropped, aliases resolved: `character varying` -> `varchar`). */
  name: string
  /** Integer modifiers; undefined when one is not a plain integer. */
  mods: number[] | undefined
  /** An array type (`text[]`). */
  array: boolean
}

/** A fact, true from `from` on (on `branch` only, when set), until removed. */
interface Entry<V> {
  value: V
  from: number
  branch?: number
  removed?: { at: number; branch?: number }[]
}

/** A key -> facts store read at a point of the timeline. */
class Facts<V> {
  readonly #map = new Map<string, Entry<V>[]>()

  /** The values of `key` visible from `at` on `branch`. */
  get(key: string, at: number, branch: number | undefined): V[] {
    const out: V[] = []
    for (const e of this.#map.get(key) ?? []) if (visible(e, at, branch)) out.push(e.value)
    return out
  }

  add(key: string, value: V, at: number, branch: number | undefined): void {
    const list = this.#map.get(key)
    const entry: Entry<V> = branch === undefined ? { value, from: at } : { value, from: at, branch }
    if (list) list.push(entry)
    else this.#map.set(key, [entry])
  }

  /** Ends the visible values of `key` that `match`, from `at` on `branch`. */
  remove(key: string, at: number, branch: number | undefined, match: (v: V) => boolean = () => true): void {
    for (const e of this.#map.get(key) ?? []) {
      if (visible(e, at, branch) && match(e.value)) (e.removed ??= []).push(branch === undefined ? { at } : { at, branch })
    }
  }
}

function onBranch(owner: number | undefined, branch: number | undefined): boolean {
  return owner === undefined || owner === branch
}

function visible(e: Entry<unknown>, at: number, branch: number | undefined): boolean {
  if (e.from > at || !onBranch(e.branch, branch)) return false
  return !e.removed?.some((r) => r.at <= at && onBranch(r.branch, branch))
}

/** The shared store of every fact the statements establish, in run order. */
export class Timeline {
  /** The last point in time; every change moves it on. */
  now = 0
  #branches = 0
  readonly tables = new Facts<TableInfo>() // table name -> who created it
  readonly indexes = new Facts<TableName>() // index name -> table
  readonly checks = new Facts<CheckInfo>() // constraint name -> its `col IS NOT NULL` check
  readonly validNotNull = new Facts<true>() // `table\0column`
  readonly columns = new Facts<ColumnType>() // `table\0column` -> its type

  /**
   * The state now, on the main line (what later files inherit), for a
   * statement of migration `unit`; `batch`: that migration is not yet
   * deployed, so what it creates is new for later migrations too.
   */
  main(unit: number, batch: boolean): Known {
    return new Known(this, this.now, undefined, unit, batch)
  }

  /** The same on a new branch: what it learns stays on it (a down file). */
  branch(unit: number, batch: boolean): Known {
    return new Known(this, this.now, ++this.#branches, unit, batch)
  }
}

/** The linter's knowledge of the schema before one statement. */
export class Known {
  readonly #tl: Timeline
  readonly #at: number
  readonly #branch: number | undefined
  readonly #unit: number
  readonly #batch: boolean

  constructor(tl: Timeline, at: number, branch: number | undefined, unit: number, batch: boolean) {
    this.#tl = tl
    this.#at = at
    this.#branch = branch
    this.#unit = unit
    this.#batch = batch
  }

  /**
   * True when the table is new: created earlier in this migration, or by a
   * migration of the batch not yet deployed. A table an earlier, deployed
   * migration created is an existing table with rows. An unqualified name
   * on either side matches any schema (search_path decides at run time;
   * guessing "existing" there would flag tables the file just created).
   */
  isNew(t: TableName): boolean {
    return this.#tl.tables.get(t.name, this.#at, this.#branch).some((e) => sameSchema(t, e.schema) && (e.batch || e.unit === this.#unit))
  }

  /** The type of `table.column` as the migrations before this point left it, when known. */
  columnType(t: TableName, column: string): ColumnType | undefined {
    return this.#tl.columns.get(`${t.name}\0${column}`, this.#at, this.#branch).pop()
  }

  /** The table of an index the migrations created, when known. */
  tableOfIndex(index: string): TableName | undefined {
    return this.#tl.indexes.get(index, this.#at, this.#branch).pop()
  }

  /** True when a validated `CHECK (column IS NOT NULL)` exists, so SET NOT NULL skips its scan (PostgreSQL 12+). */
  hasValidNotNullCheck(t: TableName, column: string): boolean {
    return this.#tl.validNotNull.get(`${t.name}\0${column}`, this.#at, this.#branch).length > 0
  }

  /**
   * The state after `node` ran; `this` when the statement changes nothing
   * tracked. Must be called on the latest state of its branch (statements
   * are read in run order).
   */
  after(node: Node): Known {
    const tl = this.#tl
    const at = tl.now + 1
    const b = this.#branch
    let changed = true

    const created = createdTable(node)
    const drop = as(node, 'DropStmt')
    const rename = as(node, 'RenameStmt')
    const index = as(node, 'IndexStmt')
    const alter = as(node, 'AlterTableStmt')
    if (created) {
      tl.tables.add(created.name, { schema: created.schema ?? '', unit: this.#unit, batch: this.#batch }, at, b)
      for (const [column, type] of createdColumns(node)) tl.columns.add(`${created.name}\0${column}`, type, at, b)
    } else if (drop && (drop.removeType === 'OBJECT_TABLE' || drop.removeType === 'OBJECT_MATVIEW')) {
      for (const o of drop.objects ?? []) {
        const t = tableFromNames(names(as(o, 'List')?.items))
        tl.tables.remove(t.name, at, b, (e) => sameSchema(t, e.schema))
      }
    } else if (rename?.relation && rename.newname && (rename.renameType === 'OBJECT_TABLE' || rename.renameType === 'OBJECT_MATVIEW')) {
      const from = tableOf(rename.relation)
      const entries = tl.tables.get(from.name, this.#at, b).filter((e) => sameSchema(from, e.schema))
      if (entries.length === 0) return this
      tl.tables.remove(from.name, at, b, (e) => sameSchema(from, e.schema))
      for (const e of entries) tl.tables.add(rename.newname, e, at, b)
    } else if (rename?.relation && rename.newname && rename.renameType === 'OBJECT_COLUMN' && rename.subname) {
      const t = tableOf(rename.relation)
      const type = this.columnType(t, rename.subname)
      if (!type) return this
      tl.columns.remove(`${t.name}\0${rename.subname}`, at, b)
      tl.columns.add(`${t.name}\0${rename.newname}`, type, at, b)
    } else if (rename?.relation && rename.newname && rename.renameType === 'OBJECT_INDEX') {
      const table = this.tableOfIndex(rename.relation.relname ?? '')
      if (!table) return this
      tl.indexes.remove(rename.relation.relname ?? '', at, b)
      tl.indexes.add(rename.newname, table, at, b)
    } else if (index?.relation && index.idxname) {
      tl.indexes.remove(index.idxname, at, b)
      tl.indexes.add(index.idxname, tableOf(index.relation), at, b)
    } else if (alter?.relation) {
      const table = tableOf(alter.relation)
      const columns = this.#columns(table, alter.cmds ?? [], at)
      changed = this.#constraints(table, alter.cmds ?? [], at) || columns
    } else {
      changed = false
    }
    if (!changed) return this
    tl.now = at
    return new Known(tl, at, b, this.#unit, this.#batch)
  }

  /** Records the columns added, retyped and dropped; true when any was. */
  #columns(table: TableName, cmds: Node[], at: number): boolean {
    const tl = this.#tl
    const b = this.#branch
    let changed = false
    for (const c of cmds) {
      const cmd = as(c, 'AlterTableCmd')
      const key = `${table.name}\0${cmd?.name ?? ''}`
      if (cmd?.subtype === 'AT_AddColumn') {
        const def = as(cmd.def, 'ColumnDef')
        const type = def?.colname ? columnType(def.typeName) : undefined
        if (!def?.colname || !type) continue
        tl.columns.remove(`${table.name}\0${def.colname}`, at, b)
        tl.columns.add(`${table.name}\0${def.colname}`, type, at, b)
      } else if (cmd?.subtype === 'AT_AlterColumnType' && cmd.name) {
        tl.columns.remove(key, at, b)
        const type = columnType(as(cmd.def, 'ColumnDef')?.typeName)
        if (type) tl.columns.add(key, type, at, b)
      } else if (cmd?.subtype === 'AT_DropColumn' && cmd.name) {
        tl.columns.remove(key, at, b)
      } else continue
      changed = true
    }
    return changed
  }

  /** Records `col IS NOT NULL` checks added and validated; true when any was. */
  #constraints(table: TableName, cmds: Node[], at: number): boolean {
    const tl = this.#tl
    const b = this.#branch
    let changed = false
    for (const c of cmds) {
      const cmd = as(c, 'AlterTableCmd')
      if (cmd?.subtype === 'AT_AddConstraint') {
        const con = as(cmd.def, 'Constraint')
        const column = con?.contype === 'CONSTR_CHECK' ? notNullColumn(con.raw_expr) : undefined
        if (column === undefined) continue
        if (con?.skip_validation !== true) tl.validNotNull.add(`${table.name}\0${column}`, true, at, b)
        else if (con.conname) tl.checks.add(con.conname, { table, column }, at, b)
        changed = true
      } else if (cmd?.subtype === 'AT_ValidateConstraint' && cmd.name) {
        const check = tl.checks.get(cmd.name, this.#at, b).pop()
        if (check && check.table.name === table.name) {
          tl.validNotNull.add(`${table.name}\0${check.column}`, true, at, b)
          changed = true
        }
      }
    }
    return changed
  }
}

/** Whether a table written as `t` can be the one created in schema `created` ('' = unqualified). */
function sameSchema(t: TableName, created: string): boolean {
  return t.schema === undefined || created === '' || created === t.schema
}

/**
 * The table a statement creates: CREATE TABLE (also `IF NOT EXISTS`: the
 * migration means to create it), CREATE TABLE AS, CREATE MATERIALIZED VIEW,
 * SELECT ... INTO, and CREATE VIEW (a new name nobody reads yet).
 */
export function createdTable(node: Node): TableName | undefined {
  const create = as(node, 'CreateStmt')
  if (create?.relation) return tableOf(create.relation)
  const ctas = as(node, 'CreateTableAsStmt')
  if (ctas?.into?.rel) return tableOf(ctas.into.rel)
  const select = as(node, 'SelectStmt')
  if (select?.intoClause?.rel) return tableOf(select.intoClause.rel)
  const view = as(node, 'ViewStmt')
  if (view?.view && view.replace !== true) return tableOf(view.view)
  return undefined
}

/** The column of a `column IS NOT NULL` expression, else undefined. */
function notNullColumn(expr: Node | undefined): string | undefined {
  const test = as(expr, 'NullTest')
  if (test?.nulltesttype !== 'IS_NOT_NULL') return undefined
  const fields = names(as(test.arg, 'ColumnRef')?.fields)
  return fields.length === 1 ? fields[0] : undefined
}

/** The columns a CREATE TABLE defines, with their types. */
function createdColumns(node: Node): [string, ColumnType][] {
  const out: [string, ColumnType][] = []
  for (const elt of as(node, 'CreateStmt')?.tableElts ?? []) {
    const def = as(elt, 'ColumnDef')
    const type = columnType(def?.typeName)
    if (def?.colname && type) out.push([def.colname, type])
  }
  return out
}

/** Aliases PostgreSQL's grammar does not already resolve. */
const TYPE_ALIASES: Record<string, string> = {
  'character varying': 'varchar',
  character: 'bpchar',
  char: 'bpchar',
  decimal: 'numeric',
  'bit varying': 'varbit',
  timestamp: 'timestamp',
  'timestamp without time zone': 'timestamp',
  'timestamp with time zone': 'timestamptz',
  'time without time zone': 'time',
  'time with time zone': 'timetz',
}

/** A TypeName as the linter compares it, or undefined for a %TYPE reference. */
export function columnType(t: TypeName | undefined): ColumnType | undefined {
  if (!t?.names || t.pct_type) return undefined
  const parts = names(t.names)
  const raw = (parts[0] === 'pg_catalog' ? parts.slice(1) : parts).join('.').toLowerCase()
  const mods = (t.typmods ?? []).map((m) => intValue(m))
  return {
    name: TYPE_ALIASES[raw] ?? raw,
    mods: mods.every((m) => m !== undefined) ? (mods as number[]) : undefined,
    array: (t.arrayBounds?.length ?? 0) > 0,
  }
}
