/**
 * `invalid-version`: version 0 (it means "nothing applied") or a version
 * larger than a PostgreSQL `integer` (the bookkeeping column's type). `up`
 * refuses the whole directory.
 */
import { MAX_VERSION } from '../../source/name.js'
import type { LintRule } from '../types.js'

/** The `invalid-version` rule (error); documented in README.md#invalid-version. */
export const invalidVersion: LintRule = {
  id: 'invalid-version',
  severity: 'error',
  docs: `Number migrations from 1 up to ${MAX_VERSION} (a PostgreSQL integer), e.g. 001`,
  check(ctx) {
    for (const file of ctx.files) {
      const v = file.name?.version
      if (v === 0) ctx.report({ file }, 'version 0 is reserved (it means "nothing applied"): start at 001')
      else if (v !== undefined && v > MAX_VERSION) {
        ctx.report({ file }, `version ${file.name!.digits} is larger than ${MAX_VERSION}, the largest PostgreSQL integer (timestamps do not fit)`)
      }
    }
  },
}
