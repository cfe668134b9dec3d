/**
 * `empty-file`: a migration with no statement (only comments or nothing):
 * usually a generated file never filled in. An empty down file promises an
 * undo it does not do.
 */
import { directionOf } from '../model.js'
import type { LintRule } from '../types.js'

/** The `empty-file` rule (warning); documented in README.md#empty-file. */
export const emptyFile: LintRule = {
  id: 'empty-file',
  severity: 'warning',
  docs: 'Write the migration, or delete the file',
  why: 'No statement at all: a generated file never filled in. `up` would record it as applied; an empty down file records a rollback that undid nothing.',
  check(ctx) {
    for (const file of ctx.files) {
      if (!file.analysis || file.analysis.body.length > 0) continue
      ctx.report(
        { file },
        directionOf(file) === 'down'
          ? 'the down file has no SQL statement: down would record a rollback that undid nothing'
          : 'the file has no SQL statement: up would record it as applied having done nothing',
      )
    }
  },
}
