/**
 * ALTER TABLE, the statement most rules look into: its subcommands, where
 * each one starts in the file (so a finding points at the `DROP COLUMN` of
 * a five-action statement, not at its `ALTER`), and the lock each takes.
 */
import type { AlterTableCmd, AlterTableStmt } from 'libpg-query'
import { as, tableOf, type TableName } from './ast.js'
import { offsetOf, type LintFile, type LintStatement } from './model.js'

/** One subcommand of an ALTER TABLE. */
export interface AlterAction {
  cmd: AlterTableCmd
  /** UTF-16 offset in the file where the action starts (its first keyword). */
  offset: number
}

/** An ALTER TABLE on a table, with its actions. */
export interface AlterTable {
  table: TableName
  stmt: AlterTableStmt
  actions: AlterAction[]
}

/**
 * The ALTER TABLE in `stmt` (not ALTER INDEX / VIEW / SEQUENCE, which share
 * the node), or undefined.
 */
export function alterTable(file: LintFile, stmt: LintStatement): AlterTable | undefined {
  const alter = as(stmt.node, 'AlterTableStmt')
  if (!alter?.relation || alter.objtype !== 'OBJECT_TABLE') return undefined
  const cmds = (alter.cmds ?? []).flatMap((c) => {
    const cmd = as(c, 'AlterTableCmd')
    return cmd ? [cmd] : []
  })
  const starts = actionStarts(file, stmt, alter, cmds.length)
  return {
    table: tableOf(alter.relation),
    stmt: alter,
    actions: cmds.map((cmd, i) => ({ cmd, offset: starts?.[i] ?? stmt.source.start })),
  }
}

/**
 * Where each action starts: the token after the table name, then the token
 * after each comma outside parentheses and brackets (the grammar's action
 * list). Undefined when the count does not match the parse tree's (then
 * findings point at the statement).
 */
function actionStarts(file: LintFile, stmt: LintStatement, alter: AlterTableStmt, count: number): number[] | undefined {
  const tokens = stmt.source.tokens
  if (!tokens || !alter.relation) return undefined
  const nameAt = offsetOf(file, stmt, alter.relation.location)
  let k = tokens.findIndex((t) => t.start === nameAt)
  if (k < 0) return undefined
  k++
  while (tokens[k]?.text === '.' && tokens[k]?.kind === 'punctuation') k += 2 // schema.table
  if (tokens[k]?.kind === 'operator' && tokens[k]?.text === '*') k++ // `name *` (with descendants)
  const starts: number[] = []
  if (tokens[k] !== undefined) starts.push(tokens[k]!.start)
  let depth = 0
  for (; k < tokens.length; k++) {
    const t = tokens[k]!
    if (t.kind !== 'punctuation') continue
    if (t.text === '(' || t.text === '[') depth++
    else if (t.text === ')' || t.text === ']') depth--
    else if (t.text === ',' && depth === 0 && tokens[k + 1] !== undefined) starts.push(tokens[k + 1]!.start)
  }
  return starts.length === count ? starts : undefined
}

/**
 * True when the subcommand takes an ACCESS EXCLUSIVE lock on its table.
 * PostgreSQL's AlterTableGetLockLevel (tablecmds.c): everything does except
 * triggers and foreign keys (SHARE ROW EXCLUSIVE), statistics, storage
 * options, CLUSTER ON, VALIDATE CONSTRAINT, ATTACH PARTITION and DETACH
 * PARTITION CONCURRENTLY (SHARE UPDATE EXCLUSIVE).
 */
export function takesAccessExclusive(cmd: AlterTableCmd): boolean {
  switch (cmd.subtype) {
    case 'AT_EnableTrig':
    case 'AT_EnableAlwaysTrig':
    case 'AT_EnableReplicaTrig':
    case 'AT_DisableTrig':
    case 'AT_EnableTrigAll':
    case 'AT_DisableTrigAll':
    case 'AT_EnableTrigUser':
    case 'AT_DisableTrigUser':
    case 'AT_SetStatistics':
    case 'AT_ClusterOn':
    case 'AT_DropCluster':
    case 'AT_SetOptions':
    case 'AT_ResetOptions':
    case 'AT_ValidateConstraint':
    // Most storage parameters (fillfactor, autovacuum_*) take SHARE UPDATE EXCLUSIVE.
    case 'AT_SetRelOptions':
    case 'AT_ResetRelOptions':
    case 'AT_AttachPartition':
    case 'AT_DetachPartitionFinalize':
      return false
    case 'AT_DetachPartition':
      return as(cmd.def, 'PartitionCmd')?.concurrent !== true
    case 'AT_AddConstraint':
      return as(cmd.def, 'Constraint')?.contype !== 'CONSTR_FOREIGN'
    default:
      return true
  }
}
