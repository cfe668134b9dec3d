// The rule catalogue (README "Lint rules", `lint --explain`, the config
// file's JSON Schema) is generated from the rules and their fixture pairs
// by tools/lint-catalogue.ts (STYLE habit 8: id = file name = docs anchor;
// eugene: no rule without a bad and a good example). Each rule has its
// file, its test and its pair fixtures/lint/<id>/{bad,good}.sql; the bad
// one trips the rule, the good one does not; and what was generated is up
// to date (run `node --import tsx tools/lint-catalogue.ts` after a change).
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { RULES } from '../../src/lint/index.js'
import { catalogue, examplesModule, ROOT, schema, BEGIN, END } from '../../tools/lint-catalogue.js'
import { fixtureFindings } from './tester.js'

const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8')

const test = suite('lint rule catalogue')

test('ids are kebab-case and unique; one file, one test and one fixture pair per rule', () => {
  const ids = RULES.map((r) => r.id)
  assert.equal([...new Set(ids)], ids)
  for (const id of ids) {
    assert.match(id, /^[a-z]+(-[a-z]+)*$/)
    for (const f of [`src/lint/rules/${id}.ts`, `test/lint/rules/${id}.test.ts`, `fixtures/lint/${id}/bad.sql`, `fixtures/lint/${id}/good.sql`]) {
      assert.ok(existsSync(path.join(ROOT, f)), f)
    }
  }
})

for (const rule of RULES) {
  test(`${rule.id}: the bad fixture trips it, the good one does not; a why of its own`, async () => {
    assert.ok((await fixtureFindings(rule.id, 'bad')).length > 0, `fixtures/lint/${rule.id}/bad.sql does not trip ${rule.id}`)
    assert.equal(await fixtureFindings(rule.id, 'good'), [], `fixtures/lint/${rule.id}/good.sql trips ${rule.id}`)
    assert.ok(rule.why.length > 40, 'why')
  })
}

test('README, src/lint/examples.ts and link-migrate.schema.json are generated from them, up to date', () => {
  const a = readme.indexOf(BEGIN)
  const b = readme.indexOf(END)
  assert.ok(a > 0 && b > a, 'markers')
  assert.fixture(readme.slice(a + BEGIN.length, b), '\n\n' + catalogue())
  assert.fixture(readFileSync(path.join(ROOT, 'src/lint/examples.ts'), 'utf8'), examplesModule())
  assert.fixture(readFileSync(path.join(ROOT, 'link-migrate.schema.json'), 'utf8'), schema())
  // Every section has its anchor where findings point (README.md#<id>).
  for (const r of RULES) assert.ok(readme.includes(`\n### ${r.id}\n\n**${r.severity}**: ${r.docs}.\n`), r.id)
})

test.run()
