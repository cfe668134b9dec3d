/**
 * Running work while holding the service's migration lock: the lock and work
 * connections, the watches over a run in progress (a lost lock or
 * connection, who blocks a migration), and what core/run.ts needs from them.
 */
import type { ReservedSql, Sql } from 'postgres'
import { watchBlocked } from '../core/blocked.js'
import { watchSteps } from '../core/watch.js'
import { connect, reserveOpened, targetOf } from '../db/connect.js'
import { bounded, STALL_MARGIN_MS } from '../db/deadline.js'
import { connectionLost } from '../db/error.js'
import { acquireServiceLock, type HeldLock } from '../db/lock.js'
import { ensureTables, readApplied, type Tracking } from '../db/tracking.js'
import { inspectSession, isOneSession } from '../db/session.js'
import { InterruptedError } from '../errors.js'
import type { PlanStep } from '../types.js'
import type { Context } from './context.js'

/** What work done under the lock gets: its connection, the tables, the lock and the run's watches. */
export interface Session {
  work: ReservedSql
  t: Tracking
  lock: HeldLock
  /** The watch of the run in progress. */
  watch: ReturnType<typeof watchSteps>
  /** Who blocks the run in progress (our own pool only). */
  blocked?: ReturnType<typeof watchBlocked>
}

/**
 * Runs `fn` holding the service's lock, with a connection for the work and
 * (when the pool allows) another idle one holding the lock.
 */
export async function locked<T>(ctx: Context, signal: AbortSignal | undefined, fn: (s: Session) => Promise<T>): Promise<T> {
  const sql = await ctx.db()
  // Calls that share a pool take turns in-process first: two of them polling
  // for the database lock would each hold a pooled connection, and the
  // winner could then never get its work connection.
  return serialize(sql, ctx.service, () => lockedOn(ctx, sql, signal, fn))
}

/** The context core/run.ts runs steps in. */
/** `markers`: the versions with a progress marker (state.interrupted): their bookkeeping clears it. */
export function runContext(ctx: Context, s: Session, signal?: AbortSignal, markers?: ReadonlySet<number>) {
  return {
    signal,
    markers,
    lock: s.lock,
    watch: s.watch,
    blocked: s.blocked,
    conn: s.work,
    tracking: s.t,
    service: ctx.service,
    timeoutMs: ctx.timeoutMs,
    ddlLockTimeoutMs: ctx.options.ddlLockTimeout,
    retries: ctx.options.retries,
    sendAhead: ctx.options.sendAhead,
    emit: ctx.emit,
  }
}

