/**
 * `rename-column`: `ALTER TABLE ... RENAME COLUMN` in an up file, on a table
 * that exists in production. The running version still uses the old name
 * until the new one is deployed; its queries fail in between.
 */
import { as, columnOf, tableOf } from '../ast.js'
import { parsedStatements } from '../model.js'
import type { LintRule } from '../types.js'

/** The `rename-column` rule (error); documented in README.md#rename-column. */
export const renameColumn: LintRule = {
  id: 'rename-column',
  severity: 'error',
  docs: 'Add the new column, write both, backfill, move readers, then drop the old one (expand and contract)',
  why: 'The running version still uses the old name until the new version is deployed.',
  check(ctx) {
    for (const { file, stmt, node } of parsedStatements(ctx.files, 'up')) {
      const rename = as(node, 'RenameStmt')
      if (rename?.renameType !== 'OBJECT_COLUMN' || !rename.relation) continue
      const table = tableOf(rename.relation)
      if (stmt.known.isNew(table)) continue
      ctx.report(
        { file, statement: stmt },
        `RENAME COLUMN ${columnOf(table, rename.subname)} TO ${rename.newname}: the running version still uses the old name`,
      )
    }
  },
}
