/**
 * `rename-table`: `ALTER TABLE|VIEW|MATERIALIZED VIEW ... RENAME TO` in an
 * up file, on a relation that exists in production. The running version
 * still uses the old name until the new one is deployed.
 */
import { as, display, tableOf } from '../ast.js'
import { parsedStatements } from '../model.js'
import type { LintRule } from '../types.js'

const KINDS: Record<string, string> = { OBJECT_TABLE: 'TABLE', OBJECT_VIEW: 'VIEW', OBJECT_MATVIEW: 'MATERIALIZED VIEW' }

/** The `rename-table` rule (error); documented in README.md#rename-table. */
export const renameTable: LintRule = {
  id: 'rename-table',
  severity: 'error',
  docs: 'Create the new table (or a view under the new name), move readers and writers, then drop the old one',
  why: 'The running version still uses the old name (also `ALTER VIEW` / `ALTER MATERIALIZED VIEW ... RENAME TO`).',
  check(ctx) {
    for (const { file, stmt, node } of parsedStatements(ctx.files, 'up')) {
      const rename = as(node, 'RenameStmt')
      const kind = KINDS[rename?.renameType ?? '']
      if (!rename?.relation || kind === undefined) continue
      const table = tableOf(rename.relation)
      if (stmt.known.isNew(table)) continue
      ctx.report(
        { file, statement: stmt },
        `ALTER ${kind} ${display(table)} RENAME TO ${rename.newname}: the running version still uses the old name`,
      )
    }
  },
}
