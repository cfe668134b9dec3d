/**
 * `non-idempotent`: a statement that fails when run twice, in a file that
 * runs without a transaction. Such a file is not atomic: if a statement
 * fails (or the runner dies before recording it), nothing is recorded and
 * the next `up` runs the whole file again, so every statement must survive
 * a second run: `CREATE ... IF NOT EXISTS`, `DROP ... IF EXISTS`, `CREATE OR
 * REPLACE`. (`up` drops the INVALID leftover of a failed `CREATE INDEX
 * CONCURRENTLY` itself, but not an index that was built.)
 */
import type { Node } from 'libpg-query'
import { as } from '../ast.js'
import { parsedStatements } from '../model.js'
import type { LintRule } from '../types.js'

/** The `non-idempotent` rule (warning); documented in README.md#non-idempotent. */
export const nonIdempotent: LintRule = {
  id: 'non-idempotent',
  severity: 'warning',
  docs: 'In files that run without a transaction, write IF NOT EXISTS / IF EXISTS / OR REPLACE so a re-run succeeds',
  why: 'A file that runs without a transaction is not atomic: after a failure (or a runner killed before it recorded the file) nothing is recorded and the next `up` runs the whole file again, so each statement must survive a second run. (`up` drops the INVALID leftover of a failed `CREATE INDEX CONCURRENTLY` itself, not an index that was built.)',
  check(ctx) {
    for (const { file, stmt, node } of parsedStatements(ctx.files)) {
      if (file.transactional) continue
      for (const problem of problems(node)) {
        ctx.report({ file, statement: stmt }, `${problem}: this file runs without a transaction and is run again whole after a failure`)
      }
    }
  },
}

/** What makes the statement fail on a second run, if anything. */
function problems(node: Node): string[] {
  const index = as(node, 'IndexStmt')
  if (index) {
    if (!index.idxname) return ['CREATE INDEX without a name creates another index on each run: name it and add IF NOT EXISTS']
    return index.if_not_exists ? [] : [`CREATE INDEX ${index.idxname} without IF NOT EXISTS`]
  }
  const drop = as(node, 'DropStmt')
  if (drop) return drop.missing_ok ? [] : [`DROP ${kindOf(drop.removeType)} without IF EXISTS`]
  const creates: [unknown, string][] = [
    [as(node, 'CreateStmt'), 'CREATE TABLE'],
    [as(node, 'CreateSeqStmt'), 'CREATE SEQUENCE'],
    [as(node, 'CreateSchemaStmt'), 'CREATE SCHEMA'],
    [as(node, 'CreateExtensionStmt'), 'CREATE EXTENSION'],
    [as(node, 'CreateTableAsStmt'), 'CREATE TABLE AS'],
  ]
  for (const [n, what] of creates) {
    if (n !== undefined) return (n as { if_not_exists?: boolean }).if_not_exists ? [] : [`${what} without IF NOT EXISTS`]
  }
  const view = as(node, 'ViewStmt')
  if (view) return view.replace ? [] : ['CREATE VIEW without OR REPLACE']
  const fn = as(node, 'CreateFunctionStmt')
  if (fn) return fn.replace ? [] : [`CREATE ${fn.is_procedure ? 'PROCEDURE' : 'FUNCTION'} without OR REPLACE`]
  const enumValue = as(node, 'AlterEnumStmt')
  if (enumValue?.newVal !== undefined && enumValue.oldVal === undefined) {
    return enumValue.skipIfNewValExists ? [] : [`ALTER TYPE ... ADD VALUE '${enumValue.newVal}' without IF NOT EXISTS`]
  }
  const alter = as(node, 'AlterTableStmt')
  if (alter) {
    return (alter.cmds ?? []).flatMap((c) => {
      const cmd = as(c, 'AlterTableCmd')
      if (!cmd || cmd.missing_ok) return []
      if (cmd.subtype === 'AT_AddColumn') return [`ADD COLUMN ${as(cmd.def, 'ColumnDef')?.colname ?? ''} without IF NOT EXISTS`]
      if (cmd.subtype === 'AT_DropColumn') return [`DROP COLUMN ${cmd.name} without IF EXISTS`]
      if (cmd.subtype === 'AT_DropConstraint') return [`DROP CONSTRAINT ${cmd.name} without IF EXISTS`]
      return []
    })
  }
  return []
}

/** `OBJECT_MATVIEW` -> `MATERIALIZED VIEW`. */
function kindOf(removeType: string | undefined): string {
  const kind = (removeType ?? 'OBJECT_OBJECT').replace(/^OBJECT_/, '')
  return kind === 'MATVIEW' ? 'MATERIALIZED VIEW' : kind.replace(/_/g, ' ')
}
