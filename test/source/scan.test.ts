// Tests of src/source/scan.ts on real temporary directories (and a fake fs
// where the real one cannot produce the case): SPEC 3.
import { execFileSync } from 'node:child_process'
import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { FileError, isMigrateError, type FileProblem } from '../../src/errors.js'
import { checksum } from '../../src/source/checksum.js'
import { assertUsable, decode, readSource, scan, usableProblems, type ScanFs } from '../../src/source/scan.js'
import type { MigrationFile, Source } from '../../src/types.js'
import { migrationsDir, tmpDir, writeMigrations } from '../helpers/tmp.js'

const BOM = Buffer.from([0xef, 0xbb, 0xbf])

/** The MigrationFile scan() should return for an up file (and maybe its down file) in `dir`. */
function migration(dir: string, version: number, upFile: string, content: string, downFile?: string): MigrationFile {
  const stem = upFile.replace(/(\.|_)(up)\.sql$/, '')
  return {
    version,
    name: stem,
    description: stem.slice(stem.indexOf('_') + 1),
    up: { path: join(dir, upFile), file: upFile, content },
    down: downFile ? { path: join(dir, downFile), file: downFile } : undefined,
    checksum: checksum(content),
  }
}

/** A whole Source with nothing to report. */
function clean(dir: string, migrations: MigrationFile[]): Source {
  return { dir, migrations, warnings: [], problems: [] }
}

/** The FileError `fn` throws. */
function fileError(fn: () => unknown): FileError {
  try {
    fn()
  } catch (e) {
    assert.instance(e, FileError)
    return e as FileError
  }
  assert.unreachable('no FileError thrown')
  throw new Error('unreachable')
}

// ------------------------------------------------------------------ layout

const layout = suite('scan: names and pairing')

layout('an empty directory', async () => {
  const dir = await migrationsDir()
  assert.equal(await scan(dir), clean(dir, []))
})

layout('both naming formats in one directory, in numeric order (2 before 10)', async () => {
  const dir = await migrationsDir({
    '10_ten.up.sql': 'SELECT 10;\n',
    '10_ten_down.sql': 'SELECT -10;\n',
    '2_two_up.sql': 'SELECT 2;\n',
    '001_one.up.sql': 'SELECT 1;\n',
    '001_one.down.sql': 'SELECT -1;\n',
    '0003_three.up.sql': 'SELECT 3;\n',
    '0003_three_down.sql': 'SELECT -3;\n',
  })
  assert.equal(
    await scan(dir),
    clean(dir, [
      migration(dir, 1, '001_one.up.sql', 'SELECT 1;\n', '001_one.down.sql'),
      migration(dir, 2, '2_two_up.sql', 'SELECT 2;\n'),
      migration(dir, 3, '0003_three.up.sql', 'SELECT 3;\n', '0003_three_down.sql'),
      migration(dir, 10, '10_ten.up.sql', 'SELECT 10;\n', '10_ten_down.sql'),
    ]),
  )
})

layout('descriptions with dots: 0130_2.10.0_schema', async () => {
  const dir = await migrationsDir({
    '0130_2.10.0_schema.up.sql': 'SELECT 130;\n',
    '0130_2.10.0_schema.down.sql': 'SELECT -130;\n',
  })
  assert.equal(
    await scan(dir),
    clean(dir, [
      {
        version: 130,
        name: '0130_2.10.0_schema',
        description: '2.10.0_schema',
        up: { path: join(dir, '0130_2.10.0_schema.up.sql'), file: '0130_2.10.0_schema.up.sql', content: 'SELECT 130;\n' },
        down: { path: join(dir, '0130_2.10.0_schema.down.sql'), file: '0130_2.10.0_schema.down.sql' },
        checksum: checksum('SELECT 130;\n'),
      },
    ]),
  )
})

layout('non-SQL files are ignored without a word', async () => {
  const dir = await migrationsDir({
    '001_a.up.sql': 'SELECT 1;\n',
    'README.md': '# migrations\n',
    'notes.txt': 'x',
    '.DS_Store': '\0\0',
    '001_a.up.sql.bak': 'old',
    '002_b.up.sql~': 'editor backup',
    '003_c.up': 'no extension',
  })
  assert.equal(await scan(dir), clean(dir, [migration(dir, 1, '001_a.up.sql', 'SELECT 1;\n')]))
})

