/**
 * The resolved connection target (what resolve.ts returns and db/connect.ts
 * opens), and the names of its parts.
 */

/** Every sslmode libpq knows; SPEC lists all but `allow`, accepted because libpq does. */
export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const
export type SslMode = (typeof SSL_MODES)[number]

/** Which precedence step supplied the settings (the highest one that supplied any value). */
export type ConnectionSource = 'flag' | 'DATABASE_URL' | 'DB_*' | 'PG*' | 'default'

export const DEFAULT_APPLICATION_NAME = 'link-migrate'

/**
 * A resolved, validated connection target.
 *
 * Contains the password: log `display`, never the object itself.
 */
export interface ConnectionConfig {
  /** Host name, IP address (IPv6 without brackets) or, when it starts with `/`, a unix-socket directory. */
  host: string
  port: number
  user: string
  /** Absent when no source gave one (the server may then use trust or peer auth). */
  password?: string
  database: string
  sslmode: SslMode
  /** CA file used to verify the server (verify-ca, verify-full, and require as in libpq), or `system` for the default CAs. */
  sslrootcert?: string
  /** Seconds to wait for a connection; 0 = no limit; absent = the driver's default (30 s). */
  connectTimeout?: number
  applicationName: string
  source: ConnectionSource
  /**
   * The target as a URL with the password replaced by `***`, e.g.
   * `postgres://linkuser:***@db:5432/linkdb`; IPv6 hosts in brackets;
   * a unix socket as `postgres://u@:5432/db?host=/var/run/postgresql`.
   * It is a valid libpq URL: with the real password back it reaches the same server.
   */
  display: string
  /** One-line notices for the user (URL parameters that are ignored); never contain a password. */
  warnings: string[]
}

/** What {@link resolveConnection} reads. */
export interface ResolveInput {
  /** Value of `--database-url`, undefined when the flag was not given. */
  databaseUrl?: string
  /** The environment, usually `process.env`. */
  env: Record<string, string | undefined>
  /** The OS user name used by the defaults; computed with `os.userInfo()` when absent. */
  osUser?: string
}
