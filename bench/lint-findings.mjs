#!/usr/bin/env node
// `node --import tsx bench/lint-findings.mjs [dir ...]`: findings per 100
// files, by rule, of `lint` with its defaults on the larger fixture sets
// (fixtures/lint/sets/*, or the directories given). A report, not a test:
// issue 16 quotes its before/after numbers (NOTES.md).
import { readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { lint } from '../src/index.ts'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const SETS = path.join(ROOT, 'fixtures', 'lint', 'sets')
const dirs = process.argv.length > 2 ? process.argv.slice(2) : readdirSync(SETS).sort().map((d) => path.join(SETS, d))

const total = new Map()
let files = 0
for (const dir of dirs) {
  const r = await lint({ dir })
  files += r.files
  const byRule = new Map()
  for (const f of r.findings) {
    const key = `${f.rule} (${f.severity})`
    byRule.set(key, (byRule.get(key) ?? 0) + 1)
    total.set(key, (total.get(key) ?? 0) + 1)
  }
  console.log(`${path.relative(ROOT, dir)}: ${r.files} files, ${r.findings.length} findings`)
  for (const [k, n] of [...byRule].sort()) console.log(`  ${k.padEnd(44)} ${n}`)
}
const per100 = (n) => ((n * 100) / files).toFixed(1)
console.log(`\nAll sets: ${files} files; findings per 100 files by rule`)
for (const [k, n] of [...total].sort()) console.log(`  ${k.padEnd(44)} ${String(n).padStart(4)}  ${per100(n).padStart(6)}`)
const all = [...total.values()].reduce((a, b) => a + b, 0)
console.log(`  ${'total'.padEnd(44)} ${String(all).padStart(4)}  ${per100(all).padStart(6)}`)
