/**
 * Opening a postgres.js instance from a resolved ConnectionConfig, proving it
 * with a real login and a first query (`select 1`, or one the caller needs), and `--wait` (retrying that login until
 * the server accepts it: the replacement for `nc -z postgres 5432`).
 *
 * Every try is bounded by connect_timeout (`?connect_timeout=`,
 * PGCONNECT_TIMEOUT; default 10 s, 0 = no limit), and `--wait N` never waits
 * past N, even for a server that accepts TCP connections and then says nothing.
 */
import postgres, { type ReservedSql, type Sql } from 'postgres'
import { type ConnectionConfig } from '../config/connection.js'
import { toPostgresOptions } from '../config/driver-options.js'
import { printable } from '../config/redact.js'
import { ConnectError } from '../errors.js'
import { bounded } from './deadline.js'

/** Seconds to wait for one connection when nothing configures connect_timeout. */
export const DEFAULT_CONNECT_TIMEOUT_S = 10

/** Seconds of idle time before the first TCP keepalive probe on every connection. */
export const KEEPALIVE_S = 10

export interface ConnectOptions {
  /** Retry the login for this long; 0/undefined tries once. */
  waitMs?: number
  /** Told each time a try fails while waiting. */
  onWait?: (reason: string, elapsedMs: number) => void
  /** Connections in the pool: one for the lock, one for the work. */
  max?: number
  /** Told when a connection of the returned pool closes (server restart, pg_terminate_backend, network). */
  onClose?: () => void
  /**
   * Fetch the server's array types on each new connection (postgres.js's
   * fetch_types, one round trip per connection): default true. The
   * migrator's own pool turns it off (issue 20: a no-op `up` in one round
   * trip after login); it passes no array parameters and reads no array
   * columns, and reserves a connection only once one is open (see
   * {@link reserveOpened}).
   */
  types?: boolean
  /**
   * Gives up: no other try starts, the returned promise rejects at once
   * with the signal's reason, and the pool of the try in flight is closed
   * when that try ends. For a login begun ahead of other work whose result
   * is no longer wanted.
   */
  signal?: AbortSignal
  /** Injected for tests. */
  sleep?: (ms: number) => Promise<void>
}

/** connect_timeout in ms as configured (0: no limit). */
export function connectTimeoutMs(config: ConnectionConfig): number {
  return (config.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT_S) * 1000
}

/** Opens and proves a connection. Throws ConnectError naming host, port, database, user and the server's reason. */
export async function connect(config: ConnectionConfig, opts: ConnectOptions = {}): Promise<Sql> {
  return (await connectWith(config, opts, (sql) => sql`select 1`)).sql
}

/**
 * {@link connect}, proving the login with `first`, a query the caller needs
 * anyway, instead of a `select 1` of its own (issue 20: a no-op `up` reads
 * its bookkeeping as the first query after login). `first` must fail only
 * when the connection does (login, network): any other failure it turns
 * into its result. It counts within connect_timeout.
 */
export async function connectWith<T>(config: ConnectionConfig, opts: ConnectOptions, first: (sql: Sql) => Promise<T>): Promise<{ sql: Sql; first: T }> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)))
  const limitMs = connectTimeoutMs(config)
  const started = Date.now()
  const given = givenUp(opts.signal)
  let lastReason: string | undefined
  for (;;) {
    // A fresh pool per try: one whose try was cut short may still be waiting on a dead socket.
    let proven = false
    const sql = open(config, opts.max ?? 2, opts.types ?? true, () => proven && opts.onClose?.())
    const left = opts.waitMs ? Math.max(opts.waitMs - (Date.now() - started), 1) : undefined
    // The try ends at connect_timeout or when --wait runs out, whichever comes first.
    const tryMs = left === undefined ? limitMs : limitMs ? Math.min(limitMs, left) : left
    const tried = bounded(first(sql), tryMs, { target: describeTarget(config), doing: 'connecting' }, () => void sql.end({ timeout: 0 }))
    try {
      const result = await (given ? Promise.race([tried, given]) : tried)
      proven = true
      return { sql, first: result }
    } catch (e) {
      if (opts.signal?.aborted) {
        // Given up: the try ends on its own (connect_timeout at most), then
        // its pool. Not sooner: postgres.js's end() leaves a socket that is
        // still connecting open (terminate() only ends an open one).
        void tried.then(noop, noop).then(() => sql.end({ timeout: 0 })).catch(noop)
        throw opts.signal.reason
      }
      void sql.end({ timeout: 0 }).catch(() => {})
      // A try cut short by the end of --wait says less than the try before it.
      const cut = (e as { code?: string }).code === 'CONNECTION_STALLED' && tryMs !== limitMs
      const reason = cut && lastReason ? lastReason : connectReason(e, config)
      lastReason = reason
      const elapsed = Date.now() - started
      if (!opts.waitMs || elapsed >= opts.waitMs - 1) {
        const waited = opts.waitMs ? ` (waited ${Math.round(elapsed / 1000)}s)` : ''
        throw new ConnectError(`cannot connect to ${describeTarget(config)}: ${reason}${waited}`, e)
      }
      opts.onWait?.(reason, elapsed)
      const pause = sleep(Math.min(1000, Math.max(opts.waitMs - elapsed, 0)))
      await (given ? Promise.race([pause, given]) : pause)
    }
  }
}

