/**
 * `index-without-concurrently`: building an index on a table that exists in
 * production without CONCURRENTLY. `CREATE INDEX` blocks every write to
 * the table for the whole build; `ADD CONSTRAINT ... UNIQUE / PRIMARY KEY /
 * EXCLUDE` (and `ADD COLUMN ... UNIQUE`) builds one under an ACCESS
 * EXCLUSIVE lock, blocking reads too. On a table the migrations create, an
 * index costs nothing and is not reported.
 */
import type { Node } from 'libpg-query'
import { alterTable } from '../alter.js'
import { as, display, tableOf } from '../ast.js'
import { parsedStatements } from '../model.js'
import type { LintRule } from '../types.js'

const INDEXED: Record<string, string> = { CONSTR_PRIMARY: 'PRIMARY KEY', CONSTR_UNIQUE: 'UNIQUE', CONSTR_EXCLUSION: 'EXCLUDE' }

/** The `index-without-concurrently` rule (error); documented in README.md#index-without-concurrently. */
export const indexWithoutConcurrently: LintRule = {
  id: 'index-without-concurrently',
  severity: 'error',
  docs: 'CREATE INDEX CONCURRENTLY IF NOT EXISTS (link-migrate runs it outside a transaction); for a constraint, add it USING INDEX',
  why: '`CREATE INDEX` blocks every write to the table for the whole build; `ADD CONSTRAINT ... UNIQUE / PRIMARY KEY / EXCLUDE` (and `ADD COLUMN ... UNIQUE`) builds one under an ACCESS EXCLUSIVE lock, blocking reads too. Not reported for a new table: one created earlier in the same migration, or by a migration of the batch not yet deployed (`--new-since`, `--git-base`, `--against-db`; squawk reports those). A table an earlier, deployed migration created is an existing table with rows.',
  check(ctx) {
    for (const { file, stmt, node } of parsedStatements(ctx.files)) {
      const index = as(node, 'IndexStmt')
      if (index?.relation) {
        const table = tableOf(index.relation)
        if (index.concurrent === true || stmt.known.isNew(table)) continue
        ctx.report(
          { file, statement: stmt },
          `CREATE INDEX${index.idxname ? ` ${index.idxname}` : ''} on ${display(table)} without CONCURRENTLY blocks writes to the table for the whole build`,
        )
        continue
      }
      const alter = alterTable(file, stmt)
      if (!alter || stmt.known.isNew(alter.table)) continue
      for (const { cmd, offset } of alter.actions) {
        const constraints: Node[] =
          cmd.subtype === 'AT_AddConstraint' ? (cmd.def ? [cmd.def] : []) : cmd.subtype === 'AT_AddColumn' ? (as(cmd.def, 'ColumnDef')?.constraints ?? []) : []
        for (const c of constraints) {
          const con = as(c, 'Constraint')
          const kind = INDEXED[con?.contype ?? '']
          // `ADD CONSTRAINT ... UNIQUE USING INDEX i` reuses an index built concurrently.
          if (kind === undefined || con?.indexname) continue
          ctx.report(
            { file, statement: stmt, offset },
            `${kind} on ${display(alter.table)} builds its index under an ACCESS EXCLUSIVE lock (no reads, no writes until done)`,
          )
        }
      }
    }
  },
}
