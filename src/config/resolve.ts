/**
 * Where to connect: turns the `--database-url` flag and the environment into
 * one validated {@link ConnectionConfig}, and that into postgres.js options.
 *
 * Precedence (SPEC section 2), highest first:
 *
 * 1. `--database-url URL`
 * 2. `DATABASE_URL`
 * 3. the old Go tool's `DB_HOST`, `DB_PORT`, `DB_USER`, `DB_PASSWORD`,
 *    `DB_NAME`, `DB_SSLMODE` (and `DB_SSLROOTCERT`)
 * 4. libpq's `PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`,
 *    `PGSSLMODE`, `PGSSLROOTCERT`, `PGCONNECT_TIMEOUT`, `PGAPPNAME`
 * 5. defaults: host `localhost`, port 5432, user = the OS user, database =
 *    the user name, sslmode `prefer`, application name `link-migrate`.
 *
 * Mixing rules:
 * - A URL (1 or 2) replaces the whole DB_* group: DB_* is not read at all.
 *   Fields the URL leaves out are filled from PG* and then the defaults,
 *   exactly as libpq and postgres.js do, so `psql "$DATABASE_URL"` and
 *   link-migrate reach the same server with the same environment.
 * - Without a URL, each field is taken from DB_* when set, else from PG*,
 *   else from the defaults (per field, not per group).
 * - An empty environment variable counts as unset (compose files often
 *   write `DB_PASSWORD=`). An explicitly empty `--database-url` is an error.
 *
 * Validation collects every problem in the fields actually used, then throws
 * one {@link ConfigError} (exit 2) listing them all, one per line. A URL that
 * cannot be taken apart is reported alone (nothing else can be checked).
 *
 * Passwords never reach a message: values from a URL's user/host/port part are
 * not echoed (a mistyped URL can shift password text into them), and every
 * echoed value goes through {@link redactUrl} and then {@link redactSecrets}
 * with every password the input holds.
 */
import { readFileSync } from 'node:fs'
import { isIP, isIPv6 } from 'node:net'
import { userInfo } from 'node:os'
import { checkServerIdentity, type PeerCertificate } from 'node:tls'
import { ConfigError } from '../errors.js'

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

// ---------------------------------------------------------------------------
// Raw settings: each value with the name of the place it came from.

type Key = 'host' | 'port' | 'user' | 'password' | 'database' | 'sslmode' | 'sslrootcert' | 'connectTimeout' | 'applicationName'

interface Field {
  value: string
  /** Names the source in messages: `DB_PORT`, `sslmode in DATABASE_URL`, ... */
  label: string
  /** False for parts of a URL's authority, which may hold shifted password text. */
  echo: boolean
}
type Layer = Partial<Record<Key, Field>>

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

/** libpq URL query parameters link-migrate uses; any other is ignored with a warning. */
const URL_PARAMS = new Map<string, Key>([
  ['host', 'host'],
  ['port', 'port'],
  ['user', 'user'],
  ['password', 'password'],
  ['dbname', 'database'],
  ['sslmode', 'sslmode'],
  ['sslrootcert', 'sslrootcert'],
  ['connect_timeout', 'connectTimeout'],
  ['application_name', 'applicationName'],
]) // a Map, so "?constructor=x" does not find Object.prototype

function envLayer(env: Record<string, string | undefined>, vars: Partial<Record<Key, string>>): Layer {
  const layer: Layer = {}
  for (const [key, name] of Object.entries(vars) as Array<[Key, string]>) {
    const value = env[name]
    if (value !== undefined && value !== '') layer[key] = { value, label: name, echo: true }
  }
  return layer
}

// ---------------------------------------------------------------------------
// URL parsing. Hand-written rather than WHATWG `URL`, which rejects a bad port
// with a bare "Invalid URL", keeps `%2F` hosts encoded and splits an
// unencoded `/` in a password into host and path.

