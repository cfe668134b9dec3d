/**
 * `constraint-without-not-valid`: a FOREIGN KEY or CHECK added to a table
 * that exists in production without NOT VALID. PostgreSQL checks every row
 * while holding its lock (ACCESS EXCLUSIVE for a check; SHARE ROW
 * EXCLUSIVE on both tables for a foreign key): writes stop for the whole
 * scan. `ADD COLUMN ... REFERENCES / CHECK` scans the same way.
 */
import type { Node } from 'libpg-query'
import { alterTable } from '../alter.js'
import { as, display } from '../ast.js'
import { parsedStatements } from '../model.js'
import type { LintRule } from '../types.js'

const KINDS: Record<string, string> = { CONSTR_FOREIGN: 'FOREIGN KEY', CONSTR_CHECK: 'CHECK' }

export const constraintWithoutNotValid: LintRule = {
  id: 'constraint-without-not-valid',
  severity: 'error',
  docs: 'ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT in a later statement or migration (it does not block writes)',
  check(ctx) {
    for (const { file, stmt } of parsedStatements(ctx.files)) {
      const alter = alterTable(file, stmt)
      if (!alter || stmt.known.isNew(alter.table)) continue
      for (const { cmd, offset } of alter.actions) {
        const inline = cmd.subtype === 'AT_AddColumn'
        const constraints: Node[] =
          cmd.subtype === 'AT_AddConstraint' ? (cmd.def ? [cmd.def] : []) : inline ? (as(cmd.def, 'ColumnDef')?.constraints ?? []) : []
        for (const c of constraints) {
          const con = as(c, 'Constraint')
          const kind = KINDS[con?.contype ?? '']
          if (kind === undefined || con?.skip_validation === true) continue
          const name = con?.conname ? ` ${con.conname}` : ''
          ctx.report(
            { file, statement: stmt, offset },
            inline
              ? `ADD COLUMN with an inline ${kind} checks every row of ${display(alter.table)} while writes wait: add the column, then the constraint NOT VALID`
              : `ADD CONSTRAINT${name} ${kind} without NOT VALID checks every row of ${display(alter.table)} while writes wait`,
          )
        }
      }
    }
  },
}
