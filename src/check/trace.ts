/**
 * The lock and rewrite trace (`check --locks`): runs one prepared step
 * statement by statement under the transaction plan `up` uses, and after
 * each statement reads, on the same backend, the relation locks it holds
 * (pg_locks) and every relation's relfilenode (a new one means the table or
 * index was rewritten). Works on any engine that lends its migrations'
 * session ({@link TraceSession}): the embedded one and a scratch database.
 *
 * - A transactional file: `BEGIN`, each statement, a read after each,
 *   `COMMIT`. Locks accumulate, so a statement shows the locks it added;
 *   each is held until COMMIT, while the statements after it run.
 * - A no-transaction file: each statement in a transaction of its own (the
 *   same as running it alone: its locks last until it ends). A statement
 *   that cannot run in a transaction block (CREATE INDEX CONCURRENTLY, ...)
 *   runs alone and its lock is the documented one (`observed: false`):
 *   nothing can read a backend's locks from inside it.
 */
import { statementError } from '../db/error.js'
import type { PlanStep, StepStatement } from '../types.js'
import { needsNoTransaction } from '../sql/classify.js'
import { identifierName, tokenize, type Token } from '../sql/lexer.js'
import { splitStatements } from '../sql/split.js'
import { blocks, isLockMode, strength, type Blocks, type LockMode } from './lock-modes.js'

/** The migrations' own session, lent by an engine for tracing. */
export interface TraceSession {
  /** Runs SQL text (one or more statements) on the session. */
  exec(sql: string): Promise<void>
  /** Reads rows on the same session (the engine may prepare the text once). */
  query(sql: string): Promise<Record<string, unknown>[]>
  /**
   * After a failure: fixes what the engine lacks and the server has (the
   * embedded engine creates a missing role) and says so, or undefined when
   * the failure stands. The failed transaction was rolled back.
   */
  recover?(e: unknown): Promise<string | undefined>
}

export type RelationKind = 'table' | 'partitioned table' | 'index' | 'partitioned index' | 'materialized view' | 'view' | 'sequence' | 'foreign table'

/** One relation a statement locked: the strongest mode it took on it. */
export interface TracedLock {
  /** `users`, or `audit.events` outside public. */
  relation: string
  kind: RelationKind
  mode: LockMode
  /** What other sessions wait for while it is held. */
  blocks: Blocks
  /** The relation existed before the migration (else the migration created it: nobody else can use it yet). */
  existed: boolean
}

/** What one statement of an up or down file took. */
export interface TracedStatement {
  file: string
  direction: 'up' | 'down'
  line: number
  /** The statement on one line, at most 200 characters. */
  statement: string
  /** The locks it added, strongest first. */
  locks: TracedLock[]
  /** Tables and indexes that existed before the migration and that it rewrote (a new relfilenode). */
  rewrites: string[]
  /** How many more statements of the file run while its locks are held (0 outside a transaction). */
  heldWhile: number
  /** False: the statement runs outside any transaction, its locks are the documented ones. */
  observed: boolean
  ms: number
}

/** One traced step: its statements, and notes on what the engine did beyond the file. */
export interface StepTrace {
  statements: TracedStatement[]
  notes: string[]
}

export interface TraceOptions {
  /** A server's per-statement time limit while tracing (`statement_timeout`). */
  timeoutMs?: number
}

/**
 * Locks held by this backend and every user relation's relfilenode, in one
 * round trip. OIDs and relfilenodes as text (they exceed int4; postgres.js
 * returns int8 as strings anyway). Names schema-qualified from pg_catalog,
 * so a migration's search_path cannot hide them.
 */
export const TRACE_READ = `select 'l' as k, l.relation::text as oid, l.mode as mode, null::text as fn, null::text as nsp, null::text as rel, null::text as kind
from pg_catalog.pg_locks l
where l.pid = pg_catalog.pg_backend_pid() and l.locktype = 'relation' and l.granted and l.relation::int8 >= 16384
union all
select 'r', c.oid::text, null, c.relfilenode::text, n.nspname::text, c.relname::text, c.relkind::text
from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
where c.oid::int8 >= 16384 and c.relkind in ('r', 'p', 'i', 'I', 'm', 'v', 'S', 'f') and n.nspname not like 'pg\\_%' and n.nspname <> 'information_schema'`

const KINDS: Record<string, RelationKind> = {
  r: 'table',
  p: 'partitioned table',
  i: 'index',
  I: 'partitioned index',
  m: 'materialized view',
  v: 'view',
  S: 'sequence',
  f: 'foreign table',
}

interface Relation {
  name: string
  kind: RelationKind
  filenode: string
}

/** What a read shows: relations by OID, and the modes held on each. */
interface State {
  relations: Map<string, Relation>
  locks: Map<string, Set<LockMode>>
}

