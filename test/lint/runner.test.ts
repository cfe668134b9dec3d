// lint judges files the way `up` runs them: whatever prepareStep (the
// runner's own check before anything runs) refuses, lint reports as an
// error of one of the runner rules; what the runner accepts, those rules
// leave alone (lint may still find SQL the server would refuse).
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { prepareStep } from '../../src/core/prepare.js'
import { lintFiles } from './tester.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const RUNNER_RULES = ['syntax-error', 'bad-directive', 'transaction-control', 'copy-over-client', 'concurrently-in-wrapped-file']

function refusedByRunner(sql: string): boolean {
  try {
    prepareStep({ version: 2, name: '002_change', direction: 'up', file: '002_change.up.sql', checksum: 'x', content: sql })
    return false
  } catch {
    return true
  }
}

async function lintRunnerErrors(sql: string): Promise<string[]> {
  const findings = await lintFiles({ '002_change.up.sql': sql })
  return findings.filter((f) => f.severity === 'error' && RUNNER_RULES.includes(f.rule)).map((f) => `${f.rule}@${f.line}:${f.column}`)
}

const CASES = [
  'select 1;',
  'BEGIN;\nselect 1;\nCOMMIT;',
  'select 1;\nCOMMIT;',
  'begin;\nselect 1;\ncommit;\nselect 2;',
  'rollback;',
  'copy t from stdin;',
  'copy (select * from t) to stdout;',
  "copy t from '/tmp/x.csv';",
  "prepare transaction 'x';",
  'savepoint a;\nrollback to savepoint a;',
  "select 'unterminated;",
  'select $$ body;',
  '/* open comment',
  'select 1;\n\\i other.sql',
  '-- link-migrate:no-transaction\nBEGIN;\nselect 1;\nCOMMIT;',
  'BEGIN;\nCREATE INDEX CONCURRENTLY i ON t (a);\nCOMMIT;',
  'BEGIN;\nVACUUM t;\nCOMMIT;',
  'CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);\nBEGIN;\nselect 1;\nCOMMIT;',
  'select 1;\n-- link-migrate:no-transaction',
  '-- link-migrate:lock-timeout forever\nselect 1;',
  '-- link-migrate:lock-timeout 5s\n-- link-migrate:lock-timeout 6s\nselect 1;',
  '-- link-migrate:frobnicate\nselect 1;',
  'create function f() returns void language plpgsql as $$ begin commit; end $$;',
  'create procedure p() language sql begin atomic select 1; end;',
]

const test = suite('lint agrees with the runner')

for (const sql of CASES) {
  test(JSON.stringify(sql), async () => {
    const refused = refusedByRunner(sql)
    const errors = await lintRunnerErrors(sql)
    assert.is(errors.length > 0, refused, `runner ${refused ? 'refuses' : 'accepts'}, lint: ${errors.join(', ') || 'nothing'}`)
  })
}

test('every fixture file: accepted by the runner, no runner finding', async () => {
  for (const service of ['discovery-svc', 'ai-svc', 'chat-svc']) {
    const dir = path.join(ROOT, 'fixtures', service, 'migrations')
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.sql'))) {
      const sql = readFileSync(path.join(dir, name), 'utf8')
      assert.is(refusedByRunner(sql), false, name)
      assert.equal(await lintRunnerErrors(sql), [], name)
    }
  }
})

test.run()
