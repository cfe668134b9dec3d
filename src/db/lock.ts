/**
 * The per-service advisory lock (SPEC 5). Waiters poll with a non-blocking
 * try instead of blocking, so a waiting replica holds no snapshot that a
 * `CREATE INDEX CONCURRENTLY` of the holder must wait for (the Flyway hang).
 * A killed holder's lock goes with its connection.
 *
 * Where it lives depends on the connection it is given:
 *
 * - A dedicated connection (the work runs on another one: what
 *   createMigrator does with a pool of two or more): the lock is a
 *   transaction-level lock, `pg_try_advisory_xact_lock`, in a READ COMMITTED
 *   transaction kept open on that connection for the run and ended at
 *   release. Such a transaction holds no snapshot and no transaction id while
 *   it idles (so CREATE INDEX CONCURRENTLY, VACUUM and replication do not wait
 *   for it), and every connection pooler keeps a transaction on one server
 *   connection. That is the point: behind PgBouncer in transaction mode a
 *   session-level lock is taken on whichever server connection the statement
 *   lands on, and the unlock may land on another one, leaving the lock behind
 *   on a pooled server connection where no runner can ever release it (every
 *   later runner then waits for it; measured, see
 *   test/guarantees/pgbouncer.test.ts). A transaction-level lock cannot
 *   outlive its transaction, whatever the pooler does.
 *   `idle_in_transaction_session_timeout` (and PostgreSQL 17's
 *   `transaction_timeout`) are switched off inside that transaction only.
 *
 * - A shared connection (one connection for the lock and the work: a caller's
 *   pool of one): the migrations' own BEGIN/COMMIT would end a lock
 *   transaction, so the lock is a session-level lock taken in one statement
 *   together with a per-session token, released only on the session that
 *   carries that token.
 *
 *   Only on a connection proven to be one server session (db/session.ts:
 *   the backend pid announced at login is the one that runs the
 *   statements). Otherwise (a pooler or proxy) no session-level lock is
 *   taken at all, so none can be left behind on a pooled server connection:
 *   the run goes on under each migration's transaction-level guard alone.
 *
 * A connection not proven to be one server session is reported as `pooled`:
 * exactly-once then rests on each migration's transaction-level guard, and
 * files that run without a transaction are refused (their statements and
 * session settings could land on different server connections).
 */
import { randomBytes } from 'node:crypto'
import type { ReservedSql, Sql } from 'postgres'
import { LockError } from '../errors.js'
import type { LockHolder } from '../types.js'
import { lockKeys } from './keys.js'
import { literal } from './tracking.js'

export interface HeldLock {
  waitedMs: number
  /**
   * True when the lock connection is not one server session: a pooler in
   * transaction mode hands each statement to whichever backend is free, so
   * session state (and a session lock) is not where it seems to be.
   */
  pooled: boolean
  /** Re-checks that the lock is still held where it was taken (false when it is not). */
  verify(): Promise<boolean>
  /**
   * Whether the run may go on: the lock is still held (verify), or there is
   * no session lock to lose (a pooled shared connection, where each
   * migration's guard alone keeps exactly-once). Throws when the lock's
   * connection is gone.
   */
  alive(): Promise<boolean>
  /**
   * A SQL condition, true while the lock is held, for each migration's guard
   * to check on the server as the migration starts (no round trip of its
   * own, and it holds for migrations sent ahead in one pipeline). Undefined
   * where there is no lock to lose (a pooled shared connection).
   */
  heldSql?: string
  release(): Promise<void>
}

