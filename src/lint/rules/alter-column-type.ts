/**
 * `alter-column-type`: `ALTER COLUMN ... TYPE` on a table that exists in
 * production. Unless the change is binary-coercible (varchar(n) to text or
 * to a longer varchar), PostgreSQL rewrites the whole table and its
 * indexes under an ACCESS EXCLUSIVE lock: no reads, no writes until done.
 * The running version may also not understand the new type.
 */
import { alterTable } from '../alter.js'
import { columnOf } from '../ast.js'
import { parsedStatements } from '../model.js'
import type { LintRule } from '../types.js'

/** The `alter-column-type` rule (error); documented in README.md#alter-column-type. */
export const alterColumnType: LintRule = {
  id: 'alter-column-type',
  severity: 'error',
  docs: 'Add a column of the new type, backfill in batches, switch readers, drop the old one (allow the rule for varchar -> text)',
  check(ctx) {
    for (const { file, stmt } of parsedStatements(ctx.files)) {
      const alter = alterTable(file, stmt)
      if (!alter || stmt.known.isNew(alter.table)) continue
      for (const { cmd, offset } of alter.actions) {
        if (cmd.subtype !== 'AT_AlterColumnType') continue
        ctx.report(
          { file, statement: stmt, offset },
          `ALTER COLUMN ${columnOf(alter.table, cmd.name)} TYPE rewrites the table and its indexes under an ACCESS EXCLUSIVE lock (unless the change is binary-coercible)`,
        )
      }
    }
  },
}
