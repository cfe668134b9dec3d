/**
 * What a migration step can change, from what its statements name (the
 * parser's AST): the relations it creates, indexes or drops. Incremental
 * snapshots (incremental.ts) use it to re-read only those relations and
 * what hangs on them, instead of scanning the catalogs for fingerprints.
 *
 * Only statements whose effects are provably confined to the relations they
 * name (and the objects that depend on those through an automatic or
 * internal dependency: their indexes, constraints, owned sequences, row
 * types, partitions) are scoped. Everything else makes the step unscoped
 * (null), and the snapshot after it falls back to the full fingerprint scan:
 * DO blocks, CALL, SELECT (any function may run DDL), DML (triggers, rules),
 * ALTER, COMMENT, GRANT, CASCADE, CREATE TABLE ... AS / PARTITION OF (a
 * default partition is scanned with the partition key's expressions), an
 * index with expressions, a predicate or an operator class (they run
 * functions over the table's rows), and every other statement kind. What
 * the database itself must also guarantee (no event trigger, no user-made
 * operator class behind an index build) is checked when the snapshot is
 * taken (incremental.ts).
 */
import type { Node } from 'libpg-query'

/** What a scoped step names. */
export interface StepScope {
  /** Relation names (unqualified: matched in every schema) the step creates, indexes or drops. */
  names: string[]
  /** The step drops something: the objects it drops are found before it runs. */
  drops: boolean
  /** The step builds an index on a table that may have rows (CREATE INDEX). */
  indexes: boolean
}

/** Relation kinds a scoped DROP may name (RESTRICT: anything else depending on them makes it fail). */
const DROPPABLE = new Set(['OBJECT_TABLE', 'OBJECT_INDEX', 'OBJECT_SEQUENCE', 'OBJECT_VIEW', 'OBJECT_MATVIEW'])

const TRANSACTION_KINDS = new Set([
  'TRANS_STMT_BEGIN',
  'TRANS_STMT_START',
  'TRANS_STMT_COMMIT',
  'TRANS_STMT_ROLLBACK',
  'TRANS_STMT_SAVEPOINT',
  'TRANS_STMT_RELEASE',
  'TRANS_STMT_ROLLBACK_TO',
])

/**
 * The scope of a step's statements (each statement's AST nodes), or null
 * when any of them is not provably scoped. Pure.
 *
 * @example statementsScope(parse('create table t (id int); create index on t (id)').nodes) // { names: ['t', 't'], drops: false, indexes: true }
 */
export function statementsScope(nodes: Node[]): StepScope | null {
  const scope: StepScope = { names: [], drops: false, indexes: false }
  for (const node of nodes) {
    const [kind, body] = Object.entries(node)[0] ?? []
    const stmt = body as Record<string, unknown> | undefined
    if (!kind || !stmt) return null
    switch (kind) {
      case 'CreateStmt': {
        // PARTITION OF (a default partition is scanned), OF type
        if (stmt.partbound !== undefined || stmt.ofTypename !== undefined) return null
        const name = relname(stmt.relation)
        if (name === undefined) return null
        scope.names.push(name)
        break
      }
      case 'IndexStmt': {
        const name = relname(stmt.relation)
        if (name === undefined || stmt.whereClause !== undefined) return null
        const params = [...asArray(stmt.indexParams), ...asArray(stmt.indexIncludingParams)]
        // Plain columns with their type's default operator class and collation only.
        for (const p of params) {
          const e = (p as { IndexElem?: Record<string, unknown> }).IndexElem
          if (!e || typeof e.name !== 'string' || e.expr !== undefined || e.opclass !== undefined || e.collation !== undefined) return null
        }
        scope.names.push(name)
        if (stmt.idxname !== undefined) {
          const index = identifier(stmt.idxname)
          if (index === undefined) return null
          scope.names.push(index)
        }
        scope.indexes = true
        break
      }
      case 'DropStmt': {
        if (!DROPPABLE.has(String(stmt.removeType)) || stmt.behavior !== 'DROP_RESTRICT') return null
        for (const o of asArray(stmt.objects)) {
          const items = asArray((o as { List?: { items?: unknown[] } }).List?.items)
          const last = identifier((items.at(-1) as { String?: { sval?: unknown } } | undefined)?.String?.sval)
          if (last === undefined) return null
          scope.names.push(last)
        }
        scope.drops = true
        break
      }
      // A file's own BEGIN / COMMIT (not PREPARE TRANSACTION: its COMMIT
      // PREPARED, maybe in a later step, would make changes named nowhere).
      case 'TransactionStmt':
        if (!TRANSACTION_KINDS.has(String(stmt.kind))) return null
        break
      default:
        return null
    }
  }
  return scope
}

/** A relation's name; undefined when missing or longer than PostgreSQL keeps (63 bytes: it would be cut). */
function relname(v: unknown): string | undefined {
  return identifier((v as { relname?: unknown } | undefined)?.relname)
}

function identifier(name: unknown): string | undefined {
  return typeof name === 'string' && Buffer.byteLength(name) <= 63 ? name : undefined
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : []
}
