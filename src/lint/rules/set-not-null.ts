/**
 * `set-not-null`: `ALTER COLUMN ... SET NOT NULL` on a table that exists in
 * production scans the whole table under an ACCESS EXCLUSIVE lock. Since
 * PostgreSQL 12 it skips the scan when a validated `CHECK (col IS NOT
 * NULL)` exists: a check added NOT VALID and validated before it is
 * recognised, and then nothing is reported here (validating in the same
 * transaction as the ADD is constraint-without-not-valid's finding).
 */
import { alterTable } from '../alter.js'
import { columnOf } from '../ast.js'
import { parsedStatements } from '../model.js'
import type { LintRule } from '../types.js'

/** The `set-not-null` rule (error); documented in README.md#set-not-null. */
export const setNotNull: LintRule = {
  id: 'set-not-null',
  severity: 'error',
  docs: 'Add CHECK (col IS NOT NULL) NOT VALID; in the next migration VALIDATE it, then SET NOT NULL (no scan) and drop the check',
  why: 'PostgreSQL scans the whole table under an ACCESS EXCLUSIVE lock, unless a validated `CHECK (col IS NOT NULL)` exists (PostgreSQL 12+): lint recognises one validated by an earlier statement or migration.',
  check(ctx) {
    for (const { file, stmt } of parsedStatements(ctx.files)) {
      const alter = alterTable(file, stmt)
      if (!alter || stmt.known.isNew(alter.table)) continue
      for (const { cmd, offset } of alter.actions) {
        if (cmd.subtype !== 'AT_SetNotNull' || stmt.known.hasValidNotNullCheck(alter.table, cmd.name ?? '')) continue
        ctx.report(
          { file, statement: stmt, offset },
          `SET NOT NULL on ${columnOf(alter.table, cmd.name)} scans the whole table under an ACCESS EXCLUSIVE lock`,
        )
      }
    }
  },
}
