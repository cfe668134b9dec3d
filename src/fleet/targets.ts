/**
 * Where a fleet's targets come from: a targets file (`name=URL` or a bare
 * URL per line, `#` comments, `${ENV}` expansion) or a catalogue query
 * returning `name, url` rows; then resolved and deduplicated by
 * host/port/database. Every bad line is a ConfigError naming file:line
 * (or query row), never echoing a password.
 */
import { readFile } from 'node:fs/promises'
import { type ConnectionConfig } from '../config/connection.js'
import { redactUrl } from '../config/redact.js'
import { resolveConnection } from '../config/resolve.js'
import { ConfigError, MigrateError } from '../errors.js'
import type { FleetTarget } from './types.js'

/** A target with its connection resolved and its identity for deduplication. */
export interface ResolvedTarget extends FleetTarget {
  connection: ConnectionConfig
  /** `host:port/database`: two lines with the same key are one database. */
  key: string
}

/**
 * Parses a targets file's text. `file` names it in errors. Throws ConfigError
 * (exit 2) for a line that is not a URL, a `${VAR}` that is not set, or an
 * empty file.
 *
 * @example
 * parseTargets('eu=postgres://app:${EU_PW}@eu-db/app\n# staging\npostgres://app@st/app\n', { file: 'targets.txt', env })
 */
export function parseTargets(text: string, opts: { file: string; env: Record<string, string | undefined> }): FleetTarget[] {
  const targets: FleetTarget[] = []
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  for (const [i, raw] of lines.entries()) {
    const origin = `${opts.file}:${i + 1}`
    // A comment is a whole line, or ` #...` after the URL (a URL's own `#`
    // would be a fragment, which connection URLs never use).
    const line = raw.replace(/(^|\s)#.*$/, '').trim()
    if (line === '') continue
    const named = /^([^\s=:/]+)\s*=\s*(\S.*)$/.exec(line)
    const url = expand(named ? named[2]! : line, origin, opts.env).trim()
    if (!/^postgres(ql)?:\/\//i.test(url)) {
      throw new ConfigError(`${origin}: expected name=URL or a postgres:// URL, got ${JSON.stringify(redactUrl(shorten(line)))}`)
    }
    targets.push({ name: named ? named[1]! : '', url, origin })
  }
  if (targets.length === 0) throw new ConfigError(`${opts.file}: no targets (one name=URL or URL a line; # starts a comment)`)
  return targets
}

/** Reads and parses a targets file. Throws ConfigError when it cannot be read. */
export async function readTargets(file: string, env: Record<string, string | undefined>): Promise<FleetTarget[]> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (e) {
    throw new ConfigError(`--targets ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`)
  }
  return parseTargets(text, { file, env })
}

/**
 * `${NAME}` from the environment; an unset variable is an error naming it
 * (the value is never shown). Inside a URL the value is percent-encoded, so
 * a password may hold any character (`@`, `/`, `#`); a value that is the
 * whole URL (`tenant=${TENANT_URL}`) is taken as it is.
 */
function expand(text: string, origin: string, env: Record<string, string | undefined>): string {
  const whole = /^\$\{[^}]*\}$/.test(text.trim())
  return text.replace(/\$\{([^}]*)\}/g, (_, name: string) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new ConfigError(`${origin}: \${${name}} is not a variable name`)
    const value = env[name]
    if (value === undefined) throw new ConfigError(`${origin}: environment variable ${name} is not set (used as \${${name}})`)
    return whole ? value : encodeURIComponent(value)
  })
}

function shorten(s: string): string {
  return s.length > 80 ? s.slice(0, 77) + '...' : s
}

/**
 * Resolves each target's connection (PG* variables fill what a URL leaves
 * out, as libpq does), names the unnamed ones, and keeps the first of
 * targets that point at one database. Throws ConfigError naming the origin.
 */
export function resolveTargets(
  targets: FleetTarget[],
  env: Record<string, string | undefined>,
): { targets: ResolvedTarget[]; duplicates: { target: string; sameAs: string; origin?: string }[] } {
  const byKey = new Map<string, ResolvedTarget>()
  const names = new Set<string>()
  const duplicates: { target: string; sameAs: string; origin?: string }[] = []
  for (const [i, t] of targets.entries()) {
    const origin = t.origin ?? `targets[${i}]`
    let connection: ConnectionConfig
    try {
      // Only the URL and PG* count: a DATABASE_URL or DB_* in the environment
      // is the catalogue's, not this target's.
      connection = resolveConnection({ databaseUrl: t.url, env: onlyPg(env) })
    } catch (e) {
      throw new ConfigError(`${origin}: ${(e as Error).message}`)
    }
    const key = `${connection.host.toLowerCase()}:${connection.port}/${connection.database}`
    let name = t.name || connection.database
    const first = byKey.get(key)
    if (first) {
      duplicates.push({ target: name, sameAs: first.name, origin })
      continue
    }
    if (names.has(name)) {
      if (t.name) throw new ConfigError(`${origin}: the name ${name} is used twice for different databases`)
      name = key
    }
    names.add(name)
    byKey.set(key, { name, url: t.url, origin, connection, key })
  }
  return { targets: [...byKey.values()], duplicates }
}

function onlyPg(env: Record<string, string | undefined>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('PG')))
}

/**
 * The catalogue pattern: runs `query` on `connection` and reads `url` (and
 * `name`, when present) from each row. Throws ConfigError when the rows have
 * no `url` column or a row's url is empty; MigrateError QUERY_FAILED when the
 * query fails.
 */
export async function queryTargets(query: string, connection: ConnectionConfig, waitMs?: number): Promise<FleetTarget[]> {
  const { connect } = await import('../db/connect.js')
  const sql = await connect(connection, { max: 1, waitMs })
  try {
    let rows: Record<string, unknown>[] & { columns?: { name: string }[] }
    try {
      rows = await sql.unsafe(query)
    } catch (e) {
      throw new MigrateError('QUERY_FAILED', `--targets-query failed on ${connection.display}: ${(e as Error).message}`, { cause: e })
    }
    const columns = rows.columns?.map((c) => c.name) ?? Object.keys(rows[0] ?? {})
    if (!columns.includes('url')) {
      throw new ConfigError(`--targets-query must return a url column (and optionally name); it returned ${columns.join(', ') || 'no columns'}`)
    }
    const targets = rows.map((row, i): FleetTarget => {
      const url = row.url
      if (typeof url !== 'string' || url.trim() === '') throw new ConfigError(`--targets-query row ${i + 1}: url is empty`)
      const name = row.name === undefined || row.name === null ? '' : String(row.name)
      return { name, url: url.trim(), origin: `--targets-query row ${i + 1}` }
    })
    if (targets.length === 0) throw new ConfigError('--targets-query returned no rows')
    return targets
  } finally {
    await sql.end({ timeout: 5 })
  }
}
