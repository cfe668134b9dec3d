/**
 * `concurrently-in-wrapped-file`: a statement PostgreSQL refuses inside a
 * transaction block (`CREATE INDEX CONCURRENTLY`, `VACUUM`, ...) in a file
 * wrapped whole in `BEGIN; ... COMMIT;`, which forces it into one. `up`
 * refuses the file; without the wrapper it runs the file statement by
 * statement, as such files need.
 */
import type { LintRule } from '../types.js'

/** The `concurrently-in-wrapped-file` rule (error); documented in README.md#concurrently-in-wrapped-file. */
export const concurrentlyInWrappedFile: LintRule = {
  id: 'concurrently-in-wrapped-file',
  severity: 'error',
  docs: 'Drop the BEGIN/COMMIT wrapper: link-migrate runs files with CONCURRENTLY statement by statement by itself',
  why: '`CREATE INDEX CONCURRENTLY` (and `VACUUM`, `DROP INDEX CONCURRENTLY`, ...) cannot run in a transaction block, and a whole-file `BEGIN/COMMIT` forces one. `up` refuses the file; without the wrapper it runs the file statement by statement by itself.',
  check(ctx) {
    for (const file of ctx.files) {
      if (!file.analysis?.wrappedInTransaction) continue
      for (const stmt of file.statements) {
        if (stmt.noTransaction === undefined) continue
        ctx.report(
          { file, statement: stmt },
          `${stmt.noTransaction} cannot run inside the file's BEGIN/COMMIT wrapper (PostgreSQL refuses it in a transaction block): drop the wrapper`,
        )
      }
    }
  },
}
