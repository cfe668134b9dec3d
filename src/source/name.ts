/**
 * Migration file names (SPEC 3): `NNN_description.up.sql` / `.down.sql` and
 * the alternative `NNN_description_up.sql` / `_down.sql`. Pure.
 */

/**
 * Largest version: versions are JavaScript numbers, exact up to 2^53 - 1,
 * which holds every timestamp version (`20240101120000`) and fits the
 * BIGINT columns link-migrate creates.
 */
export const MAX_VERSION = Number.MAX_SAFE_INTEGER

/**
 * Largest value of a PostgreSQL `integer`: the old tool's version columns.
 * A larger version is refused on such tables, naming the statement that
 * widens them (db/tracking.ts).
 */
export const MAX_INTEGER_VERSION = 2147483647

export interface ParsedName {
  /** Leading digits as written (`007`). */
  digits: string
  version: number
  /** Text between `NNN_` and the direction suffix; any character but `/`. */
  description: string
  direction: 'up' | 'down'
  /** `NNN_description`: what the bookkeeping tables store as `name`. */
  stem: string
  style: 'dot' | 'underscore'
}

// The dotted form is tried first so `001_a_up.up.sql` is an up file described `a_up`.
// `[^/]`, not `.`: a description may hold any character but `/` (SPEC 3), line breaks included.
const DOTTED = /^(\d+)_([^/]+)\.(up|down)\.sql$/
const UNDERSCORED = /^(\d+)_([^/]+)_(up|down)\.sql$/

/** Returns null for a name that is not a migration file name. */
export function parseName(file: string): ParsedName | null {
  let style: ParsedName['style'] = 'dot'
  let m = DOTTED.exec(file)
  if (!m) {
    style = 'underscore'
    m = UNDERSCORED.exec(file)
  }
  if (!m) return null
  const [, digits = '', description = '', direction] = m
  return {
    digits,
    // Number() of a long digit string loses precision but stays > MAX_VERSION,
    // which is all the range check needs.
    version: Number(digits),
    description,
    direction: direction as 'up' | 'down',
    stem: `${digits}_${description}`,
    style,
  }
}

/**
 * The version width a directory's names follow (what `generate` writes and
 * `lint` expects): the most common width of the zero-padded versions
 * (`000042` says 6; ties go to the wider), 0 when no version is padded
 * (`1_x`, `12_y`: no padding), 3 for an empty directory.
 *
 * @example versionWidth(['000001', '000002']) // 6
 */
export function versionWidth(digits: readonly string[]): number {
  if (digits.length === 0) return 3
  const counts = new Map<number, number>()
  for (const d of digits) if (d.length > 1 && d.startsWith('0')) counts.set(d.length, (counts.get(d.length) ?? 0) + 1)
  let best = 0
  for (const [w, n] of counts) if (n > (counts.get(best) ?? 0) || (n === counts.get(best) && w > best)) best = w
  return best
}

/**
 * Name conventions `lint` warns about; empty when the name follows them.
 * `width` is the directory's ({@link versionWidth}): a version is as wide
 * as that, or wider without padding (1000 in a 3-digit directory). A
 * description is a lowercase slug; dots are fine (`2.10.0_schema`, SPEC 3).
 */
export function nameAdvice(p: ParsedName, width = 3): string[] {
  const advice: string[] = []
  const padded = p.digits.length > 1 && p.digits.startsWith('0')
  const fits = width === 0 ? !padded : p.digits.length === width || (p.digits.length > width && !padded)
  if (!fits) {
    const want = width === 0 ? String(p.version) : String(p.version).padStart(width, '0')
    const rule = width === 0 ? 'the directory does not pad versions' : `the directory uses ${width} digits`
    advice.push(`version "${p.digits}" does not follow the directory's names (${rule}: ${want})`)
  }
  if (!/^[a-z0-9_.]+$/.test(p.description)) {
    advice.push(`description "${p.description}" is not a lowercase slug (a-z, 0-9, _ and .)`)
  }
  return advice
}

/** `add user avatars!` -> `add_user_avatars`. */
export function slugify(description: string): string {
  return description
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
}