export interface LockOptions {
  /** Give up after this long; undefined waits as long as it takes. */
  timeoutMs?: number
  /** Called once when the lock is busy, and again every `reportEveryMs`. */
  onWait?: (holder: LockHolder | null) => void
  reportEveryMs?: number
  /**
   * The connection carries nothing but the lock until release (the work runs
   * on another connection), so the lock may live in a transaction kept open
   * on it: what createMigrator does when its pool has two connections or
   * more. Default false (session-level lock).
   */
  dedicated?: boolean
  /**
   * Whether `conn` is proven to be one server session (db/session.ts). False:
   * no session-level lock is taken (a shared connection goes on lockless,
   * under each migration's guard) and the lock reports `pooled`. Undefined:
   * not known (detected from the statements, as before).
   */
  oneSession?: boolean
  /** Bounds each round trip of the wait (a silent network must not hang it: db/deadline.ts). */
  bound?: <T>(round: Promise<T>) => Promise<T>
  /** Injected for tests. */
  sleep?: (ms: number) => Promise<void>
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

const newToken = () => `${process.pid}-${Date.now()}-${randomBytes(6).toString('hex')}`

/**
 * Takes the service's lock on `conn` (a connection reserved for it). Throws
 * LockError naming the holder when `timeoutMs` passes first.
 */
export async function acquireServiceLock(conn: ReservedSql | Sql, service: string, opts: LockOptions = {}): Promise<HeldLock> {
  const [k1, k2] = lockKeys.session(service)
  const marker = `link-migrate ${service}`.slice(0, 63)
  const attempt = opts.dedicated ? pinnedAttempt : sessionAttempt
  const bound = opts.bound ?? (<T>(p: Promise<T>) => p)
  const sleep = opts.sleep ?? defaultSleep
  const started = Date.now()
  const seen = { pooled: opts.oneSession === false }
  let nextReport = 0
  let pause = 50
  for (;;) {
    const got = await bound(attempt(conn, k1, k2, marker, seen))
    // Behind a pooler a shared connection's session lock is not where it seems:
    // exactly-once rests on each migration's guard, there is no lock to lose.
    if (got) {
      const none = got.pooled && !opts.dedicated
      return { ...got, alive: () => (none ? Promise.resolve(true) : got.verify()), heldSql: none ? undefined : got.heldSql, waitedMs: Date.now() - started }
    }
    const elapsed = Date.now() - started
    if (opts.timeoutMs !== undefined && elapsed >= opts.timeoutMs) {
      const holder = await bound(lockHolder(conn, service))
      throw new LockError(
        `could not take the migration lock of service ${service} within ${formatMs(opts.timeoutMs)}: ${describeHolder(holder)}`,
      )
    }
    if (opts.onWait && elapsed >= nextReport) {
      opts.onWait(await bound(lockHolder(conn, service)))
      nextReport = elapsed + (opts.reportEveryMs ?? 10_000)
    }
    const left = opts.timeoutMs === undefined ? pause : Math.min(pause, Math.max(opts.timeoutMs - elapsed, 1))
    await sleep(left)
    pause = Math.min(pause * 2, 500)
  }
}

type Attempt = (
  conn: ReservedSql | Sql,
  k1: number,
  k2: number,
  marker: string,
  seen: { pooled: boolean },
) => Promise<Omit<HeldLock, 'waitedMs' | 'alive'> | null>

/**
 * One try on a dedicated connection: the backend pid seen by one statement
 * is compared with the pid inside the lock transaction (a transaction-mode
 * pooler may hand that one to another server connection; a pid leaves
 * nothing behind on a pooled connection, a session setting would); then
 * `pg_try_advisory_xact_lock`. On success the transaction stays open until
 * release; otherwise it ends at once.
 */
const pinnedAttempt: Attempt = async (conn, k1, k2, marker, seen) => {
  const [first] = await conn<{ pid: number }[]>`select pg_backend_pid() as pid`
  // Inside the transaction, simple-protocol statements only (values inlined
  // with literal()): an extended-protocol statement leaves its portal, and
  // the portal's snapshot, open until the next one, so the idle transaction
  // would hold back an xmin that CREATE INDEX CONCURRENTLY waits for.
  await conn.unsafe('begin isolation level read committed')
  let open = true
  try {
    // A server connection that already holds the key at session level (left
    // behind there by an older link-migrate through a pooler) would grant the
    // transaction-level lock to anyone who lands on it: never ask it.
    const [row] = await conn.unsafe<{ pid: number; same: boolean; ok: boolean }[]>(`
      select pg_backend_pid() as pid,
             pg_backend_pid() = ${Number(first!.pid)} as same,
             case when coalesce(current_setting('link_migrate.lock_token', true), '') <> '' then false
                  when ${heldHere(k1, k2)} then false
                  when pg_try_advisory_xact_lock(${k1}, ${k2})
                  -- Named in the statement that takes the lock, so a waiter never sees it unnamed.
                  then set_config('application_name', ${literal(marker)}, true) is not null
                  else false end as ok`)
    if (!row!.same) seen.pooled = true
    if (!row!.ok) {
      open = false
      await conn.unsafe('commit')
      return null
    }
    // Named while it holds the lock (above), for waiters to see; local to the
    // transaction, so the name and the timeouts go back with it.
    await conn.unsafe(`
      select (select count(set_config(name, '0', true)) from pg_catalog.pg_settings
               where name in ('idle_in_transaction_session_timeout', 'transaction_timeout'))`)
    const pid = Number(row!.pid)
    return {
      pooled: seen.pooled,
      // Read from any session: the work connection's guard asks about the lock connection's backend.
      heldSql: heldBy(String(pid), k1, k2),
      verify: async () => {
        const [r] = await conn.unsafe<{ ok: boolean }[]>(`select pg_backend_pid() = ${pid} and ${heldHere(k1, k2)} as ok`)
        return Boolean(r?.ok)
      },
      release: async () => {
        if (!open) return
        open = false
        await conn.unsafe('commit')
      },
    }
  } catch (e) {
    if (open) await conn.unsafe('rollback').catch(() => {})
    throw e
  }
}

/** SQL: this backend holds the key (at either level). Two-int4 advisory keys show objsubid 2. */
function heldHere(k1: number, k2: number): string {
  return heldBy('pg_backend_pid()', k1, k2)
}

/** SQL: backend `pid` (an SQL expression) holds the key. */
function heldBy(pid: string, k1: number, k2: number): string {
  return (
    `exists (select 1 from pg_catalog.pg_locks where locktype = 'advisory' and pid = ${pid} and granted ` +
    `and objsubid = 2 and classid = ${Math.trunc(k1)}::int8::oid and objid = ${Math.trunc(k2)}::int8::oid)`
  )
}

/**
 * One try on a shared connection: lock, token and name set in one statement,
 * so they are on one server session whatever a pooler does. A session that
 * already carries another runner's token is a pooled backend (transaction
 * mode) on which pg_try_advisory_lock would say yes to anyone: never ask it,
 * and go on without the session lock (the per-migration guard keeps
 * exactly-once).
 */
const sessionAttempt: Attempt = async (conn, k1, k2, marker, seen) => {
  // Not proven to be one server session: a session lock could be taken on one
  // pooled server connection and the unlock sent to another, leaving it behind.
  if (seen.pooled) return lockless()
  const token = newToken()
  const [row] = await conn<{ ok: boolean | null; pid: number; app: string }[]>`
    select pg_backend_pid() as pid,
           current_setting('application_name') as app,
           case when coalesce(current_setting('link_migrate.lock_token', true), '') <> '' then null
                when pg_try_advisory_lock(${k1}, ${k2})
                then set_config('link_migrate.lock_token', ${token}, false) = ${token}
                     and set_config('application_name', ${marker}, false) is not null
                else false end as ok`
  if (row!.ok === null) {
    seen.pooled = true
    return lockless()
  }
  if (!row!.ok) return null
  const verify = async () => {
    const [r] = await conn<{ ok: boolean }[]>`
      select coalesce(current_setting('link_migrate.lock_token', true), '') = ${token}
             and pg_backend_pid() = ${row!.pid}
             and ${conn.unsafe(heldHere(k1, k2))} as ok`
    return Boolean(r?.ok)
  }
  return {
    pooled: seen.pooled || !(await verify()),
    verify,
    heldSql:
      `coalesce(current_setting('link_migrate.lock_token', true), '') = ${literal(token)} ` +
      `and pg_backend_pid() = ${Number(row!.pid)} and ${heldHere(k1, k2)}`,
    // Only where our token is: the unlock of another session would be a
    // no-op, and its token must not be cleared from under another runner.
    // The connection is one server session (taken only then), so it is there.
    release: async () => {
      await conn`
        select case when coalesce(current_setting('link_migrate.lock_token', true), '') = ${token}
                    then pg_advisory_unlock(${k1}, ${k2})
                         and set_config('link_migrate.lock_token', '', false) = ''
                         and set_config('application_name', ${row!.app}, false) is not null
               end as released`
    },
  }
}

/** No session lock behind a pooler: each migration's transaction-level guard keeps exactly-once. */
function lockless(): Omit<HeldLock, 'waitedMs'> {
  return { pooled: true, verify: async () => false, alive: async () => true, release: async () => {} } as Omit<HeldLock, 'waitedMs'>
}

/** Who holds the service's lock right now, from pg_locks and pg_stat_activity. */
export async function lockHolder(sql: ReservedSql | Sql, service: string): Promise<LockHolder | null> {
  const [k1, k2] = lockKeys.session(service)
  // One-word aliases: a caller's instance may transform column names (postgres.camel).
  const [row] = await sql<{ pid: number; app: string; since: Date | null; addr: string | null }[]>`
    select a.pid, a.application_name as app, coalesce(a.state_change, a.backend_start) as since,
           host(a.client_addr) as addr
      from pg_locks l join pg_stat_activity a on a.pid = l.pid
     where l.locktype = 'advisory' and l.granted
       -- advisory locks are per database: a holder of the same key in another database is not ours
       and l.database = (select oid from pg_database where datname = current_database())
       and l.classid = ${k1}::int8::oid and l.objid = ${k2}::int8::oid and l.objsubid = 2
     limit 1`
  if (!row) return null
  return {
    pid: row.pid,
    applicationName: row.app,
    since: row.since ? row.since.toISOString() : null,
    clientAddr: row.addr,
  }
}

export function describeHolder(holder: LockHolder | null): string {
  if (!holder) return 'held by a session that is not visible to this user'
  const app = holder.applicationName ? `application "${holder.applicationName}"` : 'no application name'
  const from = holder.clientAddr ? ` from ${holder.clientAddr}` : ''
  return `held by pid ${holder.pid} (${app}${from}) since ${holder.since ?? 'an unknown time'}`
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`
  if (ms < 60_000) return `${+(ms / 1000).toFixed(1)}s`
  return `${+(ms / 60_000).toFixed(1)}m`
}
