/**
 * Taking a postgres:// URL apart into a layer of raw settings (libpq's URL
 * form: user info, host or [IPv6], port, database, query parameters).
 */
import { isIPv6 } from 'node:net'
import type { Key, Layer } from './fields.js'

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

// Hand-written rather than WHATWG `URL`, which rejects a bad port
// with a bare "Invalid URL", keeps `%2F` hosts encoded and splits an
// unencoded `/` in a password into host and path.

export type UrlName = '--database-url' | 'DATABASE_URL'

/** A URL that cannot be taken apart; `standalone` messages are not prefixed with "is not a valid postgres:// URL". */
export class UrlProblem extends Error {
  constructor(
    message: string,
    readonly standalone = false,
  ) {
    super(message)
  }
}

export const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i

/**
 * True when an `@` sits where only an unencoded `/`, `?` or `#` in the
 * password could have put it: in the path, in a query key, or anywhere after
 * the host when the authority holds no user info.
 */
export function misplacedAt(rest: string, authEnd: number): boolean {
  const after = rest.slice(authEnd)
  if (!after.includes('@')) return false
  if (!rest.slice(0, authEnd).includes('@')) return true
  const q = after.indexOf('?')
  if ((q < 0 ? after : after.slice(0, q)).includes('@')) return true
  return q >= 0 && after.slice(q + 1).split('&').some((kv) => (kv.split('=')[0] ?? '').includes('@'))
}

export function indexOfAny(s: string, re: RegExp): number {
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
export function parseUrl(raw: string, name: UrlName): { layer: Layer; warnings: string[] } {
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
