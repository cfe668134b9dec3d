/** Parsing of flag values; each error names the flag (exit 2). */
import { ConfigError } from '../errors.js'

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/**
 * The longest duration accepted: Node's timers (and PostgreSQL's
 * `lock_timeout`/`statement_timeout`) take a 32-bit count of milliseconds; a
 * longer `setTimeout` fires after 1ms instead.
 */
export const MAX_DURATION_MS = 2_147_483_647

/**
 * `10m`, `5s`, `200ms`, `1h`, `1m30s`; a bare number is seconds. Always at
 * least 1ms and at most {@link MAX_DURATION_MS} (about 596h). Throws ConfigError.
 */
export function parseDuration(flag: string, value: string): number {
  const v = value.trim()
  let ms: number
  if (/^\d+(\.\d+)?$/.test(v)) {
    ms = Number(v) * 1000
  } else {
    const parts = [...v.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)]
    if (parts.length === 0 || parts.map((p) => p[0]).join('') !== v) {
      throw new ConfigError(`${flag} must be a duration such as 30s, 10m, 500ms or 1h, got ${JSON.stringify(value)}`)
    }
    ms = parts.reduce((sum, p) => sum + Number(p[1]) * UNITS[p[2]!]!, 0)
  }
  // A bare `0` used to slip through as 0ms: a timer of 0 cancels every migration at once.
  if (ms <= 0) throw new ConfigError(`${flag} must be longer than 0, got ${JSON.stringify(value)}`)
  if (ms > MAX_DURATION_MS) throw new ConfigError(`${flag} must be at most 596h, got ${JSON.stringify(value)}`)
  return Math.max(1, Math.round(ms))
}

/** A whole number >= min. Throws ConfigError. */
export function parseInteger(flag: string, value: string, min = 0, max = 2147483647): number {
  const v = value.trim()
  if (!/^\d+$/.test(v)) throw new ConfigError(`${flag} must be a whole number, got ${JSON.stringify(value)}`)
  const n = Number(v)
  if (n < min || n > max) throw new ConfigError(`${flag} must be between ${min} and ${max}, got ${v}`)
  return n
}
