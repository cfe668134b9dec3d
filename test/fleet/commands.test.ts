// The other fleet commands from the CLI, on three databases of the shared
// test server: status (--exit-code 4), verify (exit 3 on an integrity
// finding), check --drift (a target with a hand-made change fails), down,
// --dry-run (plans every target, writes nothing, no journal).
import fs from 'node:fs'
import path from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { runCli } from '../helpers/cli.js'
import { closeAdmin, freshDatabase, type FreshDatabase } from '../helpers/db.js'
import { migrationsDir, tmpDir } from '../helpers/tmp.js'
import { show } from '../guarantees/util.js'
import { records, once } from './fleet.js'

const test = suite('fleet: status, verify, check --drift, down, --dry-run')
const S: { dbs: FreshDatabase[]; file?: string; dir?: string } = { dbs: [] }

type Doc = { ok: boolean; targets: { target: string; result: string; before: number | null; after: number | null; applied: number; pending?: number; problems?: number; error?: { code: string; message: string } }[] }

test.before(async () => {
  for (let i = 0; i < 3; i++) S.dbs.push(await freshDatabase('fleet_cmd'))
  S.dir = await migrationsDir({
    '001_a.up.sql': 'create table fc_a (id int primary key);\n',
    '001_a.down.sql': 'drop table fc_a;\n',
    '002_b.up.sql': 'create table fc_b (id int primary key);\n',
    '002_b.down.sql': 'drop table fc_b;\n',
  })
  S.file = path.join(await tmpDir('lm-fleet-cmd-'), 'targets.txt')
  fs.writeFileSync(S.file, S.dbs.map((d, i) => `t${i + 1}=${d.url}`).join('\n') + '\n')
})
test.after(async () => {
  for (const d of S.dbs) await d.drop()
  await closeAdmin()
})

const fleet = (args: string[]) => runCli([...args, '--dir', S.dir!, '--service', 'fleet-cmd', '--targets', S.file!], { timeoutMs: 120_000 })

test('--dry-run plans every target and writes nothing (not even a journal)', async () => {
  const r = await fleet(['up', '--dry-run', '--json'])
  assert.is(r.code, 0, show(r))
  const doc = JSON.parse(r.stdout) as Doc
  assert.equal(doc.targets.map((t) => [t.target, t.result, t.pending, t.applied]), [['t1', 'ok', 2, 0], ['t2', 'ok', 2, 0], ['t3', 'ok', 2, 0]])
  for (const d of S.dbs) assert.equal(await records(d.sql, 'fleet-cmd'), [])
  assert.not.ok(fs.existsSync(S.file + '.journal'))
})

test('status --exit-code: 4 while a target has pending migrations, 0 when none has', async () => {
  const up1 = await runCli(['up', '--dir', S.dir!, '--service', 'fleet-cmd', '--database-url', S.dbs[0]!.url])
  assert.is(up1.code, 0, show(up1))
  const r = await fleet(['status', '--exit-code', '--json'])
  assert.is(r.code, 4, show(r))
  assert.equal((JSON.parse(r.stdout) as Doc).targets.map((t) => [t.target, t.before, t.pending]), [['t1', 2, 0], ['t2', 0, 2], ['t3', 0, 2]])
  const up = await fleet(['up'])
  assert.is(up.code, 0, show(up))
  assert.match(up.stdout, /^3 target\(s\): 3 ok in /m)
  const again = await fleet(['status', '--exit-code'])
  assert.is(again.code, 0, show(again))
  assert.match(again.stdout, /^t2\s+2\s+0\s+\S+\s+ok\s*$/m)
})

test('verify: exit 3 when a target has an integrity problem, naming it', async () => {
  await S.dbs[1]!.sql`update migration_records set checksum = 'feed' where service = 'fleet-cmd' and version = 2`
  const r = await fleet(['verify'])
  assert.is(r.code, 3, show(r))
  assert.match(r.stdout, /^t2\s+2\s+1\s+\S+\s+failed\s+002_b\.up\.sql: 002_b changed since it was applied/m)
  assert.match(r.stdout, /^3 target\(s\): 2 ok, 1 failed in /m)
})

test('check --drift: a target changed by hand fails with the difference; exit 1', async () => {
  await S.dbs[2]!.sql`alter table fc_b add column extra text`
  const r = await fleet(['check', '--drift', '--json'])
  assert.is(r.code, 1, show(r))
  const doc = JSON.parse(r.stdout) as Doc
  const t3 = doc.targets.find((t) => t.target === 't3')!
  assert.equal([t3.result, t3.error?.code], ['failed', 'DRIFT'])
  assert.match(t3.error!.message, /extra/)
  assert.is(doc.targets.find((t) => t.target === 't1')!.result, 'ok')
})

test('down over the fleet: one step on every target', async () => {
  const r = await fleet(['down', '--json'])
  assert.is(r.code, 0, show(r))
  assert.equal((JSON.parse(r.stdout) as Doc).targets.map((t) => [t.target, t.before, t.after, t.applied]), [['t1', 2, 1, 1], ['t2', 2, 1, 1], ['t3', 2, 1, 1]])
  for (const d of S.dbs) assert.equal(await records(d.sql, 'fleet-cmd'), once(1))
})

test.run()