layout('.sql files that do not match the pattern are warnings', async () => {
  const dir = await migrationsDir({
    '001_a.up.sql': 'SELECT 1;\n',
    'schema.sql': 'x',
    'SEED.SQL': 'x',
    '002_b.sql': 'x',
    '003_c.UP.sql': 'x',
    '005_e_DOWN.SQL': 'x',
    '-1_x.up.sql': 'x',
    'v004_d.up.sql': 'x',
  })
  const message = 'is not a migration file name (NNN_description.up.sql / .down.sql); ignored'
  const lower = 'is not a migration file name: the suffix must be lower case (.up.sql, .down.sql, _up.sql, _down.sql); ignored'
  assert.equal(await scan(dir), {
    dir,
    migrations: [migration(dir, 1, '001_a.up.sql', 'SELECT 1;\n')],
    warnings: [
      { file: '-1_x.up.sql', message: 'is not a migration file name: a version is digits only, without a sign; ignored', ignored: true },
      { file: '002_b.sql', message, ignored: true },
      { file: '003_c.UP.sql', message: lower, ignored: true },
      { file: '005_e_DOWN.SQL', message: lower, ignored: true },
      { file: 'SEED.SQL', message, ignored: true },
      { file: 'schema.sql', message, ignored: true },
      { file: 'v004_d.up.sql', message, ignored: true },
    ],
    problems: [],
  })
})

layout('a down file with a different description is still the pair, with a warning', async () => {
  const dir = await migrationsDir({
    '001_create_users.up.sql': 'CREATE TABLE users ();\n',
    '001_drop_users_down.sql': 'DROP TABLE users;\n',
  })
  assert.equal(await scan(dir), {
    dir,
    migrations: [migration(dir, 1, '001_create_users.up.sql', 'CREATE TABLE users ();\n', '001_drop_users_down.sql')],
    warnings: [
      {
        file: '001_drop_users_down.sql',
        message: 'pairs with 001_create_users.up.sql by version, but its description "drop_users" differs',
      },
    ],
    problems: [],
  })
})

layout('a down file pairs across widths: 7_a.up.sql with 007_a.down.sql', async () => {
  const dir = await migrationsDir({ '7_a.up.sql': 'SELECT 7;\n', '007_a.down.sql': 'SELECT -7;\n' })
  assert.equal(await scan(dir), clean(dir, [migration(dir, 7, '7_a.up.sql', 'SELECT 7;\n', '007_a.down.sql')]))
})

layout('a symlinked file is followed', async () => {
  const elsewhere = await tmpDir()
  await writeFile(join(elsewhere, 'real.sql'), 'SELECT 2;\n')
  const dir = await migrationsDir({ '001_a.up.sql': 'SELECT 1;\n' })
  await symlink(join(elsewhere, 'real.sql'), join(dir, '002_linked.up.sql'))
  await symlink('001_a.up.sql', join(dir, '001_a.down.sql')) // relative target
  assert.equal(
    await scan(dir),
    clean(dir, [
      migration(dir, 1, '001_a.up.sql', 'SELECT 1;\n', '001_a.down.sql'),
      migration(dir, 2, '002_linked.up.sql', 'SELECT 2;\n'),
    ]),
  )
})

layout('an entry named like a migration that is not a regular file is a problem naming what it is; other names a warning', async () => {
  const dir = await migrationsDir({ '001_a.up.sql': 'SELECT 1;\n' })
  await mkdir(join(dir, 'x.up.sql'))
  await mkdir(join(dir, '002_dir.up.sql'))
  await mkdir(join(dir, 'nested'))
  await writeMigrations(dir, { 'nested/003_deep.up.sql': 'SELECT 3;\n' })
  const elsewhere = await tmpDir()
  await symlink(elsewhere, join(dir, '004_linked_dir.up.sql'))
  await symlink(join(elsewhere, 'gone.sql'), join(dir, '005_dangling.up.sql'))
  execFileSync('mkfifo', [join(dir, '006_pipe.up.sql'), join(dir, 'notes.sql')])
  const must = '; a migration must be a regular file (or a symlink to one)'
  assert.equal(await scan(dir), {
    dir,
    migrations: [migration(dir, 1, '001_a.up.sql', 'SELECT 1;\n')],
    warnings: [
      { file: 'notes.sql', message: 'is a FIFO (named pipe), not a migration file; ignored', ignored: true },
      { file: 'x.up.sql', message: 'is a directory, not a migration file; ignored', ignored: true },
    ],
    problems: [
      { file: '002_dir.up.sql', message: `is a directory${must}` },
      { file: '004_linked_dir.up.sql', message: `is a symlink to a directory${must}` },
      { file: '005_dangling.up.sql', message: `is a symlink to a file that does not exist${must}` },
      { file: '006_pipe.up.sql', message: `is a FIFO (named pipe)${must}` },
    ],
  })
})

