/**
 * Small typed helpers over libpg-query's AST (the JSON form of PostgreSQL's
 * parse tree: every node is `{ NodeType: { ...fields } }`). Only types are
 * imported from libpg-query, so this file loads nothing.
 */
import type { Node, RangeVar } from 'libpg-query'

type KeysOf<U> = U extends unknown ? keyof U : never
type ValueOf<U, K extends PropertyKey> = U extends Record<K, infer V> ? V : never

/** Node type name -> its fields, e.g. `NodeTypes['IndexStmt']` is `IndexStmt`. */
export type NodeTypes = { [K in KeysOf<Node>]: ValueOf<Node, K> }

/** Every node type name, e.g. `'AlterTableStmt'`. */
export type NodeTag = keyof NodeTypes & string

/** The node's type name. */
export function tagOf(node: Node): NodeTag {
  for (const k in node) return k as NodeTag
  throw new Error('empty AST node')
}

/**
 * The fields of `node` when it is a `K`, else undefined.
 *
 * @example as(node, 'IndexStmt')?.concurrent
 */
export function as<K extends NodeTag>(node: Node | undefined, tag: K): NodeTypes[K] | undefined {
  if (node === undefined || !(tag in node)) return undefined
  return (node as Record<string, unknown>)[tag] as NodeTypes[K]
}

/** The strings of a `[{ String: { sval } }, ...]` name list (`names`, `funcname`, `objects` items). */
export function names(list: Node[] | undefined): string[] {
  return (list ?? []).map((n) => as(n, 'String')?.sval ?? '')
}

/** A table as written: `users` or `billing.invoices`. */
export interface TableName {
  schema?: string
  name: string
}

/** The table a RangeVar names. */
export function tableOf(rv: RangeVar): TableName {
  return rv.schemaname ? { schema: rv.schemaname, name: rv.relname ?? '' } : { name: rv.relname ?? '' }
}

/** A table from a qualified name list (`DROP TABLE a.b` gives `['a', 'b']`). */
export function tableFromNames(parts: string[]): TableName {
  const name = parts[parts.length - 1] ?? ''
  return parts.length >= 2 ? { schema: parts[parts.length - 2], name } : { name }
}

/** An identifier as it would be written: quoted when it needs quotes. */
export function ident(s: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(s) ? s : `"${s.replace(/"/g, '""')}"`
}

/** `schema.name` or `name`, for messages. */
export function display(t: TableName): string {
  return t.schema ? `${ident(t.schema)}.${ident(t.name)}` : ident(t.name)
}

/** `table.column`, for messages. */
export function columnOf(t: TableName, column: string | undefined): string {
  return `${display(t)}.${ident(column ?? '')}`
}

/**
 * Calls `visit` on every node below `root` (depth first, `root` included),
 * in expressions, lists and fields alike. Used to find function calls in a
 * default expression wherever they sit (`md5(random()::text)`).
 */
export function walk(root: unknown, visit: (node: Node) => void): void {
  if (Array.isArray(root)) {
    for (const item of root) walk(item, visit)
    return
  }
  if (root === null || typeof root !== 'object') return
  const keys = Object.keys(root)
  // A node is an object with one key whose name starts with a capital letter.
  if (keys.length === 1 && /^[A-Z]/.test(keys[0]!)) visit(root as Node)
  for (const k of keys) walk((root as Record<string, unknown>)[k], visit)
}

/** The integer value of an `A_Const` (protobuf leaves out a 0: `ival: {}`), else undefined. */
export function intValue(node: Node | undefined): number | undefined {
  const c = as(node, 'A_Const')
  if (c?.ival !== undefined) return c.ival.ival ?? 0
  return undefined
}

/** The string value of an `A_Const` string, else undefined. */
export function stringConst(node: Node | undefined): string | undefined {
  return as(node, 'A_Const')?.sval?.sval
}
