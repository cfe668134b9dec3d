/**
 * Opening a postgres.js instance from a resolved ConnectionConfig, proving it
 * with a real login and `select 1`, and `--wait` (retrying that login until
 * the server accepts it: the replacement for `nc -z postgres 5432`).
 */
import postgres, { type Sql } from 'postgres'
import { type ConnectionConfig, toPostgresOptions } from '../config/resolve.js'
import { ConnectError } from '../errors.js'

export interface ConnectOptions {
  /** Retry the login for this long; 0/undefined tries once. */
  waitMs?: number
  /** Told each time a try fails while waiting. */
  onWait?: (reason: string, elapsedMs: number) => void
  /** Connections in the pool: one for the lock, one for the work. */
  max?: number
  /** Injected for tests. */
  sleep?: (ms: number) => Promise<void>
}

/** Opens and proves a connection. Throws ConnectError naming host, port, database, user and the server's reason. */
export async function connect(config: ConnectionConfig, opts: ConnectOptions = {}): Promise<Sql> {
  const sql = postgres({
    ...toPostgresOptions(config),
    max: opts.max ?? 2,
    // Unnamed statements only: PgBouncer in transaction mode cannot keep named
    // prepared statements across transactions, and we send few, cheap queries.
    prepare: false,
    // fetch_types stays on although no array type is used: with it off,
    // postgres.js 3.4.9's reserve() never resolves on a fresh connection
    // (its ReadyForQuery path returns before handing the connection over).
    onnotice: () => {},
    connect_timeout: 10,
    idle_timeout: 0,
    max_lifetime: null,
  } as unknown as postgres.Options<{}>)
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)))
  const started = Date.now()
  for (;;) {
    try {
      await sql`select 1`
      return sql
    } catch (e) {
      const reason = connectReason(e, config)
      const elapsed = Date.now() - started
      if (!opts.waitMs || elapsed >= opts.waitMs) {
        await sql.end({ timeout: 0 }).catch(() => {})
        const waited = opts.waitMs ? ` (waited ${Math.round(elapsed / 1000)}s)` : ''
        throw new ConnectError(`cannot connect to ${describeTarget(config)}: ${reason}${waited}`, e)
      }
      opts.onWait?.(reason, elapsed)
      await sleep(Math.min(1000, opts.waitMs - elapsed))
    }
  }
}

/** `database "linkdb" on 127.0.0.1:5432 as user "linkuser"`; never the password. */
export function describeTarget(c: ConnectionConfig): string {
  const host = c.host.startsWith('/') ? `socket ${c.host}` : c.host.includes(':') ? `[${c.host}]` : c.host
  return `database "${c.database}" on ${host}:${c.port} as user "${c.user}"`
}

/** The server's or the network's reason, in words a person at 3 a.m. can act on. */
export function connectReason(e: unknown, c: ConnectionConfig): string {
  const err = e as { code?: string; message?: string; errno?: string }
  switch (err.code) {
    case 'ECONNREFUSED':
      return `connection refused (is PostgreSQL running and listening on ${c.host}:${c.port}?)`
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host "${c.host}" not found`
    case 'ENOENT':
      return `no server socket in ${c.host}`
    case 'CONNECT_TIMEOUT':
      return 'timed out while connecting'
    case 'ETIMEDOUT':
      return 'connection timed out'
    case 'ECONNRESET':
      return 'connection reset by the server'
    case '57P03':
      return `the server is starting up or shutting down (${err.message})`
    default:
      return err.message ?? String(e)
  }
}