if (process.getuid?.() === 0) {
  layout('a device named like a migration is a problem (never opened)', async () => {
    const dir = await migrationsDir({ '001_a.up.sql': 'SELECT 1;\n' })
    execFileSync('mknod', [join(dir, '002_null.up.sql'), 'c', '1', '3'])
    assert.equal((await scan(dir)).problems, [
      { file: '002_null.up.sql', message: 'is a character device; a migration must be a regular file (or a symlink to one)' },
    ])
  })
}

layout('a directory that does not exist is the one thing that throws', async () => {
  const dir = join(await tmpDir(), 'nope')
  try {
    await scan(dir)
    assert.unreachable('scan should reject')
  } catch (e) {
    assert.equal({ code: (e as NodeJS.ErrnoException).code, path: (e as NodeJS.ErrnoException).path }, { code: 'ENOENT', path: dir })
  }
})

layout('10,000 files scan correctly', async () => {
  const dir = await tmpDir()
  const names = Array.from({ length: 10_000 }, (_, i) => `${String(i + 1).padStart(5, '0')}_m${i + 1}.up.sql`)
  for (let i = 0; i < names.length; i += 500) {
    await Promise.all(names.slice(i, i + 500).map((n, j) => writeFile(join(dir, n), `SELECT ${i + j + 1};\n`)))
  }
  const source = await scan(dir)
  assert.equal(
    {
      migrations: source.migrations.length,
      warnings: source.warnings,
      problems: source.problems,
      inOrder: source.migrations.every((m, i) => m.version === i + 1 && m.up.content === `SELECT ${i + 1};\n`),
    },
    { migrations: 10_000, warnings: [], problems: [], inOrder: true },
  )
})

// ---------------------------------------------------------------- problems

const problems = suite('scan: problems')

problems('two up files of one version across the two formats: both named', async () => {
  const dir = await migrationsDir({ '003_a.up.sql': 'SELECT 1;\n', '003_b_up.sql': 'SELECT 2;\n' })
  assert.equal(await scan(dir), {
    dir,
    migrations: [migration(dir, 3, '003_a.up.sql', 'SELECT 1;\n')],
    warnings: [],
    problems: [{ file: '003_b_up.sql', message: 'duplicate up migration for version 3: 003_a.up.sql and 003_b_up.sql' }],
  })
})

problems('two up files of one version across widths: 7_a.up.sql and 007_b_up.sql', async () => {
  const dir = await migrationsDir({ '7_a.up.sql': 'SELECT 1;\n', '007_b_up.sql': 'SELECT 2;\n' })
  const source = await scan(dir)
  assert.equal(source.problems, [{ file: '7_a.up.sql', message: 'duplicate up migration for version 7: 007_b_up.sql and 7_a.up.sql' }])
  assert.is(fileError(() => assertUsable(source)).message, '7_a.up.sql: duplicate up migration for version 7: 007_b_up.sql and 7_a.up.sql')
})

problems('three up files of one version: each later one is named with the first', async () => {
  const dir = await migrationsDir({ '01_a.up.sql': 'a', '1_b.up.sql': 'b', '001_c_up.sql': 'c' })
  assert.equal((await scan(dir)).problems, [
    { file: '01_a.up.sql', message: 'duplicate up migration for version 1: 001_c_up.sql and 01_a.up.sql' },
    { file: '1_b.up.sql', message: 'duplicate up migration for version 1: 001_c_up.sql and 1_b.up.sql' },
  ])
})

problems('two down files of one version', async () => {
  const dir = await migrationsDir({ '005_a.up.sql': 'x', '005_a.down.sql': 'y', '5_a_down.sql': 'z' })
  assert.equal(await scan(dir), {
    dir,
    migrations: [migration(dir, 5, '005_a.up.sql', 'x', '005_a.down.sql')],
    warnings: [],
    problems: [{ file: '5_a_down.sql', message: 'duplicate down migration for version 5: 005_a.down.sql and 5_a_down.sql' }],
  })
})