type UrlName = '--database-url' | 'DATABASE_URL'

/** A URL that cannot be taken apart; `standalone` messages are not prefixed with "is not a valid postgres:// URL". */
class UrlProblem extends Error {
  constructor(
    message: string,
    readonly standalone = false,
  ) {
    super(message)
  }
}

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i

/**
 * True when an `@` sits where only an unencoded `/`, `?` or `#` in the
 * password could have put it: in the path, in a query key, or anywhere after
 * the host when the authority holds no user info.
 */
function misplacedAt(rest: string, authEnd: number): boolean {
  const after = rest.slice(authEnd)
  if (!after.includes('@')) return false
  if (!rest.slice(0, authEnd).includes('@')) return true
  const q = after.indexOf('?')
  if ((q < 0 ? after : after.slice(0, q)).includes('@')) return true
  return q >= 0 && after.slice(q + 1).split('&').some((kv) => (kv.split('=')[0] ?? '').includes('@'))
}

function indexOfAny(s: string, re: RegExp): number {
  const m = re.exec(s)
  return m ? m.index : s.length
}

function decode(s: string, what: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    throw new UrlProblem(`bad percent-encoding in the ${what}`)
  }
}

/**
 * Takes a postgres:// URL apart. Throws UrlProblem (wrapped by the caller) for
 * structural problems; field values are validated later with everything else.
 */
