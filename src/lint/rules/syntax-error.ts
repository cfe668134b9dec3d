/**
 * `syntax-error`: SQL that PostgreSQL's parser refuses (libpg-query, the
 * server's own grammar), or a file that does not even split (unterminated
 * quote or comment, psql meta-command). The server would refuse it too.
 */
import type { LintRule } from '../types.js'

/** The `syntax-error` rule (error); documented in README.md#syntax-error. */
export const syntaxError: LintRule = {
  id: 'syntax-error',
  severity: 'error',
  docs: 'Fix the SQL; psql meta-commands (\\connect, \\i) are not SQL and cannot be in a migration',
  why: 'SQL PostgreSQL\'s parser refuses, at the parser\'s position; also unterminated quotes and psql meta-commands (`\\connect`, `\\i`), which are not SQL.',
  check(ctx) {
    for (const file of ctx.files) {
      if (file.lexError) {
        ctx.report({ file, line: file.lexError.line, column: file.lexError.column }, file.lexError.message)
        continue
      }
      for (const stmt of file.statements) {
        if (stmt.parseError) ctx.report({ file, statement: stmt, offset: stmt.parseError.offset }, stmt.parseError.message)
      }
    }
  },
}
