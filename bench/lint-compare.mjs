#!/usr/bin/env node
// `node --import tsx bench/lint-compare.mjs`: link-migrate's lint next to
// squawk on the comparison corpus (fixtures/lint/corpus, labelled in
// expected.json with the findings a careful reviewer expects). A report,
// not a test: test/lint/corpus.test.ts is the assertion for link-migrate.
//
//  - link-migrate: the built bundle (dist/link-migrate.cjs, `npm run build`
//    first), `lint --dir <corpus> --json`.
//  - squawk: $SQUAWK, else node_modules/.cache/lm-squawk (installed there
//    with `npm install --no-save squawk-cli` on first use; skipped if that
//    fails). Run twice: as is (its defaults), and in its most favourable
//    setup (`--assume-in-transaction`, which is how link-migrate runs
//    transactional files, on a copy where `-- link-migrate:lock-timeout 5s`
//    is written as `SET lock_timeout = '5s';`, which squawk understands).
//
// Findings are matched per file and statement (tools point at different
// columns and lines inside one statement), squawk's rule names mapped to
// link-migrate's. A squawk finding whose rule has no link-migrate
// counterpart (style rules, statement_timeout) is counted apart, not as a
// false positive. LINT_COMPARE_DETAILS=1 lists each tool's misses and false
// positives.
import { execFileSync, spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { splitStatements } from '../src/sql/split.ts'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const CORPUS = path.join(ROOT, 'fixtures', 'lint', 'corpus')
const BUNDLE = path.join(ROOT, 'dist', 'link-migrate.cjs')

/** squawk rule -> the link-migrate rules that mean the same. */
const SQUAWK_TO_OURS = {
  'ban-drop-column': ['drop-column'],
  'adding-required-field': ['not-null-without-default'],
  'renaming-column': ['rename-column'],
  'renaming-table': ['rename-table'],
  'require-concurrent-index-creation': ['index-without-concurrently'],
  'disallowed-unique-constraint': ['index-without-concurrently'],
  'adding-serial-primary-key-field': ['index-without-concurrently', 'volatile-default'],
  'changing-column-type': ['alter-column-type'],
  'adding-not-nullable-field': ['set-not-null'],
  'adding-foreign-key-constraint': ['constraint-without-not-valid'],
  'constraint-missing-not-valid': ['constraint-without-not-valid'],
  'ban-drop-table': ['drop-table'],
  'prefer-robust-stmts': ['non-idempotent'],
  'adding-field-with-default': ['volatile-default'],
  'require-lock-timeout': ['missing-lock-timeout'],
  'require-timeout-settings': ['missing-lock-timeout'],
  'transaction-nesting': ['transaction-control'],
  'ban-concurrent-index-creation-in-transaction': ['concurrently-in-transaction', 'concurrently-in-wrapped-file'],
  'syntax-error': ['syntax-error'],
}

const expected = JSON.parse(readFileSync(path.join(CORPUS, 'expected.json'), 'utf8'))
const files = Object.keys(expected).sort()

/** Statement index of a 1-based line in a corpus file (-1: outside any statement, e.g. a file-level finding). */
const statementsOf = new Map()
function statementAt(file, line) {
  if (!statementsOf.has(file)) {
    let ranges = []
    try {
      const text = readFileSync(path.join(CORPUS, file), 'utf8')
      ranges = splitStatements(text, { tokens: false }).map((s) => [s.line, s.line + (s.text.match(/\n/g) ?? []).length])
    } catch {
      // A file that does not split: every finding is file-level.
    }
    statementsOf.set(file, ranges)
  }
  const ranges = statementsOf.get(file)
  const i = ranges.findIndex(([a, b]) => line >= a && line <= b)
  return i
}

/** A finding's identity for matching: file, statement (or line 1 for file-level ones), rule. */
const keyOf = (file, line, rule) => `${file}#${statementAt(file, line)}#${rule}`

function ours() {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: npm run build`)
  const r = spawnSync(process.execPath, [BUNDLE, 'lint', '--dir', CORPUS, '--json'], { encoding: 'utf8', env: { ...process.env, CI: 'true' } })
  return JSON.parse(r.stdout).findings.map((f) => ({ file: f.file, line: f.line, rules: [f.rule], raw: f.rule }))
}

function findSquawk() {
  if (process.env.SQUAWK) return process.env.SQUAWK
  const cache = path.join(ROOT, 'node_modules', '.cache', 'lm-squawk')
  const bin = path.join(cache, 'node_modules', '.bin', 'squawk')
  if (existsSync(bin)) return bin
  mkdirSync(cache, { recursive: true })
  writeFileSync(path.join(cache, 'package.json'), '{"name":"lm-squawk","private":true}\n')
  const r = spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', 'squawk-cli'], { cwd: cache, encoding: 'utf8' })
  if (r.status !== 0 || !existsSync(bin)) {
    console.error(`squawk-cli did not install (${(r.stderr || '').trim().split('\n').pop()}): comparing link-migrate alone`)
    return undefined
  }
  return bin
}

function squawk(bin, dir, extra) {
  const paths = files.map((f) => path.join(dir, f))
  const r = spawnSync(bin, ['--reporter', 'json', ...extra, ...paths], { encoding: 'utf8', maxBuffer: 64 << 20 })
  const out = JSON.parse(r.stdout || '[]')
  // squawk's lines are 0-based.
  return out.map((f) => ({ file: path.basename(f.file), line: f.line + 1, rules: SQUAWK_TO_OURS[f.rule_name] ?? [], raw: f.rule_name }))
}

/** Per-rule expected / found / false positives for one tool. */
function score(findings) {
  const want = new Map() // key -> rule
  for (const [file, list] of Object.entries(expected)) for (const e of list) want.set(keyOf(file, e.line, e.rule), e.rule)
  const hit = new Set()
  const fp = {}
  const fpKeys = []
  const unmapped = {}
  const seen = new Set()
  for (const f of findings) {
    if (f.rules.length === 0) {
      unmapped[f.raw] = (unmapped[f.raw] ?? 0) + 1
      continue
    }
    const match = f.rules.map((r) => keyOf(f.file, f.line, r)).find((k) => want.has(k))
    if (match) hit.add(match)
    else {
      // One statement reported twice under one rule (squawk, per dropped column) is one false positive.
      const k = keyOf(f.file, f.line, f.rules[0])
      if (seen.has(k)) continue
      seen.add(k)
      fpKeys.push(`${f.file}:${f.line} ${f.raw}`)
      fp[f.rules[0]] = (fp[f.rules[0]] ?? 0) + 1
    }
  }
  const perRule = {}
  for (const [k, rule] of want) {
    perRule[rule] ??= { expected: 0, found: 0 }
    perRule[rule].expected++
    if (hit.has(k)) perRule[rule].found++
  }
  const missed = [...want].filter(([k]) => !hit.has(k)).map(([k, rule]) => `${k.split('#')[0]} (statement ${k.split('#')[1]}) ${rule}`)
  return { perRule, fp, unmapped, missed, fpKeys }
}

function main() {
  const tools = [['link-migrate', score(ours())]]
  const bin = findSquawk()
  if (bin) {
    const version = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim()
    tools.push([`${version} (defaults)`, score(squawk(bin, CORPUS, []))])
    const copy = mkdtempSync(path.join(os.tmpdir(), 'lm-squawk-corpus-'))
    try {
      cpSync(CORPUS, copy, { recursive: true })
      for (const f of readdirSync(copy).filter((n) => n.endsWith('.sql'))) {
        const p = path.join(copy, f)
        // Same line count, so the labels' lines still match.
        writeFileSync(p, readFileSync(p, 'utf8').replace(/^-- link-migrate:lock-timeout (\S+)$/m, "SET lock_timeout = '$1';"))
      }
      tools.push([`${version} (--assume-in-transaction, directive as SET)`, score(squawk(bin, copy, ['--assume-in-transaction']))])
    } finally {
      rmSync(copy, { recursive: true, force: true })
    }
  }

  const rules = [...new Set(Object.values(expected).flatMap((l) => l.map((e) => e.rule)))]
  const allRules = [...new Set([...rules, ...tools.flatMap(([, s]) => Object.keys(s.fp))])].sort()
  const header = ['rule', 'expected', ...tools.flatMap(([name]) => [`${name}: found`, 'false pos.'])]
  const rows = allRules.map((rule) => {
    const exp = tools[0][1].perRule[rule]?.expected ?? 0
    return [rule, String(exp), ...tools.flatMap(([, s]) => [String(s.perRule[rule]?.found ?? 0), String(s.fp[rule] ?? 0)])]
  })
  const total = (pick) => tools.map(([, s]) => pick(s))
  const sum = (o, f) => Object.values(o).reduce((a, v) => a + f(v), 0)
  rows.push([
    '**total**',
    String(sum(tools[0][1].perRule, (v) => v.expected)),
    ...total((s) => [String(sum(s.perRule, (v) => v.found)), String(sum(s.fp, (v) => v))]).flat(),
  ])
  console.log(`Corpus: ${files.length} files, ${sum(tools[0][1].perRule, (v) => v.expected)} expected findings\n`)
  console.log(`| ${header.join(' | ')} |`)
  console.log(`|${header.map(() => ' --- ').join('|')}|`)
  for (const r of rows) console.log(`| ${r.join(' | ')} |`)
  for (const [name, s] of tools.slice(1)) {
    const list = Object.entries(s.unmapped).sort((a, b) => b[1] - a[1])
    if (list.length) console.log(`\n${name}, rules outside SPEC 7 (not counted): ${list.map(([r, n]) => `${r} ${n}`).join(', ')}`)
  }
  if (process.env.LINT_COMPARE_DETAILS === '1') {
    for (const [name, s] of tools) {
      console.log(`\n${name}: missed ${s.missed.length}${s.missed.map((m) => `\n  - ${m}`).join('')}`)
      console.log(`${name}: false positives ${s.fpKeys.length}${s.fpKeys.map((m) => `\n  + ${m}`).join('')}`)
    }
  }
}

main()
