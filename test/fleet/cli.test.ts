// The fleet from the command line (the built CLI, spawned): --targets files
// with ${ENV} secrets, 150 databases on three servers, the summary table,
// --json, exit codes, --on-error stop, --resume after SIGKILL of a fleet
// run, --targets-query, and usage errors.
import fs from 'node:fs'
import path from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { runCli, spawnCli } from '../helpers/cli.js'
import { closeAdmin, freshDatabase } from '../helpers/db.js'
import { readable, show, waitFor } from '../guarantees/util.js'
import { fleetMigrations, once, records, startFleet, targetsFile, wrongPassword, type Fleet } from './fleet.js'

const test = suite('fleet: the CLI over three servers')
const it = readable(test)
const S: { fleet?: Fleet } = {}

test.before(async () => {
  S.fleet = await startFleet('lmf_cli')
})
test.after(async () => {
  await S.fleet?.stop()
  await closeAdmin()
})

/** `name=URL` lines with the password taken out into ${PW_<server>}: the file holds no secret. */
function lineOf(name: string, url: string, server: number): string {
  const u = new URL(url)
  const pw = u.password
  u.password = ''
  return pw ? `${name}=${u.toString().replace('postgres://postgres@', `postgres://postgres:\${PW_${server}}@`)}` : `${name}=${url}`
}
function passwords(): Record<string, string> {
  const env: Record<string, string> = {}
  for (const d of S.fleet!.dbs.slice(0, 3)) env[`PW_${d.server}`] = decodeURIComponent(new URL(d.url).password)
  return env
}

type Json = { ok: boolean; counts: { total: number; ok: number; failed: number; stopped: number; skipped: number; 'done-before': number }; targets: { target: string; result: string; before: number | null; after: number | null; applied: number; error?: { code: string; file?: string; message: string } }[]; stopped?: string }

it('up --targets over 150 databases: rows, --json, exit 1 when one failed, secrets from ${ENV} never printed', async () => {
  const { dbs } = S.fleet!
  const dir = await fleetMigrations('p', 3)
  const failing = dbs[10]!
  await S.fleet!.sql(failing)`create table p_t3 (x int)`
  const file = await targetsFile([
    '# the fleet, passwords from the environment',
    ...dbs.map((d, i) => (i === 20 ? `${d.name}=${wrongPassword(d.url)}` : lineOf(d.name, d.url, d.server))),
    `unreachable=${S.fleet!.deadUrl('gone')}   # decommissioned`,
    '',
    lineOf('dup-of-first', dbs[0]!.url, dbs[0]!.server),
  ])
  const env = passwords()
  const r = await runCli(['up', '--dir', dir, '--service', 'cli-p', '--targets', file, '--parallel', '8', '--on-error', 'continue', '--json'], { env, timeoutMs: 240_000 })
  assert.is(r.code, 1, show(r))
  const doc = JSON.parse(r.stdout) as Json
  assert.equal(doc.counts, { total: 151, ok: 148, failed: 3, stopped: 0, skipped: 0, 'done-before': 0 })
  const row = (n: string) => doc.targets.find((t) => t.target === n)!
  assert.equal([row(failing.name).result, row(failing.name).after, row(failing.name).error?.file], ['failed', 2, '003_p_t3.up.sql'])
  assert.match(row(dbs[20]!.name).error!.message, /password authentication failed/)
  assert.match(row('unreachable').error!.message, /connection refused/)
  for (const d of dbs) {
    const want = d === failing ? once(2) : d === dbs[20] ? [] : once(3)
    assert.equal(await records(S.fleet!.sql(d), 'cli-p'), want, d.name)
  }
  // Human lines went to stderr (one per target), never a password.
  assert.is(r.stderr.split('\n').filter((l) => /^\[cli-p-migrations\] \S+: (ok|failed)/.test(l)).length, 151, r.stderr.slice(0, 2000))
  for (const secret of [...Object.values(env), 'Wr0ng-Pa55word-xyz']) {
    assert.not.ok(r.stdout.includes(secret) || r.stderr.includes(secret), 'a password was printed')
    assert.not.ok(r.stdout.includes(encodeURIComponent(secret)) || r.stderr.includes(encodeURIComponent(secret)), 'a password was printed')
  }
  assert.equal((doc as unknown as { duplicates: unknown[] }).duplicates, [{ target: 'dup-of-first', sameAs: dbs[0]!.name, origin: `${file}:154` }])

  // The summary table of a status run, and the journal of the up run untouched by it.
  const journal = fs.readFileSync(file + '.journal', 'utf8')
  const s = await runCli(['status', '--dir', dir, '--service', 'cli-p', '--targets', file, '--parallel', '8'], { env, timeoutMs: 240_000 })
  assert.is(s.code, 1, show(s))
  assert.match(s.stdout, /^TARGET\s+VERSION\s+PENDING\s+TIME\s+RESULT\s+FIRST ERROR$/m)
  assert.match(s.stdout, new RegExp(`^${failing.name}\\s+2\\s+1\\s+\\S+\\s+ok\\s*$`, 'm'))
  assert.match(s.stdout, /^unreachable\s+-\s+-\s+\S+\s+failed\s+cannot connect to database "gone" on 127\.0\.0\.1:\d+ as user "postgres": connection refused/m)
  assert.match(s.stdout, /^151 target\(s\): 149 ok, 2 failed in /m)
  assert.match(s.stdout, /^dup-of-first \(.*targets\.txt:154\) is the same database as lmf_cli_001: run once$/m)
  assert.is(fs.readFileSync(file + '.journal', 'utf8'), journal)
})

