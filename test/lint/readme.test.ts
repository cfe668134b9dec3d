// README "Lint rules" documents every rule (STYLE habit 8: id = file name =
// docs anchor): a section per rule with its severity, its advice, and a bad
// and a good example. SQL examples are linted: the bad one must trip the
// rule, the good one must not. Each rule also has its file and its test.
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { RULES } from '../../src/lint/index.js'
import { lintFiles } from './tester.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8')
const lintSection = readme.slice(readme.indexOf('\n## Lint rules\n'), readme.indexOf('\n## ', readme.indexOf('\n## Lint rules\n') + 5))

/** The `### id` subsection of the Lint rules section. */
function sectionOf(id: string): string | undefined {
  const start = lintSection.indexOf(`\n### ${id}\n`)
  if (start < 0) return undefined
  const end = lintSection.indexOf('\n### ', start + 5)
  return lintSection.slice(start, end < 0 ? undefined : end)
}

/** The code block after `label:` in a section: [language, text]. */
function example(section: string, label: 'Bad' | 'Good'): [string, string] | undefined {
  const m = new RegExp(`\\n${label}:\\n\\n\`\`\`(\\w+)\\n([\\s\\S]*?)\\n\`\`\`\\n`).exec(section)
  return m ? [m[1]!, m[2]!] : undefined
}

/**
 * An example as files: one `002_change.up.sql`, or several when the example
 * shows them (`-- 016_x.up.sql` lines start each one).
 */
function asFiles(sql: string): Record<string, string> {
  const parts = sql.split(/^-- (\d+_\S+\.up\.sql).*$/m)
  if (parts.length === 1) return { '002_change.up.sql': sql + '\n' }
  const files: Record<string, string> = {}
  for (let i = 1; i < parts.length; i += 2) files[parts[i]!] = parts[i + 1]!.trim() + '\n'
  return files
}

const test = suite('lint rules are documented')

test('ids are kebab-case and unique, one file and one test per rule', () => {
  const ids = RULES.map((r) => r.id)
  assert.equal([...new Set(ids)], ids)
  for (const id of ids) {
    assert.match(id, /^[a-z]+(-[a-z]+)*$/)
    assert.ok(existsSync(path.join(ROOT, 'src/lint/rules', `${id}.ts`)), `src/lint/rules/${id}.ts`)
    assert.ok(existsSync(path.join(ROOT, 'test/lint/rules', `${id}.test.ts`)), `test/lint/rules/${id}.test.ts`)
  }
})

test('the summary table lists every rule, in order, with its severity and advice', () => {
  const rows = [...lintSection.matchAll(/^\| \[`([a-z-]+)`\]\(#\1\) \| (\w+) \| (.*) \|$/gm)].map((m) => ({
    id: m[1],
    severity: m[2],
    docs: m[3]!.replace(/\\\|/g, '|'),
  }))
  assert.equal(rows, RULES.map((r) => ({ id: r.id, severity: r.severity, docs: r.docs })))
})

for (const rule of RULES) {
  test(`${rule.id}: section, severity, advice, bad and good examples`, async () => {
    const section = sectionOf(rule.id)
    assert.ok(section, `README has no "### ${rule.id}" under Lint rules`)
    assert.ok(section!.includes(`\n**${rule.severity}**: ${rule.docs}.\n`), 'severity and advice line')
    const bad = example(section!, 'Bad')
    const good = example(section!, 'Good')
    assert.ok(bad && good, 'a Bad: and a Good: example')
    if (bad![0] !== 'sql') return // file names and encodings: shown, not linted
    const hits = async (sql: string) => (await lintFiles(asFiles(sql))).filter((f) => f.rule === rule.id).length
    assert.ok((await hits(bad![1])) > 0, `the bad example does not trip ${rule.id}`)
    assert.is(await hits(good![1]), 0, `the good example trips ${rule.id}`)
  })
}

test.run()
