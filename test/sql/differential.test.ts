/**
 * Differential test against PostgreSQL's real parser and scanner
 * (libpg-query, PostgreSQL 18 compiled to WASM).
 *
 * Corpus: every golden input that the parser accepts, every `.sql` file
 * under `fixtures/` (globbed when the test runs), and generated files that
 * mix every quoting form and comment at random (fixed seed).
 *
 * For each file:
 * - statements: our statement texts must equal the parser's statements
 *   (libpg-query gives byte ranges that include the leading whitespace and
 *   comments; we trim them to the first and last non-comment scanner token);
 * - tokens: our token boundaries (comments included) must equal the
 *   scanner's, after one normalisation: PostgreSQL scans `N'x'` as the
 *   keyword NCHAR followed by a string, we keep it one token.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadModule, parseSync, scanSync } from 'libpg-query'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { SqlSyntaxError, tokenize } from '../../src/sql/lexer.js'
import { splitStatements } from '../../src/sql/split.js'
import { byteOffsetToIndex, offsetFromServerPosition } from '../../src/sql/position.js'
import { SqlGen } from './gen.js'

const HERE = dirname(fileURLToPath(import.meta.url))
const REPO = join(HERE, '..', '..')
const GENERATED = 1500
const SEED = 20240611

interface PgStmt {
  stmt_location?: number
  stmt_len?: number
}

/**
 * Byte offset -> UTF-16 index for one text, O(1) per lookup after an O(n)
 * table; spot-checked against position.ts's byteOffsetToIndex.
 */
function byteIndex(text: string): (byte: number) => number {
  const table: number[] = []
  let i = 0
  while (i < text.length) {
    const cp = text.codePointAt(i) ?? 0
    const width = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4
    for (let k = 0; k < width; k++) table.push(i)
    i += cp > 0xffff ? 2 : 1
  }
  table.push(text.length)
  return (byte) => table[byte] ?? text.length
}

/** The parser's statements, as trimmed source slices. */
function parserStatements(text: string): string[] {
  const result = parseSync(text) as { stmts?: PgStmt[] }
  const toIndex = byteIndex(text)
  const totalBytes = Buffer.byteLength(text, 'utf8')
  const tokens = scanSync(text).tokens.filter((t) => t.tokenName !== 'SQL_COMMENT' && t.tokenName !== 'C_COMMENT')
  const out: string[] = []
  for (const s of result.stmts ?? []) {
    const from = s.stmt_location ?? 0
    // stmt_len 0 (absent) means "to the end of the string".
    const to = s.stmt_len ? from + s.stmt_len : totalBytes
    const inside = tokens.filter((t) => t.start >= from && t.end <= to)
    const first = inside[0]
    const last = inside[inside.length - 1]
    if (first === undefined || last === undefined) continue
    const a = toIndex(first.start)
    const b = toIndex(last.end)
    if (byteOffsetToIndex(text, first.start) !== a || byteOffsetToIndex(text, last.end) !== b) {
      throw new Error(`byteOffsetToIndex disagrees at byte ${first.start} or ${last.end}`)
    }
    out.push(text.slice(a, b))
  }
  return out
}

/** The scanner's token boundaries as UTF-16 [start, end) pairs, N'x' merged. */
function scannerTokens(text: string): string[] {
  const toIndex = byteIndex(text)
  const tokens = scanSync(text).tokens
  const out: string[] = []
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!
    let end = t.end
    const next = tokens[k + 1]
    if (t.end - t.start === 1 && /^[nN]$/.test(t.text) && next !== undefined && next.start === t.end && next.tokenName === 'SCONST') {
      end = next.end
      k++
    }
    out.push(`${toIndex(t.start)}-${toIndex(end)}`)
  }
  return out
}

function ourTokens(text: string): string[] {
  return tokenize(text).map((t) => `${t.start}-${t.end}`)
}

function listSql(dir: string): string[] {
  if (!existsSync(dir)) return []
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...listSql(p))
    else if (name.endsWith('.sql')) out.push(p)
  }
  return out.sort()
}

/**
 * Golden cases where libpg-query knowingly differs from the real server:
 * libpg-query patches the scanner to return comments as tokens
 * (04_lexer_comments_as_tokens.patch), which stops a quote continuation at a
 * `--` comment; PostgreSQL itself and psql continue the literal across it.
 */
const KNOWN_DIVERGENCES = new Set(['quote-continuation-comments'])

