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
  const tls = tlsReason(err, c)
  if (tls) return tls
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
      `the server's certificate is for ${names}, which does not match the host ${c.host} (sslmode verify-full checks the name): ` +
      'connect by a name the certificate has, or use sslmode verify-ca'
    )
  }
  return undefined
}