function parseUrl(raw: string, name: UrlName): { layer: Layer; warnings: string[] } {
  const url = raw.trim() // a trailing newline from a secret file is common and never meaningful
  const scheme = SCHEME.exec(url)
  if (!scheme) throw new UrlProblem('it does not start with postgres:// or postgresql://')
  const schemeName = scheme[1]!.toLowerCase()
  if (schemeName !== 'postgres' && schemeName !== 'postgresql') {
    // Only the scheme is echoed: it cannot hold a password.
    throw new UrlProblem(`${name} must start with postgres:// or postgresql://, got "${scheme[1]}://"`, true)
  }

  const rest = url.slice(scheme[0].length)
  const authEnd = indexOfAny(rest, /[/?#]/)
  if (misplacedAt(rest, authEnd)) {
    throw new UrlProblem('"@" after the host; percent-encode special characters in the password (@ as %40, / as %2F, ? as %3F, # as %23)')
  }
  if (rest.includes('#')) throw new UrlProblem('it contains "#"; write it as %23')

  const layer: Layer = {}
  const set = (key: Key, value: string | undefined, label: string, echo: boolean) => {
    if (value !== undefined && value !== '') layer[key] = { value, label, echo }
  }

  // Authority: [user[:password]@]host[:port]; the last "@" ends the user info,
  // so an unencoded "@" in the password still works (as in WHATWG URL).
  const authority = rest.slice(0, authEnd)
  const at = authority.lastIndexOf('@')
  if (at >= 0) {
    const userinfo = authority.slice(0, at)
    const colon = userinfo.indexOf(':')
    set('user', decode(colon < 0 ? userinfo : userinfo.slice(0, colon), 'user name'), `user in ${name}`, false)
    if (colon >= 0) set('password', decode(userinfo.slice(colon + 1), 'password'), `password in ${name}`, false)
  }
  const hostport = authority.slice(at + 1)
  // libpq's multi-host form (failover between servers): not supported, said as such
  // (otherwise "h1:5432,h2" reads as a malformed IPv6 address).
  if (hostport.includes(',')) {
    throw new UrlProblem(
      `${name} lists several hosts (libpq's multi-host form, ${hostport.split(',').length} hosts); ` +
        'link-migrate connects to one host: give the primary\'s address',
      true,
    )
  }
  let host: string
  let port: string
  if (hostport.startsWith('[')) {
    const close = hostport.indexOf(']')
    if (close < 0) throw new UrlProblem('unclosed "[" in the host')
    host = decode(hostport.slice(1, close), 'host')
    if (!isIPv6(host)) throw new UrlProblem('the host in brackets is not an IPv6 address')
    const after = hostport.slice(close + 1)
    if (after !== '' && !after.startsWith(':')) throw new UrlProblem('unexpected text after "]" in the host')
    port = after.slice(1)
  } else {
    const colon = hostport.lastIndexOf(':')
    if (colon >= 0 && hostport.slice(0, colon).includes(':')) {
      throw new UrlProblem('an IPv6 address must be in brackets, as in postgres://[::1]:5432/db')
    }
    host = decode(colon < 0 ? hostport : hostport.slice(0, colon), 'host') // %2Fvar%2Frun: a socket directory
    port = colon < 0 ? '' : hostport.slice(colon + 1)
  }
  set('host', host, `host in ${name}`, false)
  set('port', port, `port in ${name}`, false)

  // Path: the database name; query: libpq parameters, which override the parts above.
  const afterAuth = rest.slice(authEnd)
  const q = afterAuth.indexOf('?')
  const path = q < 0 ? afterAuth : afterAuth.slice(0, q)
  if (path.length > 1) set('database', decode(path.slice(1), 'database name'), `database in ${name}`, true)

  const warnings: string[] = []
  if (q >= 0) {
    for (const pair of afterAuth.slice(q + 1).split('&')) {
      if (pair === '') continue
      const eq = pair.indexOf('=')
      if (eq < 0) throw new UrlProblem('a query parameter has no "=value"')
      const param = decode(pair.slice(0, eq), 'query string')
      const value = decode(pair.slice(eq + 1), `parameter "${param}"`)
      const key = URL_PARAMS.get(param)
      if (key) set(key, value, `${param} in ${name}`, key !== 'password')
      else warnings.push(`ignoring parameter "${param}" in ${name}: link-migrate does not use it`)
    }
  }
  return { layer, warnings }
}

// ---------------------------------------------------------------------------
// Field validation: each returns the value or adds one message to `problems`.

interface Check {
  problems: string[]
  /** `, got "value"` for echoable fields; the value is redacted, since a password may have been pasted anywhere. */
  got(f: Field): string
}

function checkHost(f: Field, { problems, got }: Check): string | undefined {
  let v = f.value.trim()
  if (v.startsWith('[') && v.endsWith(']')) v = v.slice(1, -1) // DB_HOST=[::1] is fine too
  if (v.startsWith('/')) return v // a unix-socket directory, used as given
  if (v.includes(',')) {
    problems.push(`${f.label} lists several hosts${got(f)}; link-migrate connects to one host`)
    return undefined
  }
  if (v === '' || /[\s/]/.test(v) || (v.includes(':') && !isIPv6(v))) {
    // DB_HOST=db:5432 is a classic: point at the variable the port belongs in.
    const hint = f.echo && /^[^:]+:\d+$/.test(v) && /HOST$/.test(f.label) ? ` (put the port in ${f.label.replace(/HOST$/, 'PORT')})` : ''
    problems.push(`${f.label} must be a host name, IP address or socket directory${got(f)}${hint}`)
    return undefined
  }
  return v
}

function checkPort(f: Field, { problems, got }: Check): number | undefined {
  const v = f.value.trim()
  const n = /^\d{1,5}$/.test(v) ? Number(v) : NaN
  if (n >= 1 && n <= 65535) return n
  problems.push(`${f.label} must be a port number (1-65535)${got(f)}`)
  return undefined
}

function checkSslMode(f: Field, { problems, got }: Check): SslMode | undefined {
  const v = f.value.trim().toLowerCase()
  if ((SSL_MODES as readonly string[]).includes(v)) return v as SslMode
  problems.push(`${f.label} must be one of ${SSL_MODES.join(', ')}${got(f)}`)
  return undefined
}

function checkTimeout(f: Field, { problems, got }: Check): number | undefined {
  const v = f.value.trim()
  if (/^\d{1,9}$/.test(v)) return Number(v)
  problems.push(`${f.label} must be a whole number of seconds (0 = no limit)${got(f)}`)
  return undefined
}

/**
 * A value as it may be shown in a one-line message: line breaks, tabs and
 * other control characters escaped (`db\nx` shows as `db\\nx`), so a value
 * pasted with a newline cannot split or forge a log line.
 */
export function printable(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f]/g, (c) =>
    c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  )
}