async function lockedOn<T>(ctx: Context, sql: Sql, signal: AbortSignal | undefined, fn: (s: Session) => Promise<T>): Promise<T> {
  const t = await ctx.tables()
  // Our own pool fetches no types: a connection is reserved only once opened by a query (db/connect.ts).
  const reserve = () => (ctx.options.sql ? sql.reserve() : reserveOpened(sql))
  const lockConn = await ctx.net(sql, 'opening the connection for the migration lock', reserve())
  let work: ReservedSql | undefined
  let held: HeldLock | undefined
  let workLost = false
  const lost = { lock: false }
  let closeSide = () => {}
  try {
    // With a second connection for the work, the lock connection carries
    // nothing else: the lock may then live in a transaction kept open on it,
    // which no connection pooler can separate from its lock (db/lock.ts).
    const max = (sql as unknown as { options?: { max?: number } }).options?.max ?? 1
    // A standby says so once, before the lock and before any file.
    const { oneSession } = await ctx.net(sql, 'checking the server session', inspectSession(lockConn, targetOf(sql)))
    held = await takeLock(ctx, sql, lockConn, max >= 2, signal, oneSession)
    work = max >= 2 ? await ctx.net(sql, 'opening the connection for the migrations', reserve()) : lockConn
    // The migrations' statements run on the work connection: it must be one server session too.
    const pooled = held.pooled || (work !== lockConn && !(await ctx.net(sql, 'checking the server session', isOneSession(work))))
    if (pooled) {
      held = { ...held, pooled }
      ctx.emit({ type: 'warning', service: ctx.service, message: POOLED_WARNING })
    }
    await ctx.net(sql, 'creating the bookkeeping tables', ensureTables(work, t))
    const watches = await startWatches(ctx, sql, work, t, held, lost)
    closeSide = watches.closeSide
    return await fn({ work, t, lock: held, watch: watches.watch, blocked: watches.blocked })
  } catch (e) {
    // postgres.js never answers (or crashes on) a connection the server
    // closed that is handed back to the pool: never hand it back.
    workLost = isLost(e)
    // A guard that found the lock gone on a dedicated lock connection: that connection is gone.
    if ((e as { code?: string })?.code === 'LOCK_LOST' && work !== undefined && work !== lockConn) lost.lock = true
    throw e
  } finally {
    closeSide()
    if (work && work !== lockConn && !workLost) work.release()
    // A lock connection the server closed never answers the release (the
    // lock went with it): do not wait for it past a few seconds.
    // Our own pool after a loss: end it instead (the lock goes with its
    // connection); sending on a closed one would crash postgres.js.
    if (!ctx.options.sql && (workLost || lost.lock)) ctx.abort(sql)()
    const gone = lost.lock || workLost && (work === lockConn || !ctx.options.sql)
    if (held && !gone) await withDeadline(held.release(), 5000).catch(() => {})
    if (!gone) lockConn.release()
  }
}

/** Waits for the service's lock on `lockConn`, saying so when another runner holds it. */
async function takeLock(
  ctx: Context,
  sql: Sql,
  lockConn: ReservedSql,
  dedicated: boolean,
  signal: AbortSignal | undefined,
  oneSession: boolean,
): Promise<HeldLock> {
  const { service, emit } = ctx
  let waited = false
  const held = await acquireServiceLock(lockConn, service, {
    dedicated,
    oneSession,
    timeoutMs: ctx.options.lockTimeout,
    bound: (round) => ctx.net(sql, `waiting for the migration lock of service ${service}`, round),
    sleep: signal ? abortableSleep(signal) : undefined,
    onWait: (holder) => {
      waited = true
      emit({ type: 'lock-wait', service, holder })
    },
  })
  // Only a runner that really found the lock busy says it waited.
  if (waited) emit({ type: 'lock-acquired', service, waitedMs: held.waitedMs })
  return held
}

export const POOLED_WARNING =
  'the connection goes through a pooler or proxy (the server runs it on another backend than the one announced at login), ' +
  'so its statements cannot be proven to stay on one server session: each migration is still applied exactly once ' +
  '(a transaction-level lock and a bookkeeping re-check inside its transaction), but files that run without a transaction are refused'

/** The watches over the run about to start; `lost.lock` is set when the lock is found gone. */
async function startWatches(ctx: Context, sql: Sql, work: ReservedSql, t: Tracking, lock: HeldLock, lost: { lock: boolean }) {
  const closesBefore = ctx.closes
  let closeSide = () => {}
  let blocked: ReturnType<typeof watchBlocked> | undefined
  // Who blocks a migration is read on a connection of its own, opened
  // only when a migration runs long enough to be asked about (our own
  // pool only: a caller's pool may have no connection to spare).
  if (!ctx.options.sql) {
    const [row] = await ctx.net(sql, 'reading the migration session', work.unsafe<{ pid: number }[]>('select pg_backend_pid() as pid'))
    let sideSql: Promise<Sql> | undefined
    const side = () => (sideSql ??= connect(ctx.connectionConfig(), { max: 1 }))
    closeSide = () => void sideSql?.then((x) => x.end({ timeout: 0 })).catch(() => {})
    blocked = watchBlocked({ service: ctx.service, side, workPid: Number(row!.pid), emit: ctx.emit })
  }
  const watch = watchSteps({
    service: ctx.service,
    target: targetOf(sql),
    stallMs: ctx.stallMs,
    abort: ctx.abort(sql),
    // Our own pool tells when one of its connections closes; the lock's
    // own check covers a caller's pool and a lock released by a file: on the
    // server, in a transactional migration's guard as it starts (no round
    // trip of its own), else with a query before it.
    lockHeld: (step) => {
      if (ctx.closes !== closesBefore) {
        lost.lock = true
        return false
      }
      // Checked by the migration's guard on the server: known at once.
      if (step.transactional && lock.heldSql !== undefined) return true
      return (async () => lock.alive())().catch(() => ((lost.lock = true), false))
    },
    recorded: (step) => isRecorded(ctx, work, t, step),
    recordedAfresh: (steps) => isRecordedAfresh(ctx, sql, t, steps),
  })
  return { watch, blocked, closeSide }
}

