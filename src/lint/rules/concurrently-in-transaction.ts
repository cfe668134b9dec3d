/**
 * `concurrently-in-transaction`: `CREATE INDEX CONCURRENTLY` (or another
 * statement PostgreSQL refuses in a transaction block) between a `BEGIN`
 * and a `COMMIT` written in the file. It fails with "cannot run inside a
 * transaction block", half-way through a file that runs without a
 * transaction.
 */
import type { LintRule } from '../types.js'

/** The `concurrently-in-transaction` rule (error); documented in README.md#concurrently-in-transaction. */
export const concurrentlyInTransaction: LintRule = {
  id: 'concurrently-in-transaction',
  severity: 'error',
  docs: 'Take CONCURRENTLY statements out of BEGIN ... COMMIT; link-migrate runs such files statement by statement',
  why: 'The same statements between a `BEGIN` and a `COMMIT` written in the file: PostgreSQL fails them with "cannot run inside a transaction block", half-way through a file that runs without a transaction.',
  check(ctx) {
    for (const file of ctx.files) {
      for (const stmt of file.statements) {
        if (stmt.noTransaction === undefined || !stmt.inTransactionBlock) continue
        ctx.report(
          { file, statement: stmt },
          `${stmt.noTransaction} inside the file's own BEGIN ... COMMIT: PostgreSQL refuses it in a transaction block`,
        )
      }
    }
  },
}
