/**
 * What the linter knows about the schema at a point in the migration
 * sequence, from the statements before it: which tables are new (created by
 * an earlier pending migration or earlier in the same file, so they hold no
 * production rows and no running code uses them), which table an index
 * belongs to, and which `col IS NOT NULL` checks are validated.
 *
 * Immutable: {@link Known.after} returns a new value when a statement
 * changes something, so every statement keeps the state it runs in.
 */
import type { Node } from 'libpg-query'
import { as, names, tableFromNames, tableOf, type TableName } from './ast.js'

interface CheckInfo {
  table: TableName
  column: string
}

/** The linter's knowledge of the schema before one statement. */
export class Known {
  /** Table name -> schemas it was created in ('' when unqualified). */
  readonly #tables: ReadonlyMap<string, readonly string[]>
  /** Index name -> its table, for indexes the migrations create. */
  readonly #indexes: ReadonlyMap<string, TableName>
  /** Constraint name -> the `column IS NOT NULL` check it is (not validated yet). */
  readonly #checks: ReadonlyMap<string, CheckInfo>
  /** `table\0column` with a validated `IS NOT NULL` check. */
  readonly #validNotNull: ReadonlySet<string>

  constructor(
    tables: ReadonlyMap<string, readonly string[]> = new Map(),
    indexes: ReadonlyMap<string, TableName> = new Map(),
    checks: ReadonlyMap<string, CheckInfo> = new Map(),
    validNotNull: ReadonlySet<string> = new Set(),
  ) {
    this.#tables = tables
    this.#indexes = indexes
    this.#checks = checks
    this.#validNotNull = validNotNull
  }

  /** Nothing known: every table is an existing one. */
  static readonly empty = new Known()

  /**
   * True when the table was created by the migrations before this point.
   * An unqualified name on either side matches any schema (search_path
   * decides at run time; guessing "existing" there would flag tables the
   * file just created).
   */
  isNew(t: TableName): boolean {
    const schemas = this.#tables.get(t.name)
    if (!schemas) return false
    return t.schema === undefined || schemas.includes('') || schemas.includes(t.schema)
  }

  /** The table of an index the migrations created, when known. */
  tableOfIndex(index: string): TableName | undefined {
    return this.#indexes.get(index)
  }

  /** True when a validated `CHECK (column IS NOT NULL)` exists, so SET NOT NULL skips its scan (PostgreSQL 12+). */
  hasValidNotNullCheck(t: TableName, column: string): boolean {
    return this.#validNotNull.has(`${t.name}\0${column}`)
  }

  /** The state after `node` ran; `this` when the statement changes nothing tracked. */
  after(node: Node): Known {
    const created = createdTable(node)
    if (created) return this.#with({ addTable: created })

    const drop = as(node, 'DropStmt')
    if (drop && (drop.removeType === 'OBJECT_TABLE' || drop.removeType === 'OBJECT_MATVIEW')) {
      const gone = (drop.objects ?? []).map((o) => tableFromNames(names(as(o, 'List')?.items)))
      return this.#with({ dropTables: gone })
    }

    const rename = as(node, 'RenameStmt')
    if (rename?.relation && rename.newname) {
      const from = tableOf(rename.relation)
      if ((rename.renameType === 'OBJECT_TABLE' || rename.renameType === 'OBJECT_MATVIEW') && this.isNew(from)) {
        return this.#with({ dropTables: [from], addTable: { ...from, name: rename.newname } })
      }
      if (rename.renameType === 'OBJECT_INDEX') {
        const table = this.#indexes.get(from.name)
        if (table) return this.#with({ dropIndex: from.name, addIndex: [rename.newname, table] })
      }
      return this
    }

    const index = as(node, 'IndexStmt')
    if (index?.relation && index.idxname) return this.#with({ addIndex: [index.idxname, tableOf(index.relation)] })

    const alter = as(node, 'AlterTableStmt')
    if (alter?.relation) {
      const table = tableOf(alter.relation)
      const checks: [string, CheckInfo][] = []
      const valid: string[] = []
      for (const c of alter.cmds ?? []) {
        const cmd = as(c, 'AlterTableCmd')
        if (cmd?.subtype === 'AT_AddConstraint') {
          const con = as(cmd.def, 'Constraint')
          const column = con?.contype === 'CONSTR_CHECK' ? notNullColumn(con.raw_expr) : undefined
          if (column === undefined) continue
          if (con?.skip_validation !== true) valid.push(column)
          else if (con.conname) checks.push([con.conname, { table, column }])
        } else if (cmd?.subtype === 'AT_ValidateConstraint' && cmd.name) {
          const check = this.#checks.get(cmd.name)
          if (check && check.table.name === table.name) valid.push(check.column)
        }
      }
      if (checks.length > 0 || valid.length > 0) return this.#with({ checks, valid: valid.map((col) => `${table.name}\0${col}`) })
    }
    return this
  }

  #with(change: {
    addTable?: TableName
    dropTables?: TableName[]
    addIndex?: [string, TableName]
    dropIndex?: string
    checks?: [string, CheckInfo][]
    valid?: string[]
  }): Known {
    let tables = this.#tables
    if (change.dropTables || change.addTable) {
      const next = new Map(tables)
      for (const t of change.dropTables ?? []) {
        const left = (next.get(t.name) ?? []).filter((s) => t.schema !== undefined && s !== '' && s !== t.schema)
        if (left.length > 0) next.set(t.name, left)
        else next.delete(t.name)
      }
      if (change.addTable) {
        const schema = change.addTable.schema ?? ''
        const has = next.get(change.addTable.name) ?? []
        if (!has.includes(schema)) next.set(change.addTable.name, [...has, schema])
      }
      tables = next
    }
    let indexes = this.#indexes
    if (change.addIndex || change.dropIndex) {
      const next = new Map(indexes)
      if (change.dropIndex) next.delete(change.dropIndex)
      if (change.addIndex) next.set(change.addIndex[0], change.addIndex[1])
      indexes = next
    }
    const checks = change.checks?.length ? new Map([...this.#checks, ...change.checks]) : this.#checks
    const valid = change.valid?.length ? new Set([...this.#validNotNull, ...change.valid]) : this.#validNotNull
    return new Known(tables, indexes, checks, valid)
  }
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
