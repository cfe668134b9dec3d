/**
 * Which statements take an ACCESS EXCLUSIVE lock, and on which table: the
 * lock that blocks every read and write, and that queues every later query
 * behind it while it waits for its turn. Lock levels follow PostgreSQL's
 * documentation ("Explicit Locking", ALTER TABLE's notes).
 */
import type { Node } from 'libpg-query'
import { alterTable, takesAccessExclusive } from './alter.js'
import { as, display, names, tableFromNames, tableOf, type TableName } from './ast.js'
import type { LintFile, LintStatement } from './model.js'

/** One ACCESS EXCLUSIVE lock a statement takes. */
export interface ExclusiveLock {
  /** The locked table, when the statement names it. */
  table?: TableName
  /** For DROP INDEX: the index whose (maybe unknown) table is locked. */
  index?: string
  /** What takes it, for messages: `ALTER TABLE users`, `DROP INDEX users_email_idx`. */
  what: string
}

const ACCESS_EXCLUSIVE_LOCK_MODE = 8

/** The ACCESS EXCLUSIVE locks `stmt` takes on tables (empty for most statements). */
export function exclusiveLocks(file: LintFile, stmt: LintStatement): ExclusiveLock[] {
  const node = stmt.node
  if (!node) return []
  const alter = alterTable(file, stmt)
  if (alter) {
    return alter.actions.some((a) => takesAccessExclusive(a.cmd)) ? [{ table: alter.table, what: `ALTER TABLE ${display(alter.table)}` }] : []
  }
  return otherLocks(node)
}

function otherLocks(node: Node): ExclusiveLock[] {
  const rename = as(node, 'RenameStmt')
  if (rename?.relation) {
    const relationLevel = ['OBJECT_TABLE', 'OBJECT_COLUMN', 'OBJECT_TABCONSTRAINT', 'OBJECT_MATVIEW', 'OBJECT_VIEW']
    if (!relationLevel.includes(rename.renameType ?? '')) return []
    const table = tableOf(rename.relation)
    return [{ table, what: `ALTER TABLE ${display(table)} RENAME` }]
  }
  const drop = as(node, 'DropStmt')
  if (drop) {
    const objects = (drop.objects ?? []).map((o) => names(as(o, 'List')?.items))
    if (drop.removeType === 'OBJECT_TABLE' || drop.removeType === 'OBJECT_MATVIEW') {
      return objects.map((parts) => {
        const table = tableFromNames(parts)
        return { table, what: `DROP TABLE ${display(table)}` }
      })
    }
    if (drop.removeType === 'OBJECT_INDEX' && drop.concurrent !== true) {
      return objects.map((parts) => ({ index: parts[parts.length - 1] ?? '', what: `DROP INDEX ${parts.join('.')}` }))
    }
    return []
  }
  const truncate = as(node, 'TruncateStmt')
  if (truncate) return relations(truncate.relations, 'TRUNCATE')
  const lock = as(node, 'LockStmt')
  if (lock && (lock.mode ?? ACCESS_EXCLUSIVE_LOCK_MODE) === ACCESS_EXCLUSIVE_LOCK_MODE) return relations(lock.relations, 'LOCK TABLE')
  const cluster = as(node, 'ClusterStmt')
  if (cluster?.relation) return [{ table: tableOf(cluster.relation), what: `CLUSTER ${display(tableOf(cluster.relation))}` }]
  const vacuum = as(node, 'VacuumStmt')
  if (vacuum && (vacuum.options ?? []).some((o) => as(o, 'DefElem')?.defname === 'full')) {
    return (vacuum.rels ?? []).flatMap((r) => {
      const rel = as(r, 'VacuumRelation')?.relation
      return rel ? [{ table: tableOf(rel), what: `VACUUM FULL ${display(tableOf(rel))}` }] : []
    })
  }
  const refresh = as(node, 'RefreshMatViewStmt')
  if (refresh?.relation && refresh.concurrent !== true) {
    return [{ table: tableOf(refresh.relation), what: `REFRESH MATERIALIZED VIEW ${display(tableOf(refresh.relation))}` }]
  }
  const rule = as(node, 'RuleStmt')
  if (rule?.relation) return [{ table: tableOf(rule.relation), what: `CREATE RULE on ${display(tableOf(rule.relation))}` }]
  return []
}

function relations(list: Node[] | undefined, verb: string): ExclusiveLock[] {
  return (list ?? []).flatMap((n) => {
    const rv = as(n, 'RangeVar')
    return rv ? [{ table: tableOf(rv), what: `${verb} ${display(tableOf(rv))}` }] : []
  })
}

/**
 * True when the lock falls on a table that exists in production: one the
 * earlier migrations did not create. An index of unknown origin is taken to
 * sit on an existing table.
 */
export function onExistingTable(lock: ExclusiveLock, stmt: LintStatement): boolean {
  if (lock.table) return !stmt.known.isNew(lock.table)
  const table = lock.index !== undefined ? stmt.known.tableOfIndex(lock.index) : undefined
  return table === undefined || !stmt.known.isNew(table)
}
