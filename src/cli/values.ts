/** Parsing of flag values; each error names the flag (exit 2). */
import { ConfigError } from '../errors.js'

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/** `10m`, `5s`, `200ms`, `1h`, `1m30s`; a bare number is seconds. Throws ConfigError. */
export function parseDuration(flag: string, value: string): number {
  const v = value.trim()
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000)
  const parts = [...v.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)]
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== v) {
    throw new ConfigError(`${flag} must be a duration such as 30s, 10m, 500ms or 1h, got ${JSON.stringify(value)}`)
  }
  const ms = parts.reduce((sum, p) => sum + Number(p[1]) * UNITS[p[2]!]!, 0)
  if (ms <= 0) throw new ConfigError(`${flag} must be longer than 0, got ${JSON.stringify(value)}`)
  return Math.round(ms)
}

/** A whole number >= min. Throws ConfigError. */
export function parseInteger(flag: string, value: string, min = 0, max = 2147483647): number {
  if (!/^\d+$/.test(value.trim())) throw new ConfigError(`${flag} must be a whole number, got ${JSON.stringify(value)}`)
  const n = Number(value.trim())
  if (n < min || n > max) throw new ConfigError(`${flag} must be between ${min} and ${max}, got ${value}`)
  return n
}