it('--on-error stop (the default): after a failure no new target starts; exit 1; the rest untouched', async () => {
  const { dbs } = S.fleet!
  const dir = await fleetMigrations('q', 2)
  const group = dbs.slice(30, 40)
  await S.fleet!.sql(group[3]!)`create table q_t1 (x int)`
  const file = await targetsFile(group.map((d) => lineOf(d.name, d.url, d.server)))
  const r = await runCli(['up', '--dir', dir, '--service', 'cli-q', '--targets', file, '--parallel', '1'], { env: passwords(), timeoutMs: 120_000 })
  assert.is(r.code, 1, show(r))
  assert.match(r.stdout, /failed: no new target starts \(--on-error stop\)/)
  assert.match(r.stdout, /^10 target\(s\): 3 ok, 1 failed, 6 skipped in /m)
  assert.match(r.stdout, /Journal: .*targets\.txt\.journal \(run again with --resume/)
  for (const [i, d] of group.entries()) assert.equal(await records(S.fleet!.sql(d), 'cli-q'), i < 3 ? once(2) : [], d.name)
})

it('a fleet run killed with SIGKILL and resumed migrates every target exactly once and loses nothing', async () => {
  const { dbs } = S.fleet!
  const sleepy = 'select pg_sleep(0.05);\n'
  const dir = await fleetMigrations('r', 3, {
    '001_r_t1.up.sql': sleepy + 'create table r_t1 (id int);\n',
    '002_r_t2.up.sql': sleepy + 'create table r_t2 (id int);\n',
    '003_r_t3.up.sql': sleepy + 'create table r_t3 (id int);\n',
  })
  const file = await targetsFile(dbs.map((d) => lineOf(d.name, d.url, d.server)))
  const journal = file + '.journal'
  const args = ['up', '--dir', dir, '--service', 'cli-r', '--targets', file, '--parallel', '4']
  const child = spawnCli(args, { env: passwords() })
  child.stdin?.end()
  const closed = new Promise<string | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)))
  const doneLines = () => (fs.existsSync(journal) ? fs.readFileSync(journal, 'utf8').split('\n').filter((l) => l.includes('"type":"done"')).length : 0)
  try {
    await waitFor('30 targets done in the journal', async () => doneLines() >= 30, 180_000, 50)
  } finally {
    child.kill('SIGKILL')
  }
  assert.is(await closed, 'SIGKILL', 'the run must still have been going when killed')
  const before = doneLines()
  assert.ok(before < dbs.length, `${before} targets were done before the kill`)

  const r = await runCli([...args, '--resume', '--json'], { env: passwords(), timeoutMs: 240_000 })
  assert.is(r.code, 0, show(r))
  const doc = JSON.parse(r.stdout) as Json
  assert.is(doc.counts.total, 150)
  assert.is(doc.counts.ok + doc.counts['done-before'], 150)
  assert.ok(doc.counts['done-before'] >= 30, JSON.stringify(doc.counts))
  for (const d of dbs) assert.equal(await records(S.fleet!.sql(d), 'cli-r'), once(3), d.name)
  // Applied counts over both runs: each migration once (what the killed run
  // did not journal, the resumed run found applied and did not count).
  const resumedApplied = doc.targets.filter((t) => t.result === 'ok').reduce((n, t) => n + t.applied, 0)
  assert.ok(resumedApplied <= 3 * doc.counts.ok)
  for (const t of doc.targets) assert.is(t.after, 3, t.target)
})

