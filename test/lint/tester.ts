// A RuleTester in the manner of ESLint's: each rule's test lists valid SQL
// (no finding of that rule) and invalid SQL with the exact findings of that
// rule, whole objects with line:column. Files are linted in memory as one
// migrations directory, exactly as `lint --dir` would see it.
import { FileError } from '../../src/errors.js'
import { decode } from '../../src/source/scan.js'
import { fixture, fixtureFiles } from '../../tools/lint-catalogue.js'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { LintInput } from '../../src/lint/collect.js'
import { lintInput, RULES } from '../../src/lint/index.js'
import type { LintFinding, LintOptions, LintRule } from '../../src/lint/types.js'

/** The file a case's `sql` is written to, unless the case names another. */
export const DEFAULT_FILE = '002_change.up.sql'

export interface Case {
  /** Shown when the case fails; defaults to the SQL. */
  name?: string
  /** The content of the file under test. */
  sql: string
  /** Its name (default {@link DEFAULT_FILE}). */
  file?: string
  /** Other files of the directory (name -> content), e.g. an earlier migration creating a table. */
  files?: Record<string, string>
  options?: LintOptions
}

/** What a finding must be: the rest (rule, severity, advice, docs) comes from the rule. */
export interface Expected {
  line: number
  column: number
  message: string
  /** Default: the case's file. */
  file?: string
}

export interface InvalidCase extends Case {
  findings: Expected[]
}

/** Lints `files` (name -> content) in memory as one directory. */
export async function lintFiles(files: Record<string, string>, options: LintOptions = {}): Promise<LintFinding[]> {
  const names = Object.keys(files).sort()
  const input: LintInput = {
    mode: 'dir',
    sources: names.map((name) => ({ file: name, base: name, content: files[name]! })),
    directories: [{ names, linted: new Map(names.map((n) => [n, n])) }],
  }
  return (await lintInput(input, options)).findings
}

/**
 * The findings of rule `id` on its fixture fixtures/lint/<id>/<kind>.sql
 * (linted in memory as one directory, bytes decoded as lint reads files).
 */
export async function fixtureFindings(id: string, kind: 'bad' | 'good'): Promise<LintFinding[]> {
  const files = fixtureFiles(fixture(id, kind))
  const names = Object.keys(files).sort()
  const input: LintInput = {
    mode: 'dir',
    sources: names.map((name) => {
      try {
        return { file: name, base: name, content: decode(name, files[name]!) }
      } catch (e) {
        if (!(e instanceof FileError)) throw e
        return { file: name, base: name, unreadable: e.problems.map((p) => p.message).join('; ') }
      }
    }),
    directories: [{ names, linted: new Map(names.map((n) => [n, n])) }],
  }
  return (await lintInput(input)).findings.filter((f) => f.rule === id)
}

/** The findings of `rule` for a case. */
async function findingsOf(rule: LintRule, c: Case): Promise<LintFinding[]> {
  const findings = await lintFiles({ ...c.files, [c.file ?? DEFAULT_FILE]: c.sql }, c.options)
  return findings.filter((f) => f.rule === rule.id)
}

/**
 * Registers and runs one uvu suite for a rule: every valid case must give
 * no finding of it, every invalid case exactly the findings listed.
 *
 * @example ruleTester('drop-column', { valid: [{ sql: 'select 1' }], invalid: [{ sql: '...', findings: [...] }] })
 */
export function ruleTester(id: string, cases: { valid: Case[]; invalid: InvalidCase[] }): void {
  const rule = RULES.find((r) => r.id === id)
  if (!rule) throw new Error(`no rule ${id}`)
  const test = suite(`rule ${id}`)
  test('has at least 3 valid and 3 invalid cases', () => {
    assert.ok(cases.valid.length >= 3, 'valid cases')
    assert.ok(cases.invalid.length >= 3, 'invalid cases')
  })
  test(`its catalogue pair: fixtures/lint/${id}/bad.sql trips it, good.sql does not`, async () => {
    assert.ok((await fixtureFindings(id, 'bad')).length > 0, 'bad.sql')
    assert.equal(await fixtureFindings(id, 'good'), [], 'good.sql')
  })
  cases.valid.forEach((c, i) => {
    test(`valid #${i + 1}: ${c.name ?? oneLine(c.sql)}`, async () => {
      assert.equal(await findingsOf(rule, c), [])
    })
  })
  cases.invalid.forEach((c, i) => {
    test(`invalid #${i + 1}: ${c.name ?? oneLine(c.sql)}`, async () => {
      const expected: LintFinding[] = c.findings.map((e) => ({
        rule: rule.id,
        severity: rule.severity,
        file: e.file ?? c.file ?? DEFAULT_FILE,
        line: e.line,
        column: e.column,
        message: e.message,
        advice: rule.docs,
        docs: `README.md#${rule.id}`,
      }))
      assert.equal(await findingsOf(rule, c), expected)
    })
  })
  test.run()
}

function oneLine(sql: string): string {
  const s = sql.replace(/\s+/g, ' ').trim()
  return s.length > 70 ? s.slice(0, 67) + '...' : s
}
