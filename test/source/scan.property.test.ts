// Property-based tests of src/source/scan.ts (fast-check): random sets of
// file names and contents through the injected fs, plus a few real directories.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import fc from 'fast-check'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { FileError } from '../../src/errors.js'
import { MAX_VERSION, parseName } from '../../src/source/name.js'
import { assertUsable, scan, type ScanFs } from '../../src/source/scan.js'
import type { Source } from '../../src/types.js'
import { tmpDir } from '../helpers/tmp.js'

const RUNS = { numRuns: 200 }
const DIR = '/m'

/** A name a directory can hold: no `/`, no NUL, not `.` or `..`. */
const isDirEntry = (n: string): boolean => n.length > 0 && !n.includes('/') && !n.includes('\0') && n !== '.' && n !== '..'

const digits = fc.oneof(
  fc.stringMatching(/^[0-9]{1,4}$/),
  fc.constantFrom('0', '000', '2147483647', '2147483648', '20240101120000', '9007199254740991', '9007199254740992', '99999999999999999999'),
)
const description = fc.oneof(fc.constantFrom('a', 'create_users', '2.10.0_schema', 'x_up', 'y.down'), fc.string({ minLength: 1, maxLength: 8 }))
const suffix = fc.constantFrom('.up.sql', '.down.sql', '_up.sql', '_down.sql', '.sql', '.SQL', '.UP.sql', '.txt', '')

/** Mostly migration-like names, some arbitrary ones. */
const fileName = fc
  .oneof(
    { weight: 4, arbitrary: fc.tuple(digits, description, suffix).map(([d, s, x]) => `${d}_${s}${x}`) },
    { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 12 }) },
  )
  .filter(isDirEntry)

/** Valid SQL text, or arbitrary bytes (NUL, invalid UTF-8, BOMs). */
const content = fc.oneof(
  fc.string({ maxLength: 30 }).map((s) => Buffer.from(s)),
  fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b)),
  fc.constant(Buffer.from([0xef, 0xbb, 0xbf, 0x78])),
)

interface Entry {
  name: string
  bytes: Buffer
  /** false: a directory (or a broken symlink). */
  isFile: boolean
  /** Reading it fails (permissions, a race with a deletion). */
  unreadable: boolean
}

const entries = fc.uniqueArray(
  fc.record({
    name: fileName,
    bytes: content,
    isFile: fc.integer({ min: 0, max: 5 }).map((n) => n > 0),
    unreadable: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  }),
  { selector: (e: Entry) => e.name, maxLength: 25 },
)

function fakeFs(list: Entry[]): ScanFs {
  const byPath = new Map(list.map((e) => [join(DIR, e.name), e]))
  return {
    readdir: async () => list.map((e) => e.name),
    isFile: async (path) => byPath.get(path)?.isFile ?? false,
    readFile: async (path) => {
      const e = byPath.get(path)
      if (!e || !e.isFile) throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: 'ENOENT' })
      if (e.unreadable) throw Object.assign(new Error(`EACCES: permission denied, open '${path}'`), { code: 'EACCES' })
      return e.bytes
    },
  }
}

/** The invariants of a scan of `names`. Returns a reason when one fails. */
function broken(source: Source, names: Set<string>): string | undefined {
  for (const p of source.problems) if (!names.has(p.file)) return `problem names ${p.file}`
  for (const w of source.warnings) if (!names.has(w.file)) return `warning names ${w.file}`
  let last = -1 // version 0 is a version
  for (const m of source.migrations) {
    if (!names.has(m.up.file)) return `migration from ${m.up.file}`
    if (m.down && !names.has(m.down.file)) return `down file ${m.down.file}`
    const parsed = parseName(m.up.file)
    if (!parsed || parsed.direction !== 'up' || parsed.version !== m.version) return `up file ${m.up.file} for ${m.version}`
    if (m.version <= last || m.version > MAX_VERSION) return `version ${m.version} after ${last}`
    if (!/^[0-9a-f]{64}$/.test(m.checksum)) return `checksum ${m.checksum}`
    last = m.version
  }
  let threw: unknown
  try {
    assertUsable(source)
  } catch (e) {
    threw = e
  }
  if (source.problems.length === 0 ? threw !== undefined : !(threw instanceof FileError)) return 'assertUsable disagrees with problems'
  return undefined
}

const props = suite('scan: properties')

props('never throws; every problem and warning names a file of the set', async () => {
  await fc.assert(
    fc.asyncProperty(entries, async (list) => {
      const source = await scan(DIR, fakeFs(list))
      const reason = broken(source, new Set(list.map((e) => e.name)))
      if (reason) throw new Error(reason)
    }),
    RUNS,
  )
})

props('every SQL entry but a paired down file is accounted for (a non-file named like a migration as a problem); non-SQL names never are', async () => {
  await fc.assert(
    fc.asyncProperty(entries, async (list) => {
      const source = await scan(DIR, fakeFs(list))
      const accounted = new Set([...source.migrations.map((m) => m.up.file), ...source.problems.map((p) => p.file), ...source.warnings.map((w) => w.file)])
      for (const e of list) {
        const p = parseName(e.name)
        const sql = e.name.toLowerCase().endsWith('.sql')
        if (!sql) {
          // Non-SQL names are never mentioned.
          assert.not.ok(accounted.has(e.name), `${e.name} should be ignored`)
        } else if (!e.isFile) {
          // A directory named *.sql: a problem when named like a migration, else a warning.
          const said = p ? source.problems.some((x) => x.file === e.name) : source.warnings.some((x) => x.file === e.name)
          assert.ok(said, `${e.name} (not a file) is not reported`)
        } else if (!p || p.direction === 'up') {
          assert.ok(accounted.has(e.name), `${e.name} is not accounted for`)
        }
      }
    }),
    RUNS,
  )
})

props('the same names in a real directory', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.uniqueArray(fc.record({ name: fileName, bytes: content }), { selector: (e) => e.name, minLength: 1, maxLength: 10 }),
      async (list) => {
        const dir = await tmpDir()
        await Promise.all(list.map((e) => writeFile(join(dir, e.name), e.bytes)))
        const source = await scan(dir)
        const reason = broken(source, new Set(list.map((e) => e.name)))
        if (reason) throw new Error(reason)
      },
    ),
    { numRuns: 40 },
  )
})

props.run()
