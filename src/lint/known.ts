/**
 * What the linter knows about the schema at a point in the migration
 * sequence, from the statements before it: which tables are new (created by
 * an earlier pending migration or earlier in the same file, so they hold no
 * production rows and no running code uses them), which table an index
 * belongs to, and which `col IS NOT NULL` checks are validated.
 *
 * Every statement keeps the state it runs in, so the state must be cheap to
 * keep: facts live on one shared {@link Timeline}, each stamped with when
 * it became true (and when it stopped), and a {@link Known} is just a point
 * on it. Copying the state per statement instead made 1,000 migrations
 * quadratic. Files whose effects must not reach later files (down files,
 * migrations taken as applied) write on a branch only they see.
 */
import type { Node } from 'libpg-query'
import { as, names, tableFromNames, tableOf, type TableName } from './ast.js'

interface CheckInfo {
  table: TableName
  column: string
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
  readonly tables = new Facts<string>() // name -> schema ('' when unqualified)
  readonly indexes = new Facts<TableName>() // index name -> table
  readonly checks = new Facts<CheckInfo>() // constraint name -> its `col IS NOT NULL` check
  readonly validNotNull = new Facts<true>() // `table\0column`

  /** The state now, on the main line (what later files inherit). */
  main(): Known {
    return new Known(this, this.now, undefined)
  }

  /** The state now, on a new branch: what it learns stays on it. */
  branch(): Known {
    return new Known(this, this.now, ++this.#branches)
  }
}

/** The linter's knowledge of the schema before one statement. */
export class Known {
  readonly #tl: Timeline
  readonly #at: number
  readonly #branch: number | undefined

  constructor(tl: Timeline, at: number, branch: number | undefined) {
    this.#tl = tl
    this.#at = at
    this.#branch = branch
  }

  /**
   * True when the table was created by the migrations before this point.
   * An unqualified name on either side matches any schema (search_path
   * decides at run time; guessing "existing" there would flag tables the
   * file just created).
   */
  isNew(t: TableName): boolean {
    return this.#tl.tables.get(t.name, this.#at, this.#branch).some((s) => sameSchema(t, s))
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
      tl.tables.add(created.name, created.schema ?? '', at, b)
    } else if (drop && (drop.removeType === 'OBJECT_TABLE' || drop.removeType === 'OBJECT_MATVIEW')) {
      for (const o of drop.objects ?? []) {
        const t = tableFromNames(names(as(o, 'List')?.items))
        tl.tables.remove(t.name, at, b, (s) => sameSchema(t, s))
      }
    } else if (rename?.relation && rename.newname && (rename.renameType === 'OBJECT_TABLE' || rename.renameType === 'OBJECT_MATVIEW')) {
      const from = tableOf(rename.relation)
      if (!this.isNew(from)) return this
      tl.tables.remove(from.name, at, b, (s) => sameSchema(from, s))
      tl.tables.add(rename.newname, from.schema ?? '', at, b)
    } else if (rename?.relation && rename.newname && rename.renameType === 'OBJECT_INDEX') {
      const table = this.tableOfIndex(rename.relation.relname ?? '')
      if (!table) return this
      tl.indexes.remove(rename.relation.relname ?? '', at, b)
      tl.indexes.add(rename.newname, table, at, b)
    } else if (index?.relation && index.idxname) {
      tl.indexes.remove(index.idxname, at, b)
      tl.indexes.add(index.idxname, tableOf(index.relation), at, b)
    } else if (alter?.relation) {
      changed = this.#constraints(tableOf(alter.relation), alter.cmds ?? [], at)
    } else {
      changed = false
    }
    if (!changed) return this
    tl.now = at
    return new Known(tl, at, b)
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