problems('a down file with no up file', async () => {
  const dir = await migrationsDir({ '001_a.up.sql': 'SELECT 1;\n', '002_b.down.sql': 'SELECT 2;\n' })
  assert.equal(await scan(dir), {
    dir,
    migrations: [migration(dir, 1, '001_a.up.sql', 'SELECT 1;\n')],
    warnings: [],
    problems: [{ file: '002_b.down.sql', message: 'down migration for version 2 has no up file', orphanDown: 2 }],
  })
})

problems('assertUsable with the applied versions: a down file whose up file was deleted is no problem when its version is applied', async () => {
  const dir = await migrationsDir({ '001_a.up.sql': 'SELECT 1;\n', '002_b.down.sql': 'SELECT 2;\n', '1_x_up.sql': 'x' })
  const source = await scan(dir)
  const duplicate = { file: '1_x_up.sql', message: 'duplicate up migration for version 1: 001_a.up.sql and 1_x_up.sql' }
  const orphan = { file: '002_b.down.sql', message: 'down migration for version 2 has no up file', orphanDown: 2 }
  assert.equal(usableProblems(source), [duplicate, orphan])
  assert.equal(usableProblems(source, 'later'), [duplicate])
  assert.equal(usableProblems(source, new Set([1])), [duplicate, orphan])
  assert.equal(usableProblems(source, new Set([1, 2])), [duplicate])
  const e = fileError(() => assertUsable({ ...source, problems: [orphan] }, new Set([3])))
  assert.is(e.message, '002_b.down.sql: down migration for version 2 has no up file')
  assertUsable({ ...source, problems: [orphan] }, new Set([2]))
})

problems('versions: 0 is a version, timestamps fit, 2^53 - 1 is the largest, 2^53 is refused', async () => {
  const dir = await migrationsDir({
    '000_zero.up.sql': 'SELECT 0;\n',
    '20240101120000_stamp.up.sql': 'SELECT 1;\n',
    '9007199254740991_max.up.sql': 'SELECT 2;\n',
    '9007199254740992_over.up.sql': 'x',
    '9007199254740992_over.down.sql': 'x',
    '99999999999999999999999_huge_up.sql': 'x',
  })
  const over = (v: string) => `version ${v} is larger than 9007199254740991, the largest version link-migrate reads exactly`
  assert.equal(await scan(dir), {
    dir,
    migrations: [
      migration(dir, 0, '000_zero.up.sql', 'SELECT 0;\n'),
      migration(dir, 20240101120000, '20240101120000_stamp.up.sql', 'SELECT 1;\n'),
      migration(dir, 9007199254740991, '9007199254740991_max.up.sql', 'SELECT 2;\n'),
    ],
    warnings: [],
    problems: [
      { file: '9007199254740992_over.down.sql', message: over('9007199254740992') },
      { file: '9007199254740992_over.up.sql', message: over('9007199254740992') },
      { file: '99999999999999999999999_huge_up.sql', message: over('99999999999999999999999') },
    ],
  })
})

problems('assertUsable: nothing to say, nothing thrown', async () => {
  const dir = await migrationsDir({ '001_a.up.sql': 'SELECT 1;\n' })
  assertUsable(await scan(dir))
})

problems('assertUsable: one FileError (exit 1) listing every problem', async () => {
  const dir = await migrationsDir({
    '001_a.up.sql': 'SELECT 1;\n',
    '1_b_up.sql': 'SELECT 1;\n',
    '002_c.down.sql': 'x',
    '003_d.up.sql': Buffer.from('SELECT 1;\0'),
    '004_e.up.sql': Buffer.from([0x53, 0xff]),
  })
  const source = await scan(dir)
  const e = fileError(() => assertUsable(source))
  assert.ok(isMigrateError(e))
  assert.equal(
    { name: e.name, code: e.code, exitCode: e.exitCode, problems: e.problems, message: e.message },
    {
      name: 'FileError',
      code: 'FILES_INVALID',
      exitCode: 1,
      problems: source.problems,
      message: [
        '4 problems in migration files:',
        '  1_b_up.sql: duplicate up migration for version 1: 001_a.up.sql and 1_b_up.sql',
        '  002_c.down.sql: down migration for version 2 has no up file',
        '  003_d.up.sql: contains a NUL byte at byte 9; migration files must be UTF-8 text',
        '  004_e.up.sql: is not valid UTF-8 (at byte 1); save it as UTF-8',
      ].join('\n'),
    },
  )
})

