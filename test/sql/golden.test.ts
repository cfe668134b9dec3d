/**
 * Golden files for the splitter (goose's testdata style): every directory
 * under test/sql/golden holds an `input.sql` and the `expected.json` the
 * splitter must produce for it: the statements with line, column and exact
 * text (plus the classification when there is one), or the lexical error.
 *
 * On a mismatch the test writes `actual.json` beside the case for review
 * and fails. `UPDATE_GOLDEN=1` rewrites every `expected.json` instead.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { SqlSyntaxError } from '../../src/sql/lexer.js'
import { splitStatements } from '../../src/sql/split.js'
import { addsEnumValue, needsNoTransaction, transactionControl } from '../../src/sql/classify.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), 'golden')
const UPDATE = process.env.UPDATE_GOLDEN === '1'

/** What a case produces, in the shape of expected.json. */
function run(input: string): unknown {
  try {
    const statements = splitStatements(input).map((s) => {
      const out: Record<string, unknown> = { line: s.line, column: s.column, text: s.text }
      const noTx = needsNoTransaction(s)
      if (noTx !== null) out.noTransaction = noTx
      const control = transactionControl(s)
      if (control !== null) out.control = control
      if (addsEnumValue(s)) out.addsEnumValue = true
      return out
    })
    return { statements }
  } catch (e) {
    if (!(e instanceof SqlSyntaxError)) throw e
    return { error: { message: e.message, line: e.line, column: e.column } }
  }
}

const golden = suite('golden')

const cases = readdirSync(ROOT, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort()

golden('there are golden cases', () => {
  assert.ok(cases.length >= 30, `~> only ${cases.length} golden cases`)
})

for (const name of cases) {
  golden(name, () => {
    const dir = join(ROOT, name)
    const input = readFileSync(join(dir, 'input.sql'), 'utf8')
    const actual = JSON.stringify(run(input), null, 2) + '\n'
    const expectedPath = join(dir, 'expected.json')
    const actualPath = join(dir, 'actual.json')
    if (UPDATE) {
      writeFileSync(expectedPath, actual)
      rmSync(actualPath, { force: true })
      return
    }
    const expected = existsSync(expectedPath) ? readFileSync(expectedPath, 'utf8') : null
    if (expected === actual) {
      rmSync(actualPath, { force: true })
      return
    }
    writeFileSync(actualPath, actual)
    assert.fixture(actual, expected ?? '', `~> ${name}: output differs from expected.json (see ${actualPath}; UPDATE_GOLDEN=1 to accept)`)
  })
}

golden.run()
