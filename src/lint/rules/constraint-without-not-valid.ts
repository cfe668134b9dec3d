/**
 * `constraint-without-not-valid`: a FOREIGN KEY or CHECK added to a table
 * that exists in production without NOT VALID. PostgreSQL checks every row
 * while holding its lock (ACCESS EXCLUSIVE for a check; SHARE ROW
 * EXCLUSIVE on both tables for a foreign key): writes stop for the whole
 * scan. `ADD COLUMN ... REFERENCES / CHECK` scans the same way. So does a
 * `VALIDATE CONSTRAINT` in the same transaction as its `ADD ... NOT VALID`:
 * the ADD's lock is held until commit, through the whole scan.
 */
import type { Node } from 'libpg-query'
import { alterTable } from '../alter.js'
import { as, display } from '../ast.js'
import type { LintRule } from '../types.js'

const KINDS: Record<string, string> = { CONSTR_FOREIGN: 'FOREIGN KEY', CONSTR_CHECK: 'CHECK' }

/** The `constraint-without-not-valid` rule (error); documented in README.md#constraint-without-not-valid. */
export const constraintWithoutNotValid: LintRule = {
  id: 'constraint-without-not-valid',
  severity: 'error',
  docs: 'ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT in the next migration (it lets writes go on)',
  why: 'PostgreSQL checks every row while holding its lock (ACCESS EXCLUSIVE for a check, SHARE ROW EXCLUSIVE on both tables for a foreign key): writes wait for the whole scan. The same for `ADD COLUMN ... REFERENCES / CHECK`, and for a `VALIDATE` in the same transaction as its `ADD ... NOT VALID` (the ADD\'s lock is held until commit).',
  check(ctx) {
    for (const file of ctx.files) {
      // Constraints added NOT VALID earlier in the same transaction (a transactional file).
      const addedHere = new Set<string>()
      for (const stmt of file.statements) {
        const alter = stmt.node && !stmt.wrapper ? alterTable(file, stmt) : undefined
        if (!alter || stmt.known.isNew(alter.table)) continue
        for (const { cmd, offset } of alter.actions) {
          if (cmd.subtype === 'AT_ValidateConstraint' && addedHere.has(`${alter.table.name}\0${cmd.name}`)) {
            ctx.report(
              { file, statement: stmt, offset },
              `VALIDATE CONSTRAINT ${cmd.name} in the same transaction as its ADD CONSTRAINT: the ADD's lock on ${display(alter.table)} is held through the whole scan`,
            )
            continue
          }
          const inline = cmd.subtype === 'AT_AddColumn'
          const constraints: Node[] =
            cmd.subtype === 'AT_AddConstraint' ? (cmd.def ? [cmd.def] : []) : inline ? (as(cmd.def, 'ColumnDef')?.constraints ?? []) : []
          for (const c of constraints) {
            const con = as(c, 'Constraint')
            const kind = KINDS[con?.contype ?? '']
            if (kind === undefined) continue
            if (con?.skip_validation === true) {
              if (file.transactional && con.conname) addedHere.add(`${alter.table.name}\0${con.conname}`)
              continue
            }
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
    }
  },
}
