/**
 * `transaction-control`: BEGIN, COMMIT, ROLLBACK, END, ABORT, PREPARE
 * TRANSACTION at the top level of a file (not the whole-file wrapper).
 * link-migrate runs each migration in its own transaction with its
 * bookkeeping; a COMMIT in the middle would record half a migration, so
 * `up` refuses the file. Words in function bodies and strings never count.
 */
import type { LintRule } from '../types.js'

/** The `transaction-control` rule (error); documented in README.md#transaction-control. */
export const transactionControl: LintRule = {
  id: 'transaction-control',
  severity: 'error',
  docs: 'Remove BEGIN/COMMIT: link-migrate runs each migration in its own transaction (SAVEPOINT is fine)',
  why:
    'link-migrate runs each migration in its own transaction together with its bookkeeping: a `COMMIT` in the middle would record half a migration. `up` refuses the file (words in function bodies and strings never count; `SAVEPOINT` is fine). ' +
    'Files written for psql with several `BEGIN ... COMMIT` blocks run with `up --allow-transaction-control`; `lint --allow-transaction-control` (or `MIGRATE_ALLOW_TRANSACTION_CONTROL=1`, or `lint.allowTransactionControl` in the config file) then makes this a note.',
  check(ctx) {
    for (const file of ctx.files) {
      const a = file.analysis
      if (!a) continue
      if (file.ownTransactions) {
        // `up --allow-transaction-control` runs it as psql does: a note, once.
        const first = file.statements.find((s) => s.control !== undefined && !s.wrapper)
        if (first) {
          ctx.report(
            { file, statement: first, severity: 'info' },
            `the file runs its own transactions (--allow-transaction-control): each block commits on its own, and a failure after one leaves the version partially applied until it is re-run or resolved with mark`,
          )
        }
        continue
      }
      for (const stmt of file.statements) {
        if (stmt.control === undefined || stmt.wrapper) continue
        ctx.report(
          { file, statement: stmt },
          file.transactional
            ? `${stmt.control} controls the transaction; link-migrate runs each migration in its own transaction with its bookkeeping: remove it`
            : `${stmt.control} in a file that runs without a transaction; link-migrate runs its statements one by one: remove it`,
        )
      }
      // A wrapper around a file that must run without a transaction only
      // because of the directive (a no-transaction statement is
      // concurrently-in-wrapped-file's finding).
      if (a.wrappedInTransaction && !file.transactional && !file.statements.some((s) => s.noTransaction !== undefined)) {
        const begin = file.statements[0]!
        const why = a.directives.noTransaction ? 'no-transaction directive' : 'transactions turned off'
        ctx.report({ file, statement: begin }, `the file is wrapped in BEGIN/COMMIT but runs without a transaction (${why}): drop the wrapper`)
      }
    }
  },
}
