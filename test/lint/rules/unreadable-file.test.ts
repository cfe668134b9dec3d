import { execFileSync } from 'node:child_process'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { lint } from '../../../src/lint/index.js'
import type { ScanFs } from '../../../src/source/scan.js'
import { migrationsDir } from '../../helpers/tmp.js'

// Unreadable files need bytes, not strings: the test fakes the file system.
const test = suite('rule unreadable-file')

function fakeFs(files: Record<string, Uint8Array | string>): ScanFs {
  const at = (p: string) => files[p.split('/').pop()!]
  return {
    readdir: async () => Object.keys(files),
    readFile: async (p) => Buffer.from(at(p)!),
    isFile: async (p) => at(p) !== undefined,
  }
}

const finding = (file: string, message: string) => ({
  rule: 'unreadable-file',
  severity: 'error',
  file,
  line: 1,
  column: 1,
  message,
  advice: 'Save migration files as UTF-8 text',
  docs: 'README.md#unreadable-file',
})

async function run(files: Record<string, Uint8Array | string>) {
  return (await lint({ dir: '/m' }, {}, fakeFs(files))).findings.filter((f) => f.rule === 'unreadable-file')
}

test('valid: UTF-8, with or without a BOM, non-ASCII content', async () => {
  assert.equal(await run({ '001_a.up.sql': 'select 1' }), [])
  assert.equal(await run({ '001_a.up.sql': '\uFEFFselect 1' }), [])
  assert.equal(await run({ '001_a.up.sql': "select 'héllo 😀'" }), [])
})

test('invalid: a NUL byte', async () => {
  assert.equal(await run({ '001_a.up.sql': new Uint8Array([115, 0, 49]) }), [
    finding('001_a.up.sql', 'contains a NUL byte at byte 1; migration files must be UTF-8 text'),
  ])
})

test('invalid: Latin-1 bytes', async () => {
  assert.equal(await run({ '001_a.up.sql': new Uint8Array([115, 0xe9, 49]) }), [
    finding('001_a.up.sql', 'is not valid UTF-8 (at byte 1); save it as UTF-8'),
  ])
})

test('invalid: a file given that does not exist', async () => {
  const r = await lint({ files: ['missing/001_a.up.sql'], cwd: '/nowhere' })
  assert.equal(r.findings.filter((f) => f.rule === 'unreadable-file'), [
    finding('missing/001_a.up.sql', 'cannot be read: no such file (or not a regular file): /nowhere/missing/001_a.up.sql'),
  ])
})

test('invalid: a FIFO or a directory named like a migration (described, never opened)', async () => {
  const dir = await migrationsDir({ '001_a.up.sql': 'select 1;\n' })
  execFileSync('mkfifo', [join(dir, '002_pipe.up.sql')])
  await mkdir(join(dir, '003_dir.up.sql'))
  const r = await lint({ dir }, {})
  const must = '; a migration must be a regular file (or a symlink to one)'
  assert.equal(r.findings.filter((f) => f.rule === 'unreadable-file'), [
    finding('002_pipe.up.sql', `is a FIFO (named pipe)${must}`),
    finding('003_dir.up.sql', `is a directory${must}`),
  ])
})

test.run()
