// engine/up.ts: the bookkeeping read begins before the directory is read
// (Context.ahead, issue 20), and nothing of that shows: a directory refused
// before any database work stops at once (no --wait, no connection left
// behind), what --wait says comes after the run's first line as before, and
// the times of applied migrations read as they always were.
import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { databases, testUrl } from '../helpers/db.js'
import { tmpDir } from '../helpers/tmp.js'
import { assertExit, deadPort, lines, recorder, serviceDir, show } from '../cli/support.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const test = suite('up reads the bookkeeping while it reads the directory')
const dbs = databases('engine_up')
const { run, assertNoSecrets } = recorder()

test.after(async () => {
  await dbs.dropAll()
})

/** Two up files of version 1: refused before any database work (SPEC 3). */
const DUPLICATE = { '001_a.up.sql': 'select 1;\n', '001_b.up.sql': 'select 2;\n' }

async function urlOnDeadPort(): Promise<string> {
  const u = new URL(testUrl())
  u.port = String(await deadPort())
  return u.toString()
}

test('a refused directory with --wait and no server: the file error at once, no wait said', async () => {
  const { dir } = await serviceDir('svc', DUPLICATE)
  // --wait 600: a run that waited for the server would only end at the
  // harness's bound (timedOut), long before 600 s: a hang, not a clock.
  const r = await run(['up', '--dir', dir, '--service', 'svc', '--wait', '600'], { env: { DATABASE_URL: await urlOnDeadPort() }, timeoutMs: 60_000 })
  assert.is(r.timedOut, false, show(r))
  assertExit(r, 1)
  assert.equal(lines(r.stderr), ['[svc-migrations] Error: 001_b.up.sql: duplicate up migration for version 1: 001_a.up.sql and 001_b.up.sql'])
  assert.is(r.stdout, '')
})

test('--wait with no server: the run says it starts, then what it waits for, as before', async () => {
  const { dir } = await serviceDir('svc', { '001_a.up.sql': 'create table a (id int);\n' })
  const r = await run(['up', '--dir', dir, '--service', 'svc', '--wait', '2'], { env: { DATABASE_URL: await urlOnDeadPort() }, timeoutMs: 60_000 })
  assertExit(r, 1)
  const out = lines(r.stdout + r.stderr)
  const start = out.indexOf('[svc-migrations] Starting migration up for service: svc')
  const firstWait = out.findIndex((l) => l.startsWith('[svc-migrations] Waiting for the database at '))
  assert.ok(start === 0 && firstWait === 1, show(r))
  assert.match(out.at(-1)!, /^\[svc-migrations\] Error: cannot connect to .*connection refused.*\(waited \d+s\)$/)
})

test('library: a refused directory leaves no connection open (the process ends without close())', async () => {
  const db = await dbs.fresh()
  const { dir } = await serviceDir('svc', DUPLICATE)
  const script = path.join(await tmpDir('lm-engine-up-'), 'refused.mts')
  await writeFile(
    script,
    [
      `import { createMigrator } from ${JSON.stringify(pathToFileURL(path.join(ROOT, 'src', 'index.ts')).href)}`,
      `const m = createMigrator({ dir: ${JSON.stringify(dir)}, service: 'svc', url: process.env.URL })`,
      // No m.close(): nothing was connected for a refused directory, so nothing keeps the process alive.
      `await m.up().then(() => console.log('applied'), (e) => console.log(e.code))`,
    ].join('\n'),
  )
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, env: { ...process.env, URL: db.url }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (out += d))
  // A bound for a hang only: an open pool would keep the child alive until it.
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])))
  clearTimeout(killer)
  assert.is(signal, null, `the process did not end by itself: ${out}`)
  assert.is(code, 0, out)
  assert.is(out.trim(), 'FILE_INVALID')
  const [left] = await db.sql<{ n: number }[]>`select count(*)::int as n from migration_records`.catch(() => [{ n: -1 }])
  assert.is(left!.n, -1, 'the bookkeeping tables were not created')
})

test('status: applied times are the recorded applied_at read as local time (TZ), as postgres.js reads it', async () => {
  const db = await dbs.fresh()
  const { dir } = await serviceDir('svc', { '001_a.up.sql': 'create table a (id int);\n', '002_b.up.sql': 'create table b (id int);\n' })
  assertExit(await run(['up', '--dir', dir, '--service', 'svc'], { env: { DATABASE_URL: db.url } }), 0)
  await db.sql`update migration_records set applied_at = '2024-02-03 04:05:06.789' where version = 1`
  const at = async (tz: string) => {
    const r = await run(['status', '--dir', dir, '--service', 'svc', '--json'], { env: { DATABASE_URL: db.url, TZ: tz } })
    assertExit(r, 0)
    return (JSON.parse(r.stdout) as { migrations: { version: number; appliedAt: string | null }[] }).migrations[0]!.appliedAt
  }
  assert.is(await at('UTC'), '2024-02-03T04:05:06.789Z')
  assert.is(await at('America/New_York'), '2024-02-03T09:05:06.789Z')
  assert.is(await at('Asia/Tokyo'), '2024-02-02T19:05:06.789Z')
})

test('no password in any output of this file', () => {
  assertNoSecrets()
})

test.run()
