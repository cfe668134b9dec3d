/**
 * `drop-table`: `DROP TABLE` in an up file, of a table that exists in
 * production: the running version still uses it, and the data is gone for
 * good (a down file cannot bring it back). Tables the migrations created
 * (a staging table) and down files are not checked.
 */
import { as, display, names, tableFromNames } from '../ast.js'
import { parsedStatements } from '../model.js'
import type { LintRule } from '../types.js'

/** The `drop-table` rule (error); documented in README.md#drop-table. */
export const dropTable: LintRule = {
  id: 'drop-table',
  severity: 'error',
  docs: 'Stop using the table in a release first, keep a backup, then drop it (and allow the rule here)',
  why: 'The running version still uses the table, and its data cannot come back from a down file. A new table (created earlier in the same migration, e.g. a staging table, or by the batch not yet deployed: README "What counts as new") and down files are not checked.',
  check(ctx) {
    for (const { file, stmt, node } of parsedStatements(ctx.files, 'up')) {
      const drop = as(node, 'DropStmt')
      if (drop?.removeType !== 'OBJECT_TABLE') continue
      for (const o of drop.objects ?? []) {
        const table = tableFromNames(names(as(o, 'List')?.items))
        if (stmt.known.isNew(table)) continue
        ctx.report(
          { file, statement: stmt },
          `DROP TABLE ${display(table)} in an up file: the running version still uses it, and its data cannot be restored by a down file`,
        )
      }
    }
  },
}