/** Whether `step`'s version is recorded for the service, read on `conn`. */
async function isRecorded(ctx: Context, conn: Sql | ReservedSql, t: Tracking, step: PlanStep) {
  return (await readApplied(conn, t, ctx.service, true)).rows.some((r) => Number(r.version) === step.version)
}

/** Whether each of `steps` is recorded, on a new connection after the run's connection was lost (retried briefly: the server may be restarting). */
async function isRecordedAfresh(ctx: Context, sql: Sql, t: Tracking, steps: PlanStep[]): Promise<boolean[]> {
  const doing = 'looking up the bookkeeping'
  const read = async (conn: Sql) => {
    const versions = new Set((await readApplied(conn, t, ctx.service, true)).rows.map((r) => Number(r.version)))
    return steps.map((s) => versions.has(s.version))
  }
  if (ctx.options.sql) return bounded(read(ctx.options.sql), STALL_MARGIN_MS, { target: targetOf(sql), doing })
  const fresh = await connect(ctx.connectionConfig(), { max: 1, waitMs: STALL_MARGIN_MS })
  try {
    return await bounded(read(fresh), STALL_MARGIN_MS, { target: targetOf(fresh), doing })
  } finally {
    void fresh.end({ timeout: 0 }).catch(() => {})
  }
}

/** Per pool and service, the tail of the queue of runs waiting for their turn. */
const queues = new WeakMap<object, Map<string, Promise<unknown>>>()

function serialize<T>(pool: object, service: string, run: () => Promise<T>): Promise<T> {
  let byService = queues.get(pool)
  if (!byService) queues.set(pool, (byService = new Map()))
  const previous = byService.get(service) ?? Promise.resolve()
  const result = previous.catch(() => {}).then(run)
  const tail = result.catch(() => {})
  byService.set(service, tail)
  void tail.then(() => {
    if (byService!.get(service) === tail) byService!.delete(service)
  })
  return result
}

/** The run's connection is gone (lost, or given up after a stall). */
function isLost(e: unknown): boolean {
  const code = (e as { code?: string })?.code
  return connectionLost(e) || code === 'CONNECTION_LOST' || code === 'CONNECTION_STALLED'
}

/** The lock wait's pause, cut short by an abort (nothing ran yet: nothing to undo). */
function abortableSleep(signal: AbortSignal): (ms: number) => Promise<void> {
  return (ms) =>
    new Promise<void>((resolve, reject) => {
      const stop = () => {
        clearTimeout(timer)
        reject(Object.assign(new InterruptedError('interrupted while waiting for the migration lock'), { completed: [] }))
      }
      if (signal.aborted) return stop()
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', stop)
        resolve()
      }, ms)
      signal.addEventListener('abort', stop, { once: true })
    })
}

/** Rejects when `promise` has not settled within `ms`. */
function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms}ms`)), ms)
  })
  // The raced promise may still reject later (its connection ended by close()): never unhandled.
  promise.catch(() => {})
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer))
}