async function read(session: TraceSession): Promise<State> {
  const relations = new Map<string, Relation>()
  const locks = new Map<string, Set<LockMode>>()
  for (const row of await session.query(TRACE_READ)) {
    const oid = String(row.oid)
    if (row.k === 'l') {
      const mode = String(row.mode)
      if (!isLockMode(mode)) continue
      let set = locks.get(oid)
      if (!set) locks.set(oid, (set = new Set()))
      set.add(mode)
    } else {
      const nsp = String(row.nsp)
      const rel = String(row.rel)
      relations.set(oid, { name: nsp === 'public' ? rel : `${nsp}.${rel}`, kind: KINDS[String(row.kind)] ?? 'table', filenode: String(row.fn) })
    }
  }
  return { relations, locks }
}

/** The locks added from `before` to `after`, one per relation (its strongest), strongest first. */
function addedLocks(before: State, after: State, existing: ReadonlySet<string>): TracedLock[] {
  const byName = new Map<string, TracedLock>()
  for (const [oid, modes] of after.locks) {
    const held = before.locks.get(oid)
    // A relation the statement made and dropped again (a rewrite's transient
    // heap, a TOAST table) is in neither read: not the migration's concern.
    const rel = after.relations.get(oid) ?? before.relations.get(oid)
    if (!rel) continue
    for (const mode of modes) {
      if (held?.has(mode)) continue
      const known = byName.get(rel.name)
      const existed = existing.has(oid) || (known?.existed ?? false)
      if (!known || strength(mode) > strength(known.mode)) byName.set(rel.name, { relation: rel.name, kind: rel.kind, mode, blocks: blocks(mode), existed })
      else known.existed = existed
    }
  }
  return [...byName.values()].sort((a, b) => strength(b.mode) - strength(a.mode) || a.relation.localeCompare(b.relation))
}

/**
 * Tables, materialized views and indexes that existed before the migration
 * and whose relfilenode changed (rewriting what the migration itself made
 * costs nothing: nobody else has its rows).
 */
function rewritten(before: State, after: State, existing: ReadonlySet<string>): string[] {
  const out: string[] = []
  for (const [oid, rel] of after.relations) {
    const was = before.relations.get(oid)
    if (!existing.has(oid)) continue
    if (!was || rel.filenode === '0' || was.filenode === rel.filenode) continue
    if (rel.kind === 'table' || rel.kind === 'index' || rel.kind === 'materialized view') out.push(rel.name)
  }
  return out.sort()
}

/**
 * Runs `step` on the session with the trace. `original` is the step as the
 * file has it (the embedded engine runs an adapted copy: CONCURRENTLY
 * dropped); its statements decide what runs outside a transaction.
 * Throws a QueryError at file:line:col when a statement fails (rolled
 * back as `up` would).
 */
export async function traceStep(session: TraceSession, step: PlanStep, original: PlanStep, opts: TraceOptions = {}): Promise<StepTrace> {
  const notes: string[] = []
  const settings =
    (step.lockTimeoutMs === undefined ? '' : `; set local lock_timeout = ${Math.round(step.lockTimeoutMs)}`) +
    (opts.timeoutMs === undefined ? '' : `; set local statement_timeout = ${Math.round(opts.timeoutMs)}`)
  // Statements of a no-transaction file traced before a recovered failure stay.
  const done: TracedStatement[] = []
  for (let tries = 0; ; tries++) {
    try {
      const statements = step.transactional ? await traceTransactional(session, step, settings) : await traceEach(session, step, original, settings, done)
      return { statements, notes }
    } catch (e) {
      const failure = e as TraceFailure
      await session.exec('rollback').catch(() => {})
      const note = tries < 20 && session.recover ? await session.recover(failure.cause) : undefined
      if (note === undefined) throw statementError(failure.cause, { file: step.file, content: step.sql, stmt: failure.stmt, details: failure.details })
      notes.push(note)
      // A transactional file was rolled back whole: run it again from its
      // start. A no-transaction file goes on from the failed statement.
      if (!step.transactional) {
        step = { ...step, statements: step.statements?.slice(failure.index) }
        original = { ...original, statements: original.statements?.slice(failure.index) }
      }
    }
  }
}

/** A statement's failure, with where it was (turned into the QueryError by traceStep). */
interface TraceFailure {
  cause: unknown
  stmt: StepStatement
  index: number
  details: string[]
}

async function attempt(session: TraceSession, stmt: StepStatement, index: number, details: () => string[]): Promise<number> {
  const t = performance.now()
  try {
    await session.exec(stmt.text)
  } catch (cause) {
    throw { cause, stmt, index, details: details() } satisfies TraceFailure
  }
  return round(performance.now() - t)
}

async function traceTransactional(session: TraceSession, step: PlanStep, settings: string): Promise<TracedStatement[]> {
  const statements: StepStatement[] = splitStatements(step.sql, { tokens: false }).map((s) => ({ text: s.text, start: s.start, line: s.line, column: s.column }))
  await session.exec(`begin${settings}`)
  let before = await read(session)
  const existing = new Set(before.relations.keys())
  const out: TracedStatement[] = []
  for (const [i, stmt] of statements.entries()) {
    const ms = await attempt(session, stmt, i, () => [])
    const after = await read(session)
    out.push(traced(step, stmt, addedLocks(before, after, existing), rewritten(before, after, existing), statements.length - 1 - i, true, ms))
    before = after
  }
  await session.exec('commit; reset all')
  return out
}

