/**
 * The settings' layers in precedence order (a URL from the flag or
 * DATABASE_URL, else DB_*; then PG*), each value with where it came from,
 * and the OS user the defaults fall back on.
 */
import { userInfo } from 'node:os'
import { ConfigError } from '../errors.js'
import type { ConnectionSource, ResolveInput } from './connection.js'
import type { Key, Layer } from './fields.js'
import { parseUrl, UrlProblem, type UrlName } from './url.js'

const DB_VARS: Partial<Record<Key, string>> = {
  host: 'DB_HOST',
  port: 'DB_PORT',
  user: 'DB_USER',
  password: 'DB_PASSWORD',
  database: 'DB_NAME',
  sslmode: 'DB_SSLMODE',
  sslrootcert: 'DB_SSLROOTCERT',
}

const PG_VARS: Partial<Record<Key, string>> = {
  host: 'PGHOST',
  port: 'PGPORT',
  user: 'PGUSER',
  password: 'PGPASSWORD',
  database: 'PGDATABASE',
  sslmode: 'PGSSLMODE',
  sslrootcert: 'PGSSLROOTCERT',
  connectTimeout: 'PGCONNECT_TIMEOUT',
  applicationName: 'PGAPPNAME',
}

function envLayer(env: Record<string, string | undefined>, vars: Partial<Record<Key, string>>): Layer {
  const layer: Layer = {}
  for (const [key, name] of Object.entries(vars) as Array<[Key, string]>) {
    const value = env[name]
    if (value !== undefined && value !== '') layer[key] = { value, label: name, echo: true }
  }
  return layer
}

export interface Layers {
  /** Which URL was read, if any. */
  urlName?: UrlName
  /** Highest precedence first. */
  layers: Array<{ source: ConnectionSource; fields: Layer }>
  /** Notices about the URL (ignored parameters). */
  warnings: string[]
}

/** The layers `input` gives; a URL that cannot be taken apart throws ConfigError alone (nothing else can be checked). */
export function settingLayers(input: ResolveInput): Layers {
  const { env } = input
  const urlName: UrlName | undefined =
    input.databaseUrl !== undefined ? '--database-url' : env.DATABASE_URL?.trim() ? 'DATABASE_URL' : undefined

  const layers: Array<{ source: ConnectionSource; fields: Layer }> = []
  let warnings: string[] = []
  if (urlName) {
    const raw = urlName === '--database-url' ? input.databaseUrl! : env.DATABASE_URL!
    try {
      const parsed = parseUrl(raw, urlName)
      layers.push({ source: urlName === '--database-url' ? 'flag' : 'DATABASE_URL', fields: parsed.layer })
      warnings = parsed.warnings
    } catch (e) {
      if (!(e instanceof UrlProblem)) throw e
      throw new ConfigError(e.standalone ? e.message : `${urlName} is not a valid postgres:// URL: ${e.message}`)
    }
  } else {
    layers.push({ source: 'DB_*', fields: envLayer(env, DB_VARS) })
  }
  layers.push({ source: 'PG*', fields: envLayer(env, PG_VARS) })
  return { urlName, layers, warnings }
}

export function defaultOsUser(env: Record<string, string | undefined>): string {
  try {
    const name = userInfo().username
    // Bun's compiled binary answers "unknown" where Node reads the passwd entry.
    if (name && name !== 'unknown') return name
    return env.USER || env.LOGNAME || env.USERNAME || name
  } catch {
    // os.userInfo() throws for a uid without a passwd entry (OpenShift, `docker run -u 1234`).
    return env.USER || env.LOGNAME || env.USERNAME || 'postgres'
  }
}
