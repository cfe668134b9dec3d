/**
 * `copy-over-client`: `COPY ... FROM STDIN` or `COPY ... TO STDOUT`. The
 * server would wait for the client to send (or take) the rows, which a
 * migration file cannot do (psql's inline data after the statement is not
 * SQL), so `up` refuses the file before anything runs.
 */
import type { LintRule } from '../types.js'

/** The `copy-over-client` rule (error); documented in README.md#copy-over-client. */
export const copyOverClient: LintRule = {
  id: 'copy-over-client',
  severity: 'error',
  docs: 'Load data with INSERT (or COPY from a server-side file): COPY FROM STDIN / TO STDOUT needs a client that sends or takes rows',
  why: '`COPY ... FROM STDIN` makes the server wait for the client to send rows, and `COPY ... TO STDOUT` for it to take them; a migration file has no client side (psql\'s inline data after the statement is not SQL). `up` refuses the file with its line and column before anything runs.',
  check(ctx) {
    for (const file of ctx.files) {
      const copies = file.analysis?.clientCopy ?? []
      for (const copy of copies) {
        const stmt = file.statements.find((s) => s.index === copy.statement)
        if (!stmt) continue
        ctx.report(
          { file, statement: stmt },
          `${copy.what} exchanges rows with the client, which a migration file cannot do (psql's inline data is not supported): load the data with INSERT, or COPY from a server-side file`,
        )
      }
    }
  },
}