it('Ctrl-C: no new target starts, the running migrations are cancelled and rolled back, exit 130', async () => {
  const { dbs } = S.fleet!
  // 002 waits for advisory lock 4300, which the test holds in the first two databases.
  const dir = await fleetMigrations('i', 3, { '002_i_t2.up.sql': 'select pg_advisory_xact_lock(4300);\ncreate table i_t2 (id int);\n' })
  const group = dbs.slice(100, 110)
  const [first, second] = [group[0]!, group[1]!]
  const holders = await Promise.all([first, second].map((d) => S.fleet!.sql(d).reserve()))
  try {
    for (const h of holders) await h`select pg_advisory_lock(4300)`
    const file = await targetsFile(group.map((d) => lineOf(d.name, d.url, d.server)))
    const child = spawnCli(['up', '--dir', dir, '--service', 'cli-i', '--targets', file, '--parallel', '2'], { env: passwords() })
    child.stdin?.end()
    let stdout = ''
    let stderr = ''
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
    const waiting = async (d: (typeof group)[number]) => {
      const [row] = await S.fleet!.sql(d)<{ n: number }[]>`
        select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted
           and database = (select oid from pg_database where datname = current_database())`
      return row!.n > 0
    }
    let code: number | null | 'hung'
    try {
      await waitFor('both running targets inside 002', async () => (await waiting(first)) && (await waiting(second)), 120_000, 50)
      child.kill('SIGINT')
      // The lock stays held: only the cancel can end 002.
      let timer: NodeJS.Timeout | undefined
      code = await Promise.race([closed, new Promise<'hung'>((r) => (timer = setTimeout(() => r('hung'), 60_000)))])
      clearTimeout(timer) // a pending 60 s timer would keep this test file alive after its tests
      if (code === 'hung') child.kill('SIGKILL')
    } finally {
      for (const h of holders) await h`select pg_advisory_unlock(4300)`
    }
    assert.is(code, 130, `exit ${code}\n${stdout}\n${stderr}`)
    assert.match(stdout, /Interrupted: no new target starts; the running migrations are cancelled and rolled back/)
    assert.match(stdout, /^10 target\(s\): 2 stopped, 8 skipped in /m)
    for (const d of [first, second]) {
      assert.equal(await records(S.fleet!.sql(d), 'cli-i'), once(1), d.name)
      assert.match(stdout, new RegExp(`^${d.name}\\s+0 -> 1\\s+1\\s+\\S+\\s+stopped\\s+002_i_t2\\.up\\.sql`, 'm'))
    }
    for (const d of group.slice(2)) assert.equal(await records(S.fleet!.sql(d), 'cli-i'), [], d.name)
  } finally {
    for (const h of holders) h.release()
  }
})

