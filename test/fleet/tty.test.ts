// A fleet run on a terminal: a live line (done / running / failed) above the
// finished targets, coloured results, then the summary. util-linux's
// `script` gives the CLI a real pty.
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { cliCommand, cliEnv } from '../helpers/cli.js'
import { closeAdmin, freshDatabase, type FreshDatabase } from '../helpers/db.js'
import { migrationsDir, tmpDir } from '../helpers/tmp.js'

const test = suite('fleet: on a terminal')
const S: { dbs: FreshDatabase[] } = { dbs: [] }

test.before(async () => {
  for (let i = 0; i < 3; i++) S.dbs.push(await freshDatabase('fleet_tty'))
})
test.after(async () => {
  for (const d of S.dbs) await d.drop()
  await closeAdmin()
})

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

function inPty(args: string[]): Promise<{ code: number | null; out: string }> {
  const { command, args: argv } = cliCommand(args)
  const line = `stty cols 120 rows 40; exec ${[command, ...argv].map(quote).join(' ')}`
  return new Promise((resolve) => {
    execFile('script', ['-qfec', line, '/dev/null'], { env: { ...cliEnv(), CI: '', TERM: 'xterm-256color' }, timeout: 120_000 }, (err, stdout) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout }),
    )
  })
}

test('a live line counts done, running and failed targets; results in colour; then the table', async () => {
  const dir = await migrationsDir({
    '001_a.up.sql': 'select pg_sleep(0.3);\ncreate table fleet_tty_a (id int);\n',
    '002_b.up.sql': 'select pg_sleep(0.3);\ncreate table fleet_tty_b (id int);\n',
  })
  const file = path.join(await tmpDir('lm-fleet-tty-'), 'targets.txt')
  fs.writeFileSync(file, [...S.dbs.map((d, i) => `t${i + 1}=${d.url}`), 'gone=postgres://postgres@127.0.0.1:1/gone', ''].join('\n'))
  const { code, out } = await inPty(['up', '--dir', dir, '--service', 'fleet-tty', '--targets', file, '--parallel', '2', '--on-error', 'continue'])
  assert.is(code, 1, out)
  assert.match(out, /\d\/4 done, [12] running(, 1 failed)?: t\d/)
  assert.match(out, /\x1b\[32m\S*t1: ok 0 -> 2, 2 applied \(/)
  assert.match(out, /\x1b\[31m\S*gone: failed \(/)
  assert.match(out, /TARGET\s+VERSION\s+APPLIED\s+TIME\s+RESULT\s+FIRST ERROR/)
  assert.match(out, /4 target\(s\): 3 ok, 1 failed in /)
})

test.run()
