/**
 * `not-null-without-default`: `ADD COLUMN ... NOT NULL` (or `PRIMARY KEY`)
 * without a default, on a table that exists in production. Every existing
 * row would get NULL, so PostgreSQL refuses it as soon as the table has a
 * row; and the running version's INSERTs, which do not know the column,
 * would fail after it.
 */
import type { ColumnDef, Node } from 'libpg-query'
import { alterTable } from '../alter.js'
import { as, columnOf, names } from '../ast.js'
import { parsedStatements } from '../model.js'
import type { LintRule } from '../types.js'

/** The `not-null-without-default` rule (error); documented in README.md#not-null-without-default. */
export const notNullWithoutDefault: LintRule = {
  id: 'not-null-without-default',
  severity: 'error',
  docs: 'Add the column with a DEFAULT (constant defaults are instant since PostgreSQL 11), or nullable and backfill',
  why: 'Existing rows would be NULL, so PostgreSQL refuses it on a table with rows; and the running version\'s INSERTs, which do not know the column, would fail after it. Also `ADD COLUMN ... PRIMARY KEY`.',
  check(ctx) {
    for (const { file, stmt } of parsedStatements(ctx.files)) {
      const alter = alterTable(file, stmt)
      if (!alter || stmt.known.isNew(alter.table)) continue
      for (const { cmd, offset } of alter.actions) {
        const col = cmd.subtype === 'AT_AddColumn' ? as(cmd.def, 'ColumnDef') : undefined
        if (!col || !requiresValue(col) || fillsItself(col)) continue
        ctx.report(
          { file, statement: stmt, offset },
          `ADD COLUMN ${columnOf(alter.table, col.colname)} is NOT NULL without a default: it fails on a table with rows, and the running version's INSERTs fail after it`,
        )
      }
    }
  },
}

const constraintsOf = (col: ColumnDef) => (col.constraints ?? []).flatMap((c: Node) => as(c, 'Constraint') ?? [])

/** NOT NULL or PRIMARY KEY. */
function requiresValue(col: ColumnDef): boolean {
  return constraintsOf(col).some((c) => c.contype === 'CONSTR_NOTNULL' || c.contype === 'CONSTR_PRIMARY')
}

const SERIAL = new Set(['serial', 'serial2', 'serial4', 'serial8', 'smallserial', 'bigserial'])

/** A non-NULL default, an identity, a generated expression, or a serial type fills existing rows. */
function fillsItself(col: ColumnDef): boolean {
  const typeName = names(col.typeName?.names).pop() ?? ''
  if (SERIAL.has(typeName)) return true
  return constraintsOf(col).some(
    (c) =>
      (c.contype === 'CONSTR_DEFAULT' && as(c.raw_expr, 'A_Const')?.isnull !== true) ||
      c.contype === 'CONSTR_IDENTITY' ||
      c.contype === 'CONSTR_GENERATED',
  )
}