problems('assertUsable: a single problem is FILE_INVALID with a one-line message', () => {
  const e = fileError(() => assertUsable({ dir: '/d', migrations: [], warnings: [], problems: [{ file: 'a.sql', message: 'bad' }] }))
  assert.equal({ code: e.code, exitCode: e.exitCode, message: e.message }, { code: 'FILE_INVALID', exitCode: 1, message: 'a.sql: bad' })
})

// ----------------------------------------------------------------- content

const content = suite('scan: content')

content('a UTF-8 BOM is dropped, and the checksum equals the BOM-less file\'s', async () => {
  const text = 'CREATE TABLE t (v text DEFAULT \'é\');\n'
  const withBom = await migrationsDir({ '001_a.up.sql': Buffer.concat([BOM, Buffer.from(text)]) })
  const without = await migrationsDir({ '001_a.up.sql': text })
  const a = await scan(withBom)
  const b = await scan(without)
  assert.equal(a, clean(withBom, [migration(withBom, 1, '001_a.up.sql', text)]))
  assert.is(a.migrations[0]!.checksum, b.migrations[0]!.checksum)
})

content('BOM plus CRLF verifies the same as plain LF', async () => {
  const crlf = await migrationsDir({ '001_a.up.sql': Buffer.concat([BOM, Buffer.from('SELECT 1;\r\nSELECT 2;\r\n')]) })
  const lf = await migrationsDir({ '001_a.up.sql': 'SELECT 1;\nSELECT 2;\n' })
  const a = (await scan(crlf)).migrations[0]!
  const b = (await scan(lf)).migrations[0]!
  assert.equal({ content: a.up.content, checksum: a.checksum }, { content: 'SELECT 1;\r\nSELECT 2;\r\n', checksum: b.checksum })
})

content('only one BOM is dropped', async () => {
  const dir = await migrationsDir({ '001_a.up.sql': Buffer.concat([BOM, BOM, Buffer.from('x')]) })
  assert.is((await scan(dir)).migrations[0]!.up.content, '\uFEFFx')
})

content('a file with a NUL byte is refused, naming the file and the byte', async () => {
  const dir = await migrationsDir({
    '001_a.up.sql': 'SELECT 1;\n',
    '002_b.up.sql': Buffer.from('SELECT\0 2;\n'),
    '003_utf16.up.sql': Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('SELECT 3;', 'utf16le')]),
  })
  assert.equal(await scan(dir), {
    dir,
    migrations: [migration(dir, 1, '001_a.up.sql', 'SELECT 1;\n')],
    warnings: [],
    problems: [
      { file: '002_b.up.sql', message: 'contains a NUL byte at byte 6; migration files must be UTF-8 text' },
      { file: '003_utf16.up.sql', message: 'contains a NUL byte at byte 3; migration files must be UTF-8 text' },
    ],
  })
})

content('a file with invalid UTF-8 is refused, naming the file and the byte', async () => {
  const dir = await migrationsDir({
    '001_latin1.up.sql': Buffer.from('-- caf\xe9\nSELECT 1;\n', 'latin1'),
    '002_a_ok.up.sql': 'SELECT \'café\';\n',
  })
  assert.equal(await scan(dir), {
    dir,
    migrations: [migration(dir, 2, '002_a_ok.up.sql', 'SELECT \'café\';\n')],
    warnings: [],
    problems: [{ file: '001_latin1.up.sql', message: 'is not valid UTF-8 (at byte 6); save it as UTF-8' }],
  })
})

content('problems from reading come out in version order, whatever order the reads finish in', async () => {
  // A fake fs whose reads finish last-first.
  const files: Record<string, Buffer> = {
    '001_a.up.sql': Buffer.from([0xff]),
    '002_b.up.sql': Buffer.from([0x00]),
    '003_c.up.sql': Buffer.from([0xc0, 0x80]),
  }
  const fs: ScanFs = {
    readdir: async () => Object.keys(files),
    isFile: async () => true,
    readFile: (path) => {
      const name = path.slice(path.lastIndexOf('/') + 1)
      const delay = 30 - 10 * Number(name.slice(0, 3))
      return new Promise((resolve) => setTimeout(() => resolve(files[name]!), delay))
    },
  }
  assert.equal((await scan('/m', fs)).problems, [
    { file: '001_a.up.sql', message: 'is not valid UTF-8 (at byte 0); save it as UTF-8' },
    { file: '002_b.up.sql', message: 'contains a NUL byte at byte 0; migration files must be UTF-8 text' },
    { file: '003_c.up.sql', message: 'is not valid UTF-8 (at byte 0); save it as UTF-8' },
  ])
})

