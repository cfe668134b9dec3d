/**
 * `transaction-wrapper`: a note, not a problem. A file wrapped whole in
 * `BEGIN; ... COMMIT;` (golang-migrate's habit) is accepted: link-migrate
 * drops the wrapper and runs the body in its own transaction, together
 * with its bookkeeping.
 */
import type { LintRule } from '../types.js'

/** The `transaction-wrapper` rule (info); documented in README.md#transaction-wrapper. */
export const transactionWrapper: LintRule = {
  id: 'transaction-wrapper',
  severity: 'info',
  docs: 'Nothing to do; you may drop the BEGIN/COMMIT wrapper, link-migrate adds its own transaction',
  why: 'A note: a file wrapped whole in `BEGIN; ... COMMIT;` (golang-migrate\'s habit) is accepted; the wrapper is dropped and the body runs in link-migrate\'s own transaction with its bookkeeping.',
  check(ctx) {
    for (const file of ctx.files) {
      if (!file.analysis?.wrappedInTransaction || !file.transactional) continue
      const begin = file.statements[0]!
      ctx.report(
        { file, statement: begin },
        'the file wraps itself in BEGIN/COMMIT: link-migrate drops the wrapper and runs the body in its own transaction with its bookkeeping',
      )
    }
  },
}
