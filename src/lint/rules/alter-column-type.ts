/**
 * `alter-column-type`: `ALTER COLUMN ... TYPE` on a table that exists in
 * production. Unless the change is binary-coercible, PostgreSQL rewrites
 * the whole table and its indexes under an ACCESS EXCLUSIVE lock: no reads,
 * no writes until done. The running version may also not understand the
 * new type. When the earlier migrations say what the column's type was and
 * the change needs no rewrite (varchar(n) -> text, varchar(n) ->
 * varchar(m >= n), numeric(p, s) -> numeric(q >= p, s), ...; see
 * ../coercible.ts), nothing is reported.
 */
import { alterTable } from '../alter.js'
import { as, columnOf } from '../ast.js'
import { rewriteFree, typeText } from '../coercible.js'
import { columnType } from '../known.js'
import { parsedStatements } from '../model.js'
import type { LintRule } from '../types.js'

/** The `alter-column-type` rule (error); documented in README.md#alter-column-type. */
export const alterColumnType: LintRule = {
  id: 'alter-column-type',
  severity: 'error',
  docs: 'Add a column of the new type, backfill in batches, switch readers, drop the old one',
  why: 'Unless the change is binary-coercible, PostgreSQL rewrites the table and all its indexes under an ACCESS EXCLUSIVE lock: no reads, no writes until done. When the earlier files say what the column\'s type was, changes that need no rewrite are not reported: `varchar(n)` to `text`, to `varchar` or to `varchar(m)` with m >= n; `text` to `varchar`; `numeric(p, s)` to `numeric(q, s)` with q >= p, or to `numeric`; a wider `timestamp(p)`, `timestamptz(p)`, `time(p)` or `varbit(n)`, or the limit dropped; `cidr` to `inet`; `xml` to `text` (without `USING` or `COLLATE`). `int` to `bigint`, a shorter `varchar`, or a changed numeric scale rewrite and are reported, naming both types; so is any change whose old type is unknown.',
  check(ctx) {
    for (const { file, stmt } of parsedStatements(ctx.files)) {
      const alter = alterTable(file, stmt)
      if (!alter || stmt.known.isNew(alter.table)) continue
      for (const { cmd, offset } of alter.actions) {
        if (cmd.subtype !== 'AT_AlterColumnType') continue
        const def = as(cmd.def, 'ColumnDef')
        const from = stmt.known.columnType(alter.table, cmd.name ?? '')
        const to = columnType(def?.typeName)
        // USING computes new contents; COLLATE rebuilds the indexes.
        const plain = def?.raw_default === undefined && def?.collClause === undefined
        if (from && to && plain && rewriteFree(from, to)) continue
        const why = from && to ? `${typeText(from)} -> ${typeText(to)}${plain ? '' : ' with USING or COLLATE'} is not binary-coercible` : 'unless the change is binary-coercible'
        ctx.report(
          { file, statement: stmt, offset },
          `ALTER COLUMN ${columnOf(alter.table, cmd.name)} TYPE rewrites the table and its indexes under an ACCESS EXCLUSIVE lock (${why})`,
        )
      }
    }
  },
}
