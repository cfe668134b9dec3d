/**
 * Raw connection settings, each value with the name of the place it came
 * from, and the checks of the fields that need one: each returns the value
 * or adds one message naming the variable or URL part at fault.
 */
import { isIPv6 } from 'node:net'
import { SSL_MODES, type SslMode } from './connection.js'

export type Key = 'host' | 'port' | 'user' | 'password' | 'database' | 'sslmode' | 'sslrootcert' | 'connectTimeout' | 'applicationName'

export interface Field {
  value: string
  /** Names the source in messages: `DB_PORT`, `sslmode in DATABASE_URL`, ... */
  label: string
  /** False for parts of a URL's authority, which may hold shifted password text. */
  echo: boolean
}
export type Layer = Partial<Record<Key, Field>>

export interface Check {
  problems: string[]
  /** `, got "value"` for echoable fields; the value is redacted, since a password may have been pasted anywhere. */
  got(f: Field): string
}

export function checkHost(f: Field, { problems, got }: Check): string | undefined {
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

export function checkPort(f: Field, { problems, got }: Check): number | undefined {
  const v = f.value.trim()
  const n = /^\d{1,5}$/.test(v) ? Number(v) : NaN
  if (n >= 1 && n <= 65535) return n
  problems.push(`${f.label} must be a port number (1-65535)${got(f)}`)
  return undefined
}

export function checkSslMode(f: Field, { problems, got }: Check): SslMode | undefined {
  const v = f.value.trim().toLowerCase()
  if ((SSL_MODES as readonly string[]).includes(v)) return v as SslMode
  problems.push(`${f.label} must be one of ${SSL_MODES.join(', ')}${got(f)}`)
  return undefined
}

export function checkTimeout(f: Field, { problems, got }: Check): number | undefined {
  const v = f.value.trim()
  if (/^\d{1,9}$/.test(v)) return Number(v)
  problems.push(`${f.label} must be a whole number of seconds (0 = no limit)${got(f)}`)
  return undefined
}
