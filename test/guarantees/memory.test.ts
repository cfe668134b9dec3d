// Issue 13, point 10: the memory a 200 MB migration file costs, measured
// (peak RSS by /usr/bin/time) for `up` and for `lint`. The file is generated
// in a temporary directory here and never committed. The goal (issue 13) is
// under 3x the file's size for `up` and 4x for `lint`, asserted (peak RSS is
// not a race: the same run on a busy machine peaks the same); the numbers
// are printed for NOTES. Measured before the fix: 649 MB and 1385 MB.
// Both executables are measured: the CLI under test (the bundle, unless
// LINK_MIGRATE_BIN names another) and the compiled binary when it is built
// (Bun holds memory differently: its `up` peaked at 714 MB, 3.4x, until a
// closure made per number token in the lexer was removed).
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { binPath, cliCommand, cliEnv } from '../helpers/cli.js'
import { closeAdmin, freshDatabase } from '../helpers/db.js'
import { migrationsDir } from '../helpers/tmp.js'
import { readable } from './util.js'

const TIME = '/usr/bin/time'
const BINARY = path.join(path.dirname(binPath()), 'link-migrate-linux-x64')
/** The executables measured, by the name the output gives them. */
const EXECUTABLES: [string, string][] = [[path.basename(binPath()), binPath()]]
if (!process.env.LINK_MIGRATE_BIN && fs.existsSync(BINARY)) EXECUTABLES.push(['binary', BINARY])
const memory = suite('memory on a 200 MB file')
const test = readable(memory)
const M: { dir?: string; bytes?: number } = {}

memory.before(async () => {
  // 1000-row INSERTs of ~80-byte rows, up to 200 MB: what a data backfill looks like.
  M.dir = await migrationsDir({})
  const file = path.join(M.dir, '001_big.up.sql')
  const fd = fs.openSync(file, 'w')
  fs.writeSync(fd, 'create table mem_big (id int primary key, payload text not null);\n')
  let id = 0
  let size = 0
  const pad = 'y'.repeat(60)
  while (size < 200 * 1024 * 1024) {
    const rows: string[] = []
    for (let k = 0; k < 1000; k++) rows.push(`(${++id}, '${pad}-${id}')`)
    const stmt = `insert into mem_big values ${rows.join(',\n')};\n`
    fs.writeSync(fd, stmt)
    size += stmt.length
  }
  fs.closeSync(fd)
  M.bytes = fs.statSync(file).size
})
memory.after(async () => {
  if (M.dir) fs.rmSync(M.dir, { recursive: true, force: true })
  await closeAdmin()
})

/** Runs the CLI under /usr/bin/time; resolves with its exit code and peak RSS in bytes. */
function measured(bin: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; rss: number; stderr: string }> {
  const { command, args: argv } = cliCommand(args, bin)
  return new Promise((resolve, reject) => {
    const child = spawn(TIME, ['-f', 'LM_MAXRSS_KB=%M', command, ...argv], { env: cliEnv(env), stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 600_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      const kb = Number(/LM_MAXRSS_KB=(\d+)/.exec(stderr)?.[1] ?? NaN)
      resolve({ code, rss: kb * 1024, stderr })
    })
  })
}

const mb = (n: number) => `${Math.round(n / 1024 / 1024)} MB`

if (!fs.existsSync(TIME)) {
  memory.skip('peak RSS (/usr/bin/time is not installed)', () => {})
} else {
  for (const [name, bin] of EXECUTABLES) {
    test(`${name}: up applies it whole in under 3x its size`, async () => {
      // A database of its own: the other executable's run applied the file already.
      const db = await freshDatabase('memory')
      let rss: number
      try {
        const r = await measured(bin, ['up', '--dir', M.dir!, '--service', 'mem-svc', '--timeout', '9m'], { DATABASE_URL: db.url })
        assert.is(r.code, 0, r.stderr.slice(-2000))
        const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from mem_big`
        assert.ok(row!.n > 2_000_000, `${row!.n} rows`)
        rss = r.rss
      } finally {
        await db.drop()
      }
      console.log(`    measured: ${name}: up of a ${mb(M.bytes!)} file: peak RSS ${mb(rss)} (${(rss / M.bytes!).toFixed(2)}x the file; goal < 3x)`)
      assert.ok(rss < 3 * M.bytes!, `peak RSS ${mb(rss)}: 3x the file is ${mb(3 * M.bytes!)}`)
    })

    test(`${name}: lint reads it in under 4x its size`, async () => {
      const r = await measured(bin, ['lint', '--dir', M.dir!, '--service', 'mem-svc'], {})
      assert.ok(r.code === 0 || r.code === 1, r.stderr.slice(-2000))
      console.log(`    measured: ${name}: lint of a ${mb(M.bytes!)} file: peak RSS ${mb(r.rss)} (${(r.rss / M.bytes!).toFixed(2)}x the file; goal < 4x)`)
      assert.ok(r.rss < 4 * M.bytes!, `peak RSS ${mb(r.rss)}: 4x the file is ${mb(4 * M.bytes!)}`)
    })
  }
}

memory.run()
