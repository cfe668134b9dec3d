/**
 * Normalises argv before cac sees it:
 * - the old Go tool's form (`-action=up -service=x -dry-run -description="..."`,
 *   also with `--` or a space instead of `=`) becomes `up --service x --dry-run ...`;
 * - values of value-taking flags are shielded from mri's number coercion
 *   (`--dir 001` must stay "001", not become 1) with a marker that
 *   `optionString` strips again.
 * Throws ConfigError for a flag no command knows (named as typed, with the
 * nearest known flag: `-actoin` -> "did you mean -action?"), for a value
 * flag without a value (at the end, or followed by another flag), for a
 * switch given a value other than a Go boolean (`-dry-run=yes`), and for
 * `-action` given twice with different commands.
 */
import { ConfigError } from '../errors.js'
import { allNames } from './options.js'
import { nearest } from './suggest.js'

/** Flags that take a value. Everything else long is boolean. */
export const VALUE_FLAGS = new Set([
  'action',
  'dir',
  'service',
  'database-url',
  'description',
  'to',
  'steps',
  'wait',
  'timeout',
  'lock-timeout',
  'tracking-schema',
  'format',
  'from',
  'ddl-lock-timeout',
  'retries',
  'assume-applied',
  'new-since',
  'git-base',
  'explain',
  'targets',
  'targets-query',
  'parallel',
  'canary',
  'on-error',
  'journal',
  'setup',
  'with',
])

/** Go's flag package (strconv.ParseBool) accepts these for booleans: `-dry-run=false`. */
const GO_BOOL = /^(true|false|1|0|t|f|T|F|TRUE|FALSE|True|False)$/

/** A word that is itself a flag, not a value: `--dry-run`, `-service`, `-h`, and the `--` separator. */
const FLAG_LIKE = /^(--$|-{1,2}[A-Za-z])/

const MARK = '\u0001'

export interface NormalizedArgv {
  args: string[]
  /** The command given with -action, if any (legacy form). */
  legacyAction?: string
}

export function normalizeArgv(argv: string[]): NormalizedArgv {
  const out: string[] = []
  let action: string | undefined
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--') {
      out.push(...argv.slice(i))
      break
    }
    const m = /^(-{1,2})([A-Za-z][A-Za-z0-9-]*)(?:=([\s\S]*))?$/.exec(arg)
    // Single-letter short flags (-h, -v) and plain words pass through.
    if (!m || (m[1] === '-' && m[2]!.length === 1)) {
      out.push(arg)
      continue
    }
    const name = m[2]!.toLowerCase() === 'help' ? 'help' : m[2]!
    if (!KNOWN.has(name)) throw unknownFlag(m[1]!, name)
    let value = m[3]
    if (VALUE_FLAGS.has(name)) {
      if (value === undefined) {
        const next = argv[i + 1]
        if (next === undefined) throw new ConfigError(`--${name} needs a value`, 'USAGE')
        // `--service --dry-run` must not become a real run of a service named "--dry-run".
        if (FLAG_LIKE.test(next)) {
          throw new ConfigError(`--${name} needs a value, got the flag ${next} (write --${name}=${next} if that is the value)`, 'USAGE')
        }
        value = next
        i++
      }
      if (name === 'action') {
        if (value === '') throw new ConfigError('-action needs a value', 'USAGE')
        if (action !== undefined && action !== value) throw new ConfigError(`-action given twice (${action}, ${value})`, 'USAGE')
        action = value
        continue
      }
      out.push(`--${name}=${MARK}${value}`)
    } else if (value === undefined) {
      out.push(`--${name}`)
    } else if (GO_BOOL.test(value)) {
      // `-dry-run=false` means the flag is off: leave it out.
      if (/^(true|1|t)$/i.test(value)) out.push(`--${name}`)
    } else {
      // Every flag outside VALUE_FLAGS is a switch, read as `=== true`:
      // `--dry-run=yes` passed on would be a string, i.e. a real run.
      throw new ConfigError(`--${name} does not take a value (only true or false), got ${JSON.stringify(value)}`, 'USAGE')
    }
  }
  if (action !== undefined) out.unshift(action)
  return { args: out, legacyAction: action }
}

const KNOWN = allNames()

/** `unknown flag --dri-run (did you mean --dry-run?)`, in the dashes the user typed. */
export function unknownFlag(dashes: string, name: string, candidates: Iterable<string> = KNOWN, command?: string): ConfigError {
  const near = nearest(name, [...candidates].filter((c) => c.length > 1))
  const hint = near ? ` (did you mean ${dashes}${near}?)` : ` (see link-migrate ${command ? command + ' ' : ''}--help)`
  return new ConfigError(`unknown flag ${dashes}${name}${hint}`, 'USAGE')
}

/** The string value of an option as typed; undefined when absent. */
export function optionString(v: unknown): string | undefined {
  if (v === undefined || v === null || v === false) return undefined
  const last = Array.isArray(v) ? v[v.length - 1] : v
  const s = String(last)
  return s.startsWith(MARK) ? s.slice(MARK.length) : s
}

/** Removes the marker from an unknown-flag name or value shown in messages. */
export function unmark(s: string): string {
  return s.split(MARK).join('')
}
