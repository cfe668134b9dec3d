/**
 * `volatile-default`: `ADD COLUMN` with a volatile default (`random()`,
 * `gen_random_uuid()`, `uuid_generate_v4()`, `clock_timestamp()`,
 * `nextval()`, a serial type, an identity) on a table that exists in
 * production. Every row needs its own value, so PostgreSQL rewrites the
 * whole table under an ACCESS EXCLUSIVE lock. Stable defaults such as
 * `now()`, `current_timestamp` or a constant are stored once and cost
 * nothing (PostgreSQL 11+).
 */
import type { ColumnDef, Node } from 'libpg-query'
import { alterTable } from '../alter.js'
import { as, columnOf, names, walk } from '../ast.js'
import { parsedStatements } from '../model.js'
import type { LintRule } from '../types.js'

/** Volatile built-ins (pg_proc.provolatile = 'v') seen in defaults, and uuid-ossp's/pgcrypto's. */
const VOLATILE = new Set([
  'random',
  'random_normal',
  'gen_random_uuid',
  'gen_random_bytes',
  'uuid_generate_v1',
  'uuid_generate_v1mc',
  'uuid_generate_v4',
  'uuidv4',
  'uuidv7',
  'clock_timestamp',
  'timeofday',
  'nextval',
])

const SERIAL = new Set(['serial', 'serial2', 'serial4', 'serial8', 'smallserial', 'bigserial'])

/** The `volatile-default` rule (error); documented in README.md#volatile-default. */
export const volatileDefault: LintRule = {
  id: 'volatile-default',
  severity: 'error',
  docs: 'Add the column without a default (or with a constant), set the default after, backfill in batches',
  why: 'Every row needs its own value, so PostgreSQL rewrites the whole table under an ACCESS EXCLUSIVE lock: `random()`, `gen_random_uuid()`, `uuid_generate_v4()`, `clock_timestamp()`, `nextval()`, serial types, identity columns. `now()`, `current_timestamp` and constants are stored once and cost nothing (PostgreSQL 11+).',
  check(ctx) {
    for (const { file, stmt } of parsedStatements(ctx.files)) {
      const alter = alterTable(file, stmt)
      if (!alter || stmt.known.isNew(alter.table)) continue
      for (const { cmd, offset } of alter.actions) {
        const col = cmd.subtype === 'AT_AddColumn' ? as(cmd.def, 'ColumnDef') : undefined
        const why = col ? volatility(col) : undefined
        if (!col || why === undefined) continue
        ctx.report(
          { file, statement: stmt, offset },
          `ADD COLUMN ${columnOf(alter.table, col.colname)} with ${why}: every row gets its own value, so the whole table is rewritten under an ACCESS EXCLUSIVE lock`,
        )
      }
    }
  },
}

/** Why the column's default is volatile, or undefined. */
function volatility(col: ColumnDef): string | undefined {
  const type = names(col.typeName?.names).pop() ?? ''
  if (SERIAL.has(type)) return `type ${type} (its default is nextval())`
  for (const c of col.constraints ?? []) {
    const con = as(c, 'Constraint')
    if (con?.contype === 'CONSTR_IDENTITY') return 'GENERATED AS IDENTITY'
    if (con?.contype !== 'CONSTR_DEFAULT') continue
    let found: string | undefined
    walk(con.raw_expr, (n: Node) => {
      const fn = as(n, 'FuncCall')
      const name = fn ? names(fn.funcname).pop() : undefined
      if (found === undefined && name !== undefined && VOLATILE.has(name)) found = `the volatile default ${name}()`
    })
    if (found !== undefined) return found
  }
  return undefined
}