it('--targets-query: the catalogue on DATABASE_URL names the databases', async () => {
  const { dbs } = S.fleet!
  const dir = await fleetMigrations('s', 1)
  const catalogue = await freshDatabase('fleet_catalogue')
  try {
    await catalogue.sql`create table tenants (name text, url text, active bool)`
    for (const d of dbs.slice(50, 56)) await catalogue.sql`insert into tenants values (${d.name}, ${d.url}, true)`
    await catalogue.sql`insert into tenants values ('old', 'postgres://nobody@127.0.0.1:1/old', false)`
    const r = await runCli(
      ['up', '--dir', dir, '--service', 'cli-s', '--targets-query', 'select name, url from tenants where active order by name', '--json'],
      { env: { DATABASE_URL: catalogue.url }, timeoutMs: 120_000 },
    )
    assert.is(r.code, 0, show(r))
    const doc = JSON.parse(r.stdout) as Json
    assert.equal(doc.targets.map((t) => [t.target, t.result, t.applied]), dbs.slice(50, 56).map((d) => [d.name, 'ok', 1]))
    for (const d of dbs.slice(50, 56)) assert.equal(await records(S.fleet!.sql(d), 'cli-s'), once(1))
    assert.not.ok(r.stdout.includes(decodeURIComponent(new URL(dbs[51]!.url).password)))

    const bad = await runCli(['status', '--dir', dir, '--service', 'cli-s', '--targets-query', 'select name from tenants'], {
      env: { DATABASE_URL: catalogue.url },
    })
    assert.is(bad.code, 2, show(bad))
    assert.match(bad.stderr, /--targets-query must return a url column \(and optionally name\); it returned name/)
  } finally {
    await catalogue.drop()
  }
})

it('usage errors: exit 2 with one line naming the file, line, variable or flag; nothing touched', async () => {
  const dir = await fleetMigrations('u', 1)
  const db = S.fleet!.dbs[60]!
  const file = await targetsFile(['# tenants', `a=postgres://postgres:\${NOT_SET_PW}@127.0.0.1:1/a`])
  const cases: [string[], RegExp][] = [
    [['up', '--targets', file], /targets\.txt:2: environment variable NOT_SET_PW is not set/],
    [['up', '--targets', path.join(path.dirname(file), 'nope.txt')], /--targets .*nope\.txt: no such file/],
    [['up', '--targets', file, '--targets-query', 'select 1'], /--targets and --targets-query cannot be used together/],
    [['up', '--targets', file, '--on-error', 'maybe'], /--on-error must be stop or continue, got "maybe"/],
    [['up', '--targets', file, '--parallel', '0'], /--parallel must be between 1 and/],
    [['check', '--targets', file], /check with --targets runs only as check --drift/],
    [['generate', 'x', '--targets', file], /--targets is not an option of generate; it is for up, down, status, verify, check/],
  ]
  for (const [args, re] of cases) {
    const r = await runCli([...args, '--dir', dir, '--service', 'cli-u'])
    assert.is(r.code, 2, `${args.join(' ')}\n${show(r)}`)
    assert.match(r.stderr, re, args.join(' '))
  }
  const notUrl = await targetsFile(['tenant-a=not a url'])
  const r = await runCli(['up', '--dir', dir, '--targets', notUrl])
  assert.is(r.code, 2, show(r))
  assert.match(r.stderr, /targets\.txt:1: expected name=URL or a postgres:\/\/ URL/)
  assert.equal(await records(S.fleet!.sql(db), 'cli-u'), [])
  const help = await runCli(['up', '--help'])
  for (const flag of ['--targets <file>', '--targets-query <sql>', '--parallel <n>', '--canary <n>', '--on-error <mode>', '--journal <file>', '--resume']) {
    assert.ok(help.stdout.includes(flag), flag)
  }
})

test.run()
