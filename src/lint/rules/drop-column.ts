/**
 * `drop-column`: `ALTER TABLE ... DROP COLUMN` in an up file, on a table
 * that exists in production. The running version of the service still
 * reads (or writes, `SELECT *`, ORM models) that column until the new
 * version is out: its queries fail the moment the migration commits.
 * Down files are not checked (they undo what their up file added).
 */
import { alterTable } from '../alter.js'
import { columnOf } from '../ast.js'
import { parsedStatements } from '../model.js'
import type { LintRule } from '../types.js'

/** The `drop-column` rule (error); documented in README.md#drop-column. */
export const dropColumn: LintRule = {
  id: 'drop-column',
  severity: 'error',
  docs: 'Ship code that no longer uses the column first; drop it in a later release (then allow the rule here)',
  why: 'The running version of the service still reads (or writes, `SELECT *`, ORM models) the column until the new version is out: its queries fail the moment the migration commits. Down files are not checked.',
  check(ctx) {
    for (const { file, stmt } of parsedStatements(ctx.files, 'up')) {
      const alter = alterTable(file, stmt)
      if (!alter || stmt.known.isNew(alter.table)) continue
      for (const { cmd, offset } of alter.actions) {
        if (cmd.subtype !== 'AT_DropColumn') continue
        ctx.report(
          { file, statement: stmt, offset },
          `DROP COLUMN ${columnOf(alter.table, cmd.name)}: the running version fails as soon as the column is gone; stop using it in a release before this one`,
        )
      }
    }
  },
}
