/**
 * The per-service session advisory lock (SPEC 5). It lives on its own idle
 * connection, outside any transaction, and waiters poll
 * `pg_try_advisory_lock` instead of blocking: a waiting replica then holds no
 * snapshot that a `CREATE INDEX CONCURRENTLY` of the holder must wait for
 * (the Flyway hang). A killed holder's lock goes with its connection.
 */
import type { ReservedSql, Sql } from 'postgres'
import { LockError } from '../errors.js'
import type { LockHolder } from '../types.js'
import { lockKeys } from './keys.js'

export interface HeldLock {
  waitedMs: number
  /**
   * True when the lock connection is not one server session: a pooler in
   * transaction mode hands each statement to whichever backend is free, so
   * a session lock is not held where it seems to be.
   */
  pooled: boolean
  /** Re-checks that this connection is still the session that took the lock. */
  verify(): Promise<boolean>
  release(): Promise<void>
}

export interface LockOptions {
  /** Give up after this long; undefined waits as long as it takes. */
  timeoutMs?: number
  /** Called once when the lock is busy, and again every `reportEveryMs`. */
  onWait?: (holder: LockHolder | null) => void
  reportEveryMs?: number
  /** Injected for tests. */
  sleep?: (ms: number) => Promise<void>
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/**
 * Takes the service's lock on `conn` (a connection reserved for it). Throws
 * LockError naming the holder when `timeoutMs` passes first.
 */
export async function acquireServiceLock(conn: ReservedSql | Sql, service: string, opts: LockOptions = {}): Promise<HeldLock> {
  const [k1, k2] = lockKeys.session(service)
  const sleep = opts.sleep ?? defaultSleep
  const started = Date.now()
  let nextReport = 0
  let pause = 50
  for (;;) {
    // A session that already carries another runner's token is a pooled
    // backend (transaction mode): pg_try_advisory_lock would say yes to us
    // because that backend holds the lock, so never ask it.
    const [row] = await conn<{ ok: boolean | null; pid: number }[]>`
      select case when coalesce(current_setting('link_migrate.lock_token', true), '') = ''
                  then pg_try_advisory_lock(${k1}, ${k2}) end as ok,
             pg_backend_pid() as pid`
    if (row && row.ok === null) {
      return pooledLock(conn, Date.now() - started)
    }
    if (row?.ok) {
      const token = `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`
      // Stays on the idle lock connection so waiters can see who and since when
      // (pg_stat_activity.state_change is when it went idle, i.e. just after this).
      // The previous name comes back on release: the connection may be a
      // caller's pooled one (library use), which must not keep our name.
      const [prev] = await conn<{ app: string; pid: number }[]>`
        select current_setting('application_name') as app, pg_backend_pid() as pid,
               set_config('link_migrate.lock_token', ${token}, false),
               set_config('application_name', ${`link-migrate ${service}`.slice(0, 63)}, false)`
      const verify = async () => {
        const [r] = await conn<{ ok: boolean }[]>`
          select coalesce(current_setting('link_migrate.lock_token', true), '') = ${token}
                 and pg_backend_pid() = ${row.pid} as ok`
        return Boolean(r?.ok)
      }
      return {
        waitedMs: Date.now() - started,
        pooled: prev?.pid !== row.pid || !(await verify()),
        verify,
        release: async () => {
          await conn`select pg_advisory_unlock(${k1}, ${k2}),
                            set_config('link_migrate.lock_token', '', false),
                            set_config('application_name', ${prev?.app ?? ''}, false)`
        },
      }
    }
    const elapsed = Date.now() - started
    if (opts.timeoutMs !== undefined && elapsed >= opts.timeoutMs) {
      const holder = await lockHolder(conn, service)
      throw new LockError(
        `could not take the migration lock of service ${service} within ${formatMs(opts.timeoutMs)}: ${describeHolder(holder)}`,
      )
    }
    if (opts.onWait && elapsed >= nextReport) {
      opts.onWait(await lockHolder(conn, service))
      nextReport = elapsed + (opts.reportEveryMs ?? 10_000)
    }
    const left = opts.timeoutMs === undefined ? pause : Math.min(pause, Math.max(opts.timeoutMs - elapsed, 1))
    await sleep(left)
    pause = Math.min(pause * 2, 500)
  }
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

/**
 * The lock as seen behind a transaction-mode pooler: not held. Exactly-once
 * then rests on each migration's transaction-level lock and bookkeeping
 * re-check; files that run without a transaction are refused.
 */
function pooledLock(_conn: ReservedSql | Sql, waitedMs: number): HeldLock {
  return { waitedMs, pooled: true, verify: async () => false, release: async () => {} }
}