interface Corpus {
  name: string
  text: string
  /**
   * 'parse': the parser must accept it (golden cases, generated files: a
   * rejection is a bug in the case or the generator); 'error': our lexer and
   * the parser must both reject it, at the same position; 'any': a fixture,
   * compared when the parser accepts it.
   */
  expect: 'parse' | 'error' | 'any'
}

function corpus(): Corpus[] {
  const files: Corpus[] = []
  for (const p of listSql(join(HERE, 'golden'))) {
    const kase = basename(dirname(p))
    if (KNOWN_DIVERGENCES.has(kase)) continue
    files.push({ name: p.slice(REPO.length + 1), text: readFileSync(p, 'utf8'), expect: kase.startsWith('error-') ? 'error' : 'parse' })
  }
  for (const p of listSql(join(REPO, 'fixtures'))) {
    files.push({ name: p.slice(REPO.length + 1), text: readFileSync(p, 'utf8').replace(/^\uFEFF/, ''), expect: 'any' })
  }
  const gen = new SqlGen(SEED)
  for (let i = 0; i < GENERATED; i++) files.push({ name: `generated #${i}`, text: gen.file(), expect: 'parse' })
  return files
}

const diff = suite('differential vs libpg-query')

diff.before(async () => {
  await loadModule()
})

diff('statement boundaries, token boundaries and lexical errors match PostgreSQL', () => {
  const stats = { files: 0, compared: 0, errors: 0, skipped: 0, statements: 0, tokens: 0, golden: 0, fixtures: 0, generated: 0 }
  const failures: string[] = []
  const skippedNames: string[] = []
  for (const file of corpus()) {
    stats.files++
    if (file.expect === 'error') {
      // Both must reject the file, and at the same place. libpg-query's
      // cursorPosition counts characters like the server's error position,
      // but from 0 where the server counts from 1.
      let ours: SqlSyntaxError | undefined
      try {
        splitStatements(file.text)
      } catch (e) {
        if (e instanceof SqlSyntaxError) ours = e
        else throw e
      }
      let position: number | undefined
      try {
        parseSync(file.text)
      } catch (e) {
        position = (e as { sqlDetails?: { cursorPosition?: number } }).sqlDetails?.cursorPosition
      }
      const theirs = position === undefined ? undefined : offsetFromServerPosition(file.text, position + 1)
      if (ours === undefined || theirs === undefined || ours.offset !== theirs) {
        failures.push(`${file.name}: lexical error differs: ours at ${ours?.offset}, postgres at ${theirs}`)
      }
      stats.errors++
      continue
    }
    let expected: string[]
    try {
      expected = parserStatements(file.text)
    } catch (e) {
      if (file.expect === 'parse') failures.push(`${file.name}: the parser rejects it (${(e as Error).message}):\n${file.text}`)
      skippedNames.push(file.name)
      stats.skipped++
      continue
    }
    stats.compared++
    if (file.name.startsWith('test/')) stats.golden++
    else if (file.name.startsWith('fixtures/')) stats.fixtures++
    else stats.generated++

    const actual = splitStatements(file.text).map((s) => s.text)
    stats.statements += expected.length
    if (JSON.stringify(actual) !== JSON.stringify(expected)) {
      failures.push(`${file.name}: statements differ\n  ours:     ${JSON.stringify(actual)}\n  postgres: ${JSON.stringify(expected)}\n  file: ${JSON.stringify(file.text)}`)
      continue
    }
    const ours = ourTokens(file.text)
    const theirs = scannerTokens(file.text)
    stats.tokens += theirs.length
    if (ours.join(' ') !== theirs.join(' ')) {
      const k = ours.findIndex((t, i) => t !== theirs[i])
      failures.push(`${file.name}: token ${k} differs: ours ${ours[k]} postgres ${theirs[k]}\n  file: ${JSON.stringify(file.text)}`)
    }
  }
  console.log(
    `  differential: ${stats.files} files (${stats.golden} golden, ${stats.fixtures} fixtures, ${stats.generated} generated) compared: ` +
      `${stats.statements} statements, ${stats.tokens} tokens; ${stats.errors} lexical errors at the same position; ` +
      `${stats.skipped} fixtures skipped (rejected by the parser)`,
  )
  if (skippedNames.length > 0) console.log(`  skipped: ${skippedNames.join(', ')}`)
  assert.ok(stats.generated >= 1000, '~> at least 1,000 generated files compared')
  assert.equal(failures.slice(0, 5), [], `~> ${failures.length} mismatches`)
})

diff.run()