const noop = (): void => {}

/** A promise that rejects when `signal` aborts (never settles without one that does). */
function givenUp(signal: AbortSignal | undefined): Promise<never> | undefined {
  if (!signal) return undefined
  const p = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason)
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true })
  })
  p.catch(() => {})
  return p
}

function open(config: ConnectionConfig, max: number, types: boolean, onclose: () => void): Sql {
  return postgres({
    ...toPostgresOptions(config),
    max,
    // Unnamed statements only: PgBouncer in transaction mode cannot keep named
    // prepared statements across transactions, and we send few, cheap queries.
    prepare: false,
    fetch_types: types,
    onnotice: () => {},
    // 0 = no limit, as in libpq (postgres.js: no timer); the try is bounded above as well.
    connect_timeout: config.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT_S,
    keep_alive: KEEPALIVE_S,
    idle_timeout: 0,
    max_lifetime: null,
    onclose,
  } as unknown as postgres.Options<{}>)
}

/**
 * `sql.reserve()` for a pool opened with `types: false`, when no idle
 * connection may be open. postgres.js 3.4.9 never resolves a reserve() that
 * has to open a new connection itself with fetch_types off: its
 * ReadyForQuery handler drops the waiting reserve (`initial.reserve`) and
 * returns before handing the connection over (connection.js; with
 * fetch_types on, the type query's own ReadyForQuery hands it over). A pool
 * query opens the connection the ordinary way first; the reserve then takes
 * it idle. For a pool of two with the other connection reserved, that is
 * the connection the query ran on.
 */
export async function reserveOpened(sql: Sql): Promise<ReservedSql> {
  await sql.unsafe('select 1')
  return sql.reserve()
}

/** `host:port` (or the socket directory) of a postgres.js instance, ours or a caller's. */
export function targetOf(sql: Sql): string {
  const o = (sql as unknown as { options?: { host?: string[]; port?: number[]; path?: string } }).options
  if (o?.path) return o.path
  const host = o?.host?.[0] ?? 'localhost'
  return `${host.includes(':') ? `[${host}]` : host}:${o?.port?.[0] ?? 5432}`
}

/**
 * `database "linkdb" on 127.0.0.1:5432 as user "linkuser"`; never the
 * password. Line breaks in the names (a URL pasted with one) are escaped:
 * one line, no forged log line.
 */
export function describeTarget(c: ConnectionConfig): string {
  const host = printable(c.host.startsWith('/') ? `socket ${c.host}` : c.host.includes(':') ? `[${c.host}]` : c.host)
  return `database "${printable(c.database)}" on ${host}:${c.port} as user "${printable(c.user)}"`
}

/** The server's or the network's reason, in words a person at 3 a.m. can act on. */
export function connectReason(e: unknown, c: ConnectionConfig): string {
  const err = e as { code?: string; message?: string; errno?: string }
  const tls = tlsReason(err, c)
  if (tls) return tls
  switch (err.code) {
    case 'ECONNREFUSED':
      return `connection refused (is PostgreSQL running and listening on ${printable(c.host)}:${c.port}?)`
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host "${printable(c.host)}" not found`
    case 'ENOENT':
      return `no server socket in ${printable(c.host)}`
    case 'CONNECT_TIMEOUT':
    case 'CONNECTION_STALLED':
      return `the server did not answer (connect_timeout ${c.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT_S}s)`
    case 'ETIMEDOUT':
      return 'connection timed out'
    case 'ECONNRESET':
      return c.sslmode === 'require' || c.sslmode.startsWith('verify')
        ? `connection reset by the server (does it accept TLS? sslmode is ${c.sslmode})`
        : 'connection reset by the server'
    case '57P03':
      return `the server is starting up or shutting down (${err.message})`
    default:
      return err.message ?? String(e)
  }
}

/** Node's codes for a server certificate that no trusted CA signed. */
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
])

/**
 * TLS verification failures (sslmode verify-ca / verify-full), said in terms
 * of the settings that fix them. Undefined for anything else.
 */
function tlsReason(err: { code?: string; message?: string }, c: ConnectionConfig): string | undefined {
  const code = err.code ?? ''
  const ca = c.sslrootcert && c.sslrootcert !== 'system' ? c.sslrootcert : undefined
  if (UNTRUSTED.has(code)) {
    return ca
      ? `the server's certificate is not signed by the CA in ${ca} (${err.message}; sslmode ${c.sslmode})`
      : `the server's certificate is not signed by a trusted CA (${err.message}; sslmode ${c.sslmode}): ` +
          'give the CA file with sslrootcert= in the URL, DB_SSLROOTCERT or PGSSLROOTCERT'
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return `the server's certificate is not valid now (${err.message}; sslmode ${c.sslmode})`
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const cert = (err as { cert?: { subjectaltname?: string; subject?: { CN?: string } } }).cert
    const names = cert?.subjectaltname || (cert?.subject?.CN ? `CN=${cert.subject.CN}` : 'other names')
    return (
      `the server's certificate is for ${names}, which does not match the host ${printable(c.host)} (sslmode verify-full checks the name): ` +
      'connect by a name the certificate has, or use sslmode verify-ca'
    )
  }
  return undefined
}