async function traceEach(session: TraceSession, step: PlanStep, original: PlanStep, settings: string, out: TracedStatement[]): Promise<TracedStatement[]> {
  const statements = step.statements ?? []
  let before = await read(session)
  const existing = new Set(before.relations.keys())
  const ranBefore = (i: number) => () =>
    i > 0 ? [`${i} statement(s) ran before this one (no transaction):`, ...statements.slice(0, i).map((s) => `  line ${s.line}: ${oneLine(s.text, 100)}`)] : []
  for (const [i, stmt] of statements.entries()) {
    const source = original.statements?.[i] ?? stmt
    const outside = needsNoTransaction(splitStatements(source.text)[0] ?? { text: source.text, start: 0, end: source.text.length, line: 1, column: 1 })
    if (outside) {
      const ms = await attempt(session, stmt, i, ranBefore(i))
      const after = await read(session)
      const locks = documentedLocks(source.text).map(({ relation, mode }) => {
        const rel = [...before.relations.entries()].find(([, r]) => r.name === relation)
        return { relation, kind: rel?.[1].kind ?? ('table' as RelationKind), mode, blocks: blocks(mode), existed: rel !== undefined && existing.has(rel[0]) }
      })
      // Shown as the file has it (the embedded engine ran it without CONCURRENTLY).
      out.push(traced(step, { ...stmt, text: source.text }, locks, rewritten(before, after, existing), 0, false, ms))
      before = after
      continue
    }
    await session.exec(`begin${settings}`)
    const start: State = { relations: before.relations, locks: new Map() }
    const ms = await attempt(session, stmt, i, ranBefore(i))
    const after = await read(session)
    await session.exec('commit')
    out.push(traced(step, stmt, addedLocks(start, after, existing), rewritten(start, after, existing), 0, true, ms))
    before = after
  }
  await session.exec('reset all')
  return out
}

function traced(step: PlanStep, stmt: StepStatement, locks: TracedLock[], rewrites: string[], heldWhile: number, observed: boolean, ms: number): TracedStatement {
  return { file: step.file, direction: step.direction, line: stmt.line, statement: oneLine(stmt.text, 200), locks, rewrites, heldWhile, observed, ms }
}

/**
 * The documented lock of a statement that cannot run in a transaction
 * block (PostgreSQL's reference pages): all the CONCURRENTLY forms and
 * VACUUM take SHARE UPDATE EXCLUSIVE on the table (or index) they name.
 * Reads and writes go on.
 */
export function documentedLocks(text: string): { relation: string; mode: LockMode }[] {
  const t = tokenize(text, { comments: false })
  const w = (i: number) => t[i]?.upper
  const at = (i: number): { relation: string; mode: LockMode }[] => {
    const name = qualifiedName(t, i)
    return name ? [{ relation: name, mode: 'ShareUpdateExclusiveLock' }] : []
  }
  if (w(0) === 'CREATE') {
    const on = t.findIndex((k) => k.upper === 'ON')
    if (on < 0) return []
    return at(w(on + 1) === 'ONLY' ? on + 2 : on + 1)
  }
  if (w(0) === 'DROP' && w(1) === 'INDEX') return at(w(3) === 'IF' ? 5 : 3)
  if (w(0) === 'REINDEX') {
    const i = t.findIndex((k) => k.upper === 'CONCURRENTLY')
    return i >= 0 ? at(i + 1) : []
  }
  if (w(0) === 'ALTER' && w(1) === 'TABLE') {
    let i = 2
    if (w(i) === 'IF') i += 2
    if (w(i) === 'ONLY') i++
    return at(i)
  }
  if (w(0) === 'VACUUM') {
    // VACUUM [ (options) | FULL | FREEZE | VERBOSE | ANALYZE ]* table[, ...]
    let i = 1
    if (t[1]?.text === '(') while (i < t.length && t[i - 1]?.text !== ')') i++
    while (['FULL', 'FREEZE', 'VERBOSE', 'ANALYZE'].includes(w(i) ?? '')) i++
    // VACUUM FULL rewrites under ACCESS EXCLUSIVE (and runs in a transaction-less statement too).
    const full = t.slice(0, i).some((k) => k.upper === 'FULL')
    const name = qualifiedName(t, i)
    return name ? [{ relation: name, mode: full ? 'AccessExclusiveLock' : 'ShareUpdateExclusiveLock' }] : []
  }
  return []
}

/** `users` or `audit.events` (public dropped) from tokens at `i`. */
function qualifiedName(t: Token[], i: number): string | undefined {
  const first = t[i] && identifierName(t[i]!)
  if (first === undefined) return undefined
  if (t[i + 1]?.text === '.' && t[i + 2]) {
    const second = identifierName(t[i + 2]!)
    if (second !== undefined) return first === 'public' ? second : `${first}.${second}`
  }
  return first
}

function oneLine(sql: string, max: number): string {
  const flat = sql.replace(/\s+/g, ' ').trim()
  return flat.length > max ? flat.slice(0, max - 3) + '...' : flat
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10
}