function defaultOsUser(env: Record<string, string | undefined>): string {
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

function formatProblems(problems: string[]): string {
  return problems.length === 1
    ? problems[0]!
    : `${problems.length} problems in the connection settings:\n` + problems.map((p) => '  ' + p).join('\n')
}

/**
 * Resolves where to connect from the flag and the environment (precedence and
 * mixing rules in this module's header).
 *
 * @throws {ConfigError} (exit code 2) for an empty `--database-url`, a URL that
 *   is malformed or not postgres://, or any bad port, host, sslmode or
 *   connect_timeout; all problems in one message, one per line, each naming
 *   the variable or URL part at fault, none containing the password.
 * @example
 * resolveConnection({ env: { DB_HOST: 'db', DB_USER: 'linkuser', DB_PASSWORD: 's3cret', DB_NAME: 'linkdb' } }).display
 * // 'postgres://linkuser:***@db:5432/linkdb'
 */
export function resolveConnection(input: ResolveInput): ConnectionConfig {
  const { env } = input
  const fail = (problems: string[]) => new ConfigError(formatProblems(problems))
  // Only echoed values are redacted, not whole messages: with the common dev
  // password "postgres", masking the text would turn "postgres://" into "***://".
  const secrets = collectSecrets(input)
  const check: Check = {
    problems: [],
    got: (f) => (f.echo ? `, got "${printable(redactSecrets(redactUrl(f.value), secrets))}"` : ''),
  }

  if (input.databaseUrl !== undefined && input.databaseUrl.trim() === '') throw fail(['--database-url is empty'])
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
      throw fail([e.standalone ? e.message : `${urlName} is not a valid postgres:// URL: ${e.message}`])
    }
  } else {
    layers.push({ source: 'DB_*', fields: envLayer(env, DB_VARS) })
  }
  layers.push({ source: 'PG*', fields: envLayer(env, PG_VARS) })

  const pick = (key: Key): Field | undefined => {
    for (const layer of layers) if (layer.fields[key]) return layer.fields[key]
    return undefined
  }
  const source = urlName ? layers[0]!.source : (layers.find((l) => Object.keys(l.fields).length > 0)?.source ?? 'default')

  const { problems } = check
  const hostField = pick('host')
  const portField = pick('port')
  const sslmodeField = pick('sslmode')
  const timeoutField = pick('connectTimeout')
  const host = hostField ? checkHost(hostField, check) : 'localhost'
  const port = portField ? checkPort(portField, check) : 5432
  const user = pick('user')?.value ?? input.osUser ?? defaultOsUser(env)
  const password = pick('password')?.value
  const database = pick('database')?.value ?? user // libpq: the database defaults to the user name
  const sslrootcert = pick('sslrootcert')?.value
  // libpq 16: sslrootcert=system makes verify-full the default and forbids weaker modes,
  // since the system CAs would vouch for any host otherwise.
  let sslmode: SslMode | undefined = sslrootcert === 'system' ? 'verify-full' : 'prefer'
  if (sslmodeField) {
    sslmode = checkSslMode(sslmodeField, check)
    if (sslmode && sslrootcert === 'system' && sslmode !== 'verify-full') {
      problems.push(`${sslmodeField.label} must be verify-full when sslrootcert is "system", got "${sslmode}"`)
    }
  }
  const connectTimeout = timeoutField ? checkTimeout(timeoutField, check) : undefined
  const applicationName = pick('applicationName')?.value ?? DEFAULT_APPLICATION_NAME

  if (problems.length > 0 || host === undefined || port === undefined || sslmode === undefined) throw fail(problems)

  // Optional fields are left out rather than set to undefined, so the object compares and prints cleanly.
  return {
    host,
    port,
    user,
    ...(password !== undefined ? { password } : {}),
    database,
    sslmode,
    ...(sslrootcert !== undefined ? { sslrootcert } : {}),
    ...(connectTimeout !== undefined ? { connectTimeout } : {}),
    applicationName,
    source,
    display: displayUrl({ host, port, user, password, database }),
    warnings,
  }
}

