/**
 * `file-name`: names off the convention. A `.sql` file that does not match
 * `NNN_description.up.sql` / `NNN_description_up.sql` is never run by `up`
 * (often a forgotten `.up`); a version not 3 digits wide or a description
 * that is not a lowercase slug works but sorts and reads badly.
 */
import { nameAdvice } from '../../source/name.js'
import type { LintRule } from '../types.js'

/** The `file-name` rule (warning); documented in README.md#file-name. */
export const fileName: LintRule = {
  id: 'file-name',
  severity: 'warning',
  docs: 'Name migrations NNN_lowercase_slug.up.sql / .down.sql (link-migrate generate does)',
  check(ctx) {
    for (const file of ctx.files) {
      if (!file.name) {
        ctx.report(
          { file },
          `${file.base} is not a migration file name (NNN_description.up.sql or NNN_description_up.sql): up never runs it`,
        )
        continue
      }
      for (const advice of nameAdvice(file.name)) ctx.report({ file }, advice)
    }
  },
}
