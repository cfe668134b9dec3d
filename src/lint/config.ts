/**
 * The lint part of the config file: `link-migrate.json` or
 * `.link-migrate.json` in the migrations directory (else its parent),
 * described by link-migrate.schema.json. Rule levels, ignores, and the
 * default of `--new-since`. Reading and validating only; lint applies it.
 *
 * @example
 * { "lint": { "newSince": 41, "rules": { "missing-lock-timeout": "error", "version-gap": "off" },
 *             "ignore": ["legacy/*.sql", { "files": "0*_seed_*.sql", "rules": ["drop-table"] }] } }
 */
import { dirname, join } from 'node:path'
import { ConfigError } from '../errors.js'
import type { ScanFs } from '../source/scan.js'
import type { LintConfig } from './types.js'

/** The names the config file may have, in the order they are looked for. */
export const CONFIG_NAMES = ['link-migrate.json', '.link-migrate.json'] as const

/**
 * The config of a migrations directory: the first of CONFIG_NAMES in `dir`,
 * else in its parent; `{}` when there is none. Throws ConfigError naming
 * the file (and the key) when it is not valid JSON or not valid config.
 */
export async function loadConfig(dir: string, ruleIds: readonly string[], fs: ScanFs): Promise<LintConfig> {
  for (const where of [dir, dirname(dir)]) {
    for (const name of CONFIG_NAMES) {
      const file = join(where, name)
      if (!(await fs.isFile(file))) continue
      const text = (await fs.readFile(file)).toString('utf8')
      return { ...parseConfig(text, file, ruleIds), file }
    }
  }
  return {}
}

/** Validates a config file's text (the `lint` key; other keys are other commands' business). */
export function parseConfig(text: string, file: string, ruleIds: readonly string[]): LintConfig {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (e) {
    throw new ConfigError(`${file}: not valid JSON (${(e as Error).message})`)
  }
  const bad = (key: string, what: string) => new ConfigError(`${file}: ${key} ${what}`)
  if (!isObject(doc)) throw bad('the document', 'must be an object')
  for (const key of Object.keys(doc)) if (key !== 'lint' && key !== '$schema') throw bad(`"${key}"`, 'is not a known key ($schema, lint)')
  const lint = doc.lint
  if (lint === undefined) return {}
  if (!isObject(lint)) throw bad('lint', 'must be an object')
  const out: LintConfig = {}
  for (const [key, value] of Object.entries(lint)) {
    if (key === 'newSince') {
      if (!Number.isSafeInteger(value) || (value as number) < 0) throw bad('lint.newSince', 'must be a whole number >= 0 (a version)')
      out.newSince = value as number
    } else if (key === 'allowTransactionControl') {
      if (typeof value !== 'boolean') throw bad('lint.allowTransactionControl', 'must be true or false')
      out.allowTransactionControl = value
    } else if (key === 'rules') {
      if (!isObject(value)) throw bad('lint.rules', 'must be an object of rule id -> "error" | "warning" | "info" | "off"')
      for (const [id, level] of Object.entries(value)) {
        if (!ruleIds.includes(id)) throw bad(`lint.rules."${id}"`, 'is not a rule id (see link-migrate lint --explain)')
        if (!['error', 'warning', 'info', 'off'].includes(level as string)) throw bad(`lint.rules."${id}"`, 'must be "error", "warning", "info" or "off"')
      }
      out.rules = value as LintConfig['rules']
    } else if (key === 'ignore') {
      if (!Array.isArray(value)) throw bad('lint.ignore', 'must be an array of globs or { files, rules }')
      value.forEach((entry, i) => {
        const at = `lint.ignore[${i}]`
        if (typeof entry === 'string') return
        if (!isObject(entry) || typeof entry.files !== 'string') throw bad(at, 'must be a glob or { "files": glob, "rules": [rule ids] }')
        for (const k of Object.keys(entry)) if (k !== 'files' && k !== 'rules') throw bad(`${at}.${k}`, 'is not a known key (files, rules)')
        if (entry.rules !== undefined && (!Array.isArray(entry.rules) || entry.rules.some((r) => !ruleIds.includes(r as string)))) {
          throw bad(`${at}.rules`, 'must be an array of rule ids')
        }
      })
      out.ignore = value as LintConfig['ignore']
    } else if (key !== '$comment') {
      throw bad(`lint."${key}"`, 'is not a known key (newSince, allowTransactionControl, rules, ignore)')
    }
  }
  return out
}

/** True when `file` (as lint names it, or its base name) matches the glob (`*`, `?`, `**`). */
export function matchesGlob(file: string, glob: string): boolean {
  const re = new RegExp(
    '^' +
      glob
        .split(/(\*\*\/?|\*|\?)/)
        .map((part) => (part === '**' || part === '**/' ? '.*' : part === '*' ? '[^/]*' : part === '?' ? '[^/]' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
        .join('') +
      '$',
  )
  return re.test(file) || re.test(file.slice(file.lastIndexOf('/') + 1))
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
