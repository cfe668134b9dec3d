/** A resolved connection as postgres.js options: host, socket path, TLS per sslmode. */
import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { checkServerIdentity, type PeerCertificate } from 'node:tls'
import { ConfigError } from '../errors.js'
import type { ConnectionConfig } from './connection.js'

/** TLS options handed to postgres.js, which passes them to `tls.connect`. */
export interface TlsOptions {
  rejectUnauthorized: true
  ca?: string | Buffer
  servername?: string
  checkServerIdentity?: (host: string, cert: PeerCertificate) => Error | undefined
}

/**
 * Options for `postgres()`. `host` and `port` are one-element arrays because
 * postgres.js splits a string host on ":" (to allow "h1:5432,h2:5433"), which
 * breaks IPv6 addresses; the array form bypasses that. postgres.js's types
 * only declare the string form, hence the cast at the call site.
 */
export type PostgresOptions = {
  host: string[]
  port: number[]
  /** Socket file, for a unix-socket host. */
  path?: string
  user: string
  password?: string
  database: string
  ssl: false | 'prefer' | 'require' | TlsOptions
  connection: { application_name: string }
  connect_timeout?: number
}

/**
 * Maps a {@link ConnectionConfig} to the options of postgres.js:
 *
 * | sslmode | ssl |
 * | --- | --- |
 * | disable, or a unix socket (libpq never uses TLS there) | `false` |
 * | allow, prefer | `'prefer'` (TLS when the server offers it, unverified) |
 * | require | `'require'` (TLS, unverified); with an sslrootcert file, as verify-ca (libpq) |
 * | verify-ca | `{ rejectUnauthorized: true, ca, checkServerIdentity: () => undefined }` (chain checked, name not) |
 * | verify-full | `{ rejectUnauthorized: true, ca, servername }`; for an IP host, `checkServerIdentity` against that IP |
 *
 * `ca` is the sslrootcert file's content; without sslrootcert (or with
 * `system`) Node's default CAs are used. `connect_timeout` is set only when
 * configured. The result is deterministic apart from that file read.
 *
 * @param io.readFile reads the CA file (default `fs.readFileSync(path, 'utf8')`)
 * @throws {ConfigError} when the sslrootcert file cannot be read
 * @example
 * const sql = postgres(toPostgresOptions(resolveConnection({ env: process.env })) as unknown as postgres.Options<{}>)
 */
export function toPostgresOptions(
  c: ConnectionConfig,
  io: { readFile?: (path: string) => string | Buffer } = {},
): PostgresOptions {
  const socket = c.host.startsWith('/')
  const options: PostgresOptions = {
    host: [c.host],
    port: [c.port],
    // postgres.js would derive the same path from a host with "/", but only from a string host.
    ...(socket ? { path: `${c.host.replace(/\/+$/, '')}/.s.PGSQL.${c.port}` } : {}),
    user: c.user,
    ...(c.password !== undefined ? { password: c.password } : {}),
    database: c.database,
    ssl: false,
    connection: { application_name: c.applicationName },
    ...(c.connectTimeout !== undefined ? { connect_timeout: c.connectTimeout } : {}),
  }

  const caFile = c.sslrootcert !== undefined && c.sslrootcert !== 'system' ? c.sslrootcert : undefined
  const mode = c.sslmode === 'require' && caFile ? 'verify-ca' : c.sslmode
  if (socket || mode === 'disable') return options
  if (mode === 'allow' || mode === 'prefer') return { ...options, ssl: 'prefer' }
  if (mode === 'require') return { ...options, ssl: 'require' }

  const tls: TlsOptions = { rejectUnauthorized: true }
  if (caFile) tls.ca = readCa(caFile, io.readFile ?? ((p) => readFileSync(p, 'utf8')))
  if (mode === 'verify-ca') {
    tls.checkServerIdentity = () => undefined // verify-ca trusts any name on a certificate from the CA
  } else if (isIP(c.host)) {
    // postgres.js sends no servername for an IP, and Node would then check the name "localhost".
    const host = c.host
    tls.checkServerIdentity = (_name, cert) => checkServerIdentity(host, cert)
  } else {
    tls.servername = c.host
  }
  return { ...options, ssl: tls }
}

function readCa(path: string, readFile: (path: string) => string | Buffer): string | Buffer {
  try {
    return readFile(path)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw new ConfigError(`cannot read the sslrootcert file "${path}"${code ? ` (${code})` : ''}`)
  }
}
