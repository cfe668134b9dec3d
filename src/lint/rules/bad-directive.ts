/**
 * `bad-directive`: a `-- link-migrate:...` comment that is misplaced,
 * unknown, malformed or repeated (`up` refuses the file), or an `allow`
 * naming a rule that does not exist (so it silences nothing).
 */
import type { LintRule } from '../types.js'

/** The `bad-directive` rule (error); documented in README.md#bad-directive. */
export const badDirective: LintRule = {
  id: 'bad-directive',
  severity: 'error',
  docs: 'Put no-transaction and lock-timeout before the first statement; allow takes rule ids from README "Lint rules"',
  why: 'A `-- link-migrate:` comment that is misplaced (a header directive after a statement is not honoured), unknown, malformed or repeated (`up` refuses the file), or an `allow` naming a rule that does not exist.',
  check(ctx) {
    for (const file of ctx.files) {
      const directives = file.analysis?.directives
      if (!directives) continue
      for (const p of directives.problems) ctx.report({ file, line: p.line, column: p.column }, p.message)
      for (const [index, ids] of directives.allow) {
        const stmt = file.statements[index]
        for (const id of ids) {
          if (!ctx.ruleIds.includes(id)) {
            ctx.report({ file, statement: stmt }, `-- link-migrate:allow names an unknown rule "${id}"; it silences nothing`)
          }
        }
      }
    }
  },
}