/** `postgres://user[:***]@host:port/db`, a valid libpq URL minus the password. */
function displayUrl(c: Pick<ConnectionConfig, 'host' | 'port' | 'user' | 'password' | 'database'>): string {
  const auth = encodeURIComponent(c.user) + (c.password ? ':***' : '') + '@'
  const db = '/' + encodeURIComponent(c.database)
  if (c.host.startsWith('/')) {
    // Readable socket form: the directory appears as written, in ?host= (libpq accepts an empty host with a port).
    return `postgres://${auth}:${c.port}${db}?host=${encodeURIComponent(c.host).replace(/%2F/g, '/')}`
  }
  const host = c.host.includes(':') ? `[${c.host}]` : c.host
  return `postgres://${auth}${host}:${c.port}${db}`
}

// ---------------------------------------------------------------------------
// Redaction.

const URL_TOKEN = /[a-z][a-z0-9+.-]*:\/\/\S*/gi

/**
 * Spans [start, end) of password text in one URL, found by structure when the
 * URL is sound and as widely as could be a password when it is not.
 */
function passwordSpans(url: string, loose = false): Array<[number, number]> {
  // Loose: the text is meant to be a URL (DATABASE_URL), so a mistyped
  // scheme (`postgres:://`, `postgres:/`, none at all) still has a password.
  const scheme = SCHEME.exec(url) ?? (loose ? /^(?:[a-z][a-z0-9+.-]*:+\/*)?/i.exec(url) : null)
  if (!scheme) return []
  const base = scheme[0].length
  const rest = url.slice(base)
  const authEnd = indexOfAny(rest, /[/?#]/)
  const spans: Array<[number, number]> = []
  // When the "@" is misplaced the password ran past the authority: mask up to the last "@".
  const at = misplacedAt(rest, authEnd) ? rest.lastIndexOf('@') : rest.slice(0, authEnd).lastIndexOf('@')
  if (at >= 0) {
    const colon = rest.indexOf(':')
    if (colon >= 0 && colon < at) spans.push([base + colon + 1, base + at])
  } else {
    // No user info at all: in `postgres://user:secret` the "port" is really a password.
    const authority = rest.slice(0, authEnd)
    const colon = authority.indexOf(':')
    if (!authority.startsWith('[') && colon >= 0 && !/^\d*$/.test(authority.slice(colon + 1))) {
      spans.push([base + colon + 1, base + authEnd])
    }
  }
  const from = Math.max(at, authEnd)
  for (const m of rest.slice(from).matchAll(/[?&]password=([^&#]*)/gi)) {
    const start = base + from + m.index! + m[0].length - m[1]!.length
    if (m[1]) spans.push([start, start + m[1].length])
  }
  return spans
}

function maskSpans(url: string, spans: Array<[number, number]>): string {
  let out = url
  for (const [start, end] of [...spans].sort((a, b) => b[0] - a[0])) out = out.slice(0, start) + '***' + out.slice(end)
  return out
}

/**
 * Replaces the password of every URL in `text` with `***`: the user-info
 * password and any `password=` query parameter. Works on malformed URLs too,
 * masking as much as could be password (up to the last `@`). When the whole
 * text is one URL it may contain spaces; otherwise URLs end at whitespace.
 * Never throws.
 *
 * @example
 * redactUrl('postgres://linkuser:s3cret@db:5432/linkdb') // 'postgres://linkuser:***@db:5432/linkdb'
 */
export function redactUrl(text: string): string {
  const lead = text.length - text.trimStart().length
  if (SCHEME.test(text.trimStart())) {
    return text.slice(0, lead) + maskSpans(text.slice(lead), passwordSpans(text.slice(lead)))
  }
  return text.replace(URL_TOKEN, (url) => maskSpans(url, passwordSpans(url)))
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** A pattern matching `secret` with any mix of literal and percent-encoded characters (either hex case). */
/** Secrets shorter than this are masked only as whole words. */
const SHORT_SECRET = 6

function secretPattern(secret: string): string {
  let out = ''
  for (const ch of secret) {
    const encoded = [...Buffer.from(ch, 'utf8')].map((b) => '%' + b.toString(16).padStart(2, '0')).join('')
    const alternatives = [escapeRegExp(ch), encoded.replace(/[0-9a-f]{2}/g, (h) => `[${h[0]}${h[0]!.toUpperCase()}][${h[1]}${h[1]!.toUpperCase()}]`)]
    if (ch === ' ') alternatives.push('\\+') // form encoding
    out += `(?:${alternatives.join('|')})`
  }
  return out
}

/**
 * Replaces every occurrence of each secret in `text` with `***`, including
 * its percent-encoded forms (`p%40ss`, `p%40ss%2fx`, partly encoded, either
 * hex case) and its JSON-escaped form. Empty secrets are skipped. A short or
 * common secret also masks unrelated text that contains it (the dev password
 * `postgres` turns `postgres://` into `***://`): that is the price of a last
 * line of defence, so apply it to text that may carry foreign input (server
 * messages, values echoed back), not to fixed wording. Never throws.
 *
 * @example
 * redactSecrets('auth failed for p%40ss', ['p@ss']) // 'auth failed for ***'
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  const patterns = new Set<string>()
  for (const secret of secrets) {
    if (!secret) continue
    // A short secret ("e", "pass") masked everywhere would shred ordinary words
    // ("conn***ct"); it is masked where it stands alone, and always in URLs (redactUrl).
    const alone = secret.length < SHORT_SECRET ? (p: string) => `(?<![A-Za-z0-9])${p}(?![A-Za-z0-9])` : (p: string) => p
    patterns.add(alone(secretPattern(secret)))
    const json = JSON.stringify(secret).slice(1, -1)
    if (json !== secret) patterns.add(escapeRegExp(json))
  }
  if (patterns.size === 0) return text
  // Longest first, so one secret containing another is masked whole.
  const re = new RegExp([...patterns].sort((a, b) => b.length - a.length).join('|'), 'g')
  return text.replace(re, '***')
}

/**
 * Every password the input holds, decoded and as written: `DB_PASSWORD`,
 * `PGPASSWORD`, and the passwords of `--database-url` and `DATABASE_URL`
 * (found even in malformed URLs). Feed it to {@link redactSecrets}; it works
 * when {@link resolveConnection} has thrown. Never throws.
 */
export function collectSecrets(input: Pick<ResolveInput, 'databaseUrl' | 'env'>): string[] {
  const out = new Set<string>()
  for (const password of [input.env.DB_PASSWORD, input.env.PGPASSWORD]) if (password) out.add(password)
  for (const url of [input.databaseUrl, input.env.DATABASE_URL]) {
    if (!url) continue
    const trimmed = url.trim()
    for (const [start, end] of passwordSpans(trimmed, true)) {
      const written = trimmed.slice(start, end)
      out.add(written)
      try {
        out.add(decodeURIComponent(written))
      } catch {
        // malformed percent-encoding: the written form is all there is
      }
    }
  }
  return [...out].filter((s) => s !== '')
}

// ---------------------------------------------------------------------------
// postgres.js options.

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
