/**
 * Migration file names (SPEC 3): `NNN_description.up.sql` / `.down.sql` and
 * the alternative `NNN_description_up.sql` / `_down.sql`. Pure.
 */

/** Largest value of a PostgreSQL `integer`, the type of the version columns. */
export const MAX_VERSION = 2147483647

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

/** Name conventions `lint` and `verify` warn about; empty when the name is conventional. */
export function nameAdvice(p: ParsedName): string[] {
  const advice: string[] = []
  if (p.digits.length !== 3 && !(p.digits.length > 3 && p.version > 999)) {
    advice.push(`version "${p.digits}" is not 3 digits wide (convention: ${String(p.version).padStart(3, '0')})`)
  }
  if (!/^[a-z0-9_]+$/.test(p.description)) {
    advice.push(`description "${p.description}" is not a lowercase slug (a-z, 0-9, _)`)
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