content('a file that cannot be read is a problem, not a crash', async () => {
  const fs: ScanFs = {
    readdir: async () => ['001_a.up.sql', '002_b.up.sql'],
    isFile: async () => true,
    readFile: async (path) => {
      if (path.endsWith('001_a.up.sql')) throw Object.assign(new Error('EACCES: permission denied, open \'/m/001_a.up.sql\''), { code: 'EACCES' })
      return Buffer.from('SELECT 2;\n')
    },
  }
  assert.equal(await scan('/m', fs), {
    dir: '/m',
    migrations: [migration('/m', 2, '002_b.up.sql', 'SELECT 2;\n')],
    warnings: [],
    problems: [{ file: '001_a.up.sql', message: "cannot be read: EACCES: permission denied, open '/m/001_a.up.sql'" }],
  })
})

content('down files are not read by scan', async () => {
  const read: string[] = []
  const fs: ScanFs = {
    readdir: async () => ['001_a.up.sql', '001_a.down.sql'],
    isFile: async () => true,
    readFile: async (path) => {
      read.push(path)
      return Buffer.from(path.endsWith('down.sql') ? [0xff] : [0x78])
    },
  }
  const source = await scan('/m', fs)
  assert.equal({ read, problems: source.problems }, { read: ['/m/001_a.up.sql'], problems: [] })
})

// ------------------------------------------------------------------ decode

const dec = suite('scan: decode and readSource')

dec('plain UTF-8 comes back as it is; one BOM is dropped', () => {
  assert.is(decode('f', Buffer.from('SELECT \'😀\';')), 'SELECT \'😀\';')
  assert.is(decode('f', Buffer.concat([BOM, Buffer.from('x')])), 'x')
  assert.is(decode('f', BOM), '')
  assert.is(decode('f', new Uint8Array()), '')
})

dec('every kind of invalid UTF-8 names the first bad byte', () => {
  const cases: [number[], number][] = [
    [[0x61, 0x80], 1], // lone continuation byte
    [[0x61, 0xc0, 0x80], 1], // overlong NUL
    [[0x61, 0x62, 0xc3], 2], // truncated 2-byte sequence at the end
    [[0xe2, 0x82], 0], // truncated 3-byte sequence
    [[0xe2, 0x82, 0x41], 0], // 3-byte sequence broken by ASCII
    [[0xed, 0xa0, 0x80], 0], // UTF-16 surrogate
    [[0xf4, 0x90, 0x80, 0x80], 0], // past U+10FFFF
    [[0xf8, 0x88, 0x80, 0x80, 0x80], 0], // 5-byte form
    [[0x41, 0xc3, 0xa9, 0xfe], 3], // after a valid é
    [[0xf0, 0x9f, 0x98, 0x80, 0x41, 0xff], 5], // after a valid emoji
  ]
  for (const [bytes, at] of cases) {
    const e = fileError(() => decode('x.sql', Uint8Array.from(bytes)))
    assert.equal(e.problems, [{ file: 'x.sql', message: `is not valid UTF-8 (at byte ${at}); save it as UTF-8` }], `~> ${bytes}`)
  }
})

dec('a NUL byte is reported before invalid UTF-8', () => {
  const e = fileError(() => decode('x.sql', Uint8Array.from([0xff, 0x41, 0x00])))
  assert.equal(e.problems, [{ file: 'x.sql', message: 'contains a NUL byte at byte 2; migration files must be UTF-8 text' }])
})

dec('readSource reads, decodes and keeps the ref', async () => {
  const dir = await migrationsDir({ '001_a.down.sql': Buffer.concat([BOM, Buffer.from('DROP TABLE t;\n')]) })
  const ref = { path: join(dir, '001_a.down.sql'), file: '001_a.down.sql' }
  assert.equal(await readSource(ref), { ...ref, content: 'DROP TABLE t;\n' })
})

dec('readSource: bad content is a FileError naming the file', async () => {
  const dir = await migrationsDir({ '001_a.down.sql': Buffer.from([0x00]) })
  try {
    await readSource({ path: join(dir, '001_a.down.sql'), file: '001_a.down.sql' })
    assert.unreachable('should reject')
  } catch (e) {
    assert.instance(e, FileError)
    assert.equal((e as FileError).problems, [
      { file: '001_a.down.sql', message: 'contains a NUL byte at byte 0; migration files must be UTF-8 text' },
    ] satisfies FileProblem[])
  }
})

layout.run()
problems.run()
content.run()
dec.run()
