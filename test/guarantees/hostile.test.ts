// Issue 7 point 6: hostile input, with the BUILT CLI. Each refusal is one
// clear line with the right exit code and leaves the database untouched (not
// even the bookkeeping tables); each input that should work, works. What
// test/cli/config.test.ts already covers is not repeated here (service names
// with quotes, spaces, `;`, 200 characters and unicode; a missing directory;
// NUL bytes and invalid UTF-8; a version of 2^31; duplicate versions across
// the two naming formats; bad DB_PORT/PGPORT/DB_SSLMODE/URL values).
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { cliCommand, cliEnv, type CliResult } from '../helpers/cli.js'
import { closeAdmin, freshDatabase, type FreshDatabase } from '../helpers/db.js'
import { migrationsDir, tmpDir, writeMigrations } from '../helpers/tmp.js'
import { IS_ROOT } from './servers.js'
import { lines, readable, runTimed, show } from './util.js'

const test = suite('hostile input')
const it = readable(test)
const H: { db?: FreshDatabase; work?: FreshDatabase } = {}

test.before(async () => {
  H.db = await freshDatabase('hostile') // must stay empty
  H.work = await freshDatabase('hostile_work') // for inputs that should work
})
test.after(async () => {
  await H.db?.drop()
  await H.work?.drop()
  await closeAdmin()
})

/** Every relation of the untouched database: there must be none. */
async function assertUntouched(): Promise<void> {
  const rels = await H.db!.sql<{ n: string }[]>`
    select n.nspname || '.' || c.relname as n from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')`
  assert.equal(rels.map((r) => r.n), [], 'the database was not touched')
}

/** Exactly one stderr line, matching `re`, nothing on stdout but the start line; the database untouched. */
async function refused(r: CliResult, codes: number[], re: RegExp): Promise<string> {
  assert.ok(codes.includes(r.code ?? -1), `exit ${codes.join(' or ')}\n${show(r)}`)
  const err = r.stderr.split('\n').filter((l) => l.trim() !== '')
  assert.is(err.length, 1, `one line on stderr\n${show(r)}`)
  assert.match(err[0]!, re)
  assert.not.match(r.stdout, /Successfully|completed/)
  await assertUntouched()
  return err[0]!
}

const up = (dir: string, service = 'hostile-svc', db = H.db!) => runTimed(['up', '--dir', dir, '--service', service, '--database-url', db.url], { timeoutMs: 60_000 })

// ------------------------------------------------------------------ directories

it('--dir that is a file: exit 2, one line naming it', async () => {
  const root = await tmpDir()
  const file = path.join(root, '001_a.up.sql')
  await writeFile(file, 'create table a (id int);\n')
  const line = await refused(await up(file), [2], /is not a directory/)
  assert.ok(line.includes(file), line)
})

it('an unreadable directory (chmod 000, run as nobody): exit 1 or 2, one line naming it with "permission denied"', async () => {
  // A world-traversable parent: the CLI may run as another user.
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lm-hostile-'))
  try {
    fs.chmodSync(root, 0o755)
    const locked = path.join(root, 'migrations')
    await writeMigrations(locked, { '001_a.up.sql': 'create table a (id int);\n' })
    await chmod(locked, 0o000)
    let r: CliResult
    if (IS_ROOT) {
      // root reads anything: run the CLI as nobody, for whom the mode applies.
      const { command, args } = cliCommand(['up', '--dir', locked, '--service', 'hostile-svc', '--database-url', H.db!.url])
      r = await new Promise<CliResult>((resolve) => {
        const c = spawn('runuser', ['-u', 'nobody', '--', command, ...args], { env: cliEnv(), cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
        let stdout = ''
        let stderr = ''
        c.stdout.on('data', (d) => (stdout += d))
        c.stderr.on('data', (d) => (stderr += d))
        c.on('error', (e) => resolve({ code: null, signal: null, stdout, stderr: `cannot find module: ${e.message}`, timedOut: false }))
        c.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, timedOut: false }))
      })
      if (/cannot find module|EACCES.*link-migrate/i.test(r.stderr)) {
        console.log(`    SKIP unreadable directory: nobody cannot run ${command} here`)
        return
      }
    } else {
      r = await up(locked)
    }
    const line = await refused(r, [1, 2], /permission denied/i)
    assert.ok(line.includes(locked), line)
  } finally {
    for (const p of [path.join(root, 'migrations'), root]) fs.chmodSync(p, 0o755)
    fs.rmSync(root, { recursive: true, force: true })
  }
})

it('an unreadable migration file: exit 1 naming it, nothing applied', async () => {
  if (IS_ROOT) {
    console.log('    (as root the mode is not enforced; the unreadable directory case runs as nobody)')
    return
  }
  const dir = await migrationsDir({ '001_a.up.sql': 'create table a (id int);\n' })
  await chmod(path.join(dir, '001_a.up.sql'), 0o000)
  await refused(await up(dir), [1], /001_a\.up\.sql.*permission denied/i)
})

it('symlinks: a link to a file is followed (applied, same checksum as the file); a symlinked directory works', async () => {
  const store = await tmpDir()
  await writeFile(path.join(store, 'real.sql'), 'create table linked_one (id int);\n')
  const dir = await migrationsDir({ '002_plain.up.sql': 'create table linked_two (id int);\n' })
  await symlink(path.join(store, 'real.sql'), path.join(dir, '001_linked.up.sql'))
  const linkedDir = path.join(await tmpDir(), 'migrations')
  await symlink(dir, linkedDir)
  const r = await runTimed(['up', '--dir', linkedDir, '--service', 'link-svc', '--database-url', H.work!.url])
  assert.is(r.code, 0, show(r))
  assert.equal(lines(r, /Successfully applied/).map((l) => l.replace(/.*migration /, '')), ['001_linked', '002_plain'])
  const [rec] = await H.work!.sql<{ checksum: string }[]>`select checksum from migration_records where service = 'link-svc' and version = 1`
  assert.is(rec!.checksum, createHash('sha256').update('create table linked_one (id int);\n').digest('hex'))
})

it('a dangling symlink named like a migration stops up before anything runs, naming it', async () => {
  const dir = await migrationsDir({ '001_real.up.sql': 'create table dangling_one (id int);\n' })
  await symlink(path.join(dir, 'nowhere.sql'), path.join(dir, '002_dangling.up.sql'))
  const r = await runTimed(['up', '--dir', dir, '--service', 'dangling-svc', '--database-url', H.work!.url])
  assert.is(r.code, 1, show(r))
  assert.match(r.stderr, /002_dangling\.up\.sql: is a symlink to a file that does not exist/)
  const [t] = await H.work!.sql<{ n: number }[]>`select count(*)::int as n from pg_class where relname = 'dangling_one'`
  assert.is(t!.n, 0, 'nothing ran')
})

it('a directory of 10,000 files (5,000 migrations with down files): status and up work, each applied once', async () => {
  const files: Record<string, string> = {}
  for (let v = 1; v <= 5000; v++) {
    const p = String(v).padStart(4, '0')
    files[`${p}_m${v}.up.sql`] = `select ${v};\n`
    files[`${p}_m${v}.down.sql`] = `select -${v};\n`
  }
  const dir = await migrationsDir(files)
  assert.is(fs.readdirSync(dir).length, 10_000)
  const t0 = performance.now()
  const s = await runTimed(['status', '--dir', dir, '--service', 'tenk-svc', '--database-url', H.work!.url, '--json'])
  const statusMs = performance.now() - t0
  assert.is(s.code, 0, show(s))
  assert.is((JSON.parse(s.stdout) as { pending: number }).pending, 5000)
  const t1 = performance.now()
  const r = await runTimed(['up', '--dir', dir, '--service', 'tenk-svc', '--database-url', H.work!.url], { timeoutMs: 80_000 })
  const upMs = performance.now() - t1
  assert.is(r.code, 0, show(r))
  assert.is(lines(r, /Successfully applied/).length, 5000)
  const [c] = await H.work!.sql<{ n: number; d: number }[]>`
    select count(*)::int as n, count(distinct version)::int as d from migration_records where service = 'tenk-svc'`
  assert.equal({ ...c }, { n: 5000, d: 5000 })
  console.log(`    measured: status of 10,000 files ${Math.round(statusMs)} ms; up of 5,000 migrations ${Math.round(upMs)} ms`)
})

// ------------------------------------------------------------------ file contents

it('a BOM and CRLF line ends: applied (the BOM is not sent); the LF/BOM-less variant then shows as applied, not modified', async () => {
  const lf = 'create table crlf_items (id int primary key,\n  name text);\ninsert into crlf_items values (1, \'a\');\n'
  const crlf = '\uFEFF' + lf.replace(/\n/g, '\r\n')
  const dir = await migrationsDir({ '001_crlf_items.up.sql': crlf })
  const r = await runTimed(['up', '--dir', dir, '--service', 'crlf-svc', '--database-url', H.work!.url])
  assert.is(r.code, 0, show(r))
  const [rec] = await H.work!.sql<{ checksum: string }[]>`select checksum from migration_records where service = 'crlf-svc'`
  assert.is(rec!.checksum, createHash('sha256').update(lf).digest('hex'), 'checksum of the normalised text (no BOM, LF)')
  await writeMigrations(dir, { '001_crlf_items.up.sql': lf })
  const s = await runTimed(['status', '--dir', dir, '--service', 'crlf-svc', '--database-url', H.work!.url, '--json'])
  assert.is(s.code, 0, show(s))
  assert.equal((JSON.parse(s.stdout) as { migrations: { state: string }[] }).migrations.map((m) => m.state), ['applied'])
  const again = await runTimed(['up', '--dir', dir, '--service', 'crlf-svc', '--database-url', H.work!.url, '--strict'])
  assert.is(again.code, 0, show(again))
  assert.is(lines(again, /Found 0 pending migrations/).length, 1, show(again))
})

it('50 MB of SQL (one INSERT of 650,000 rows, and 650 INSERTs in another file): applied in bounded time', async () => {
  const row = (i: number) => `(${i}, '${'x'.repeat(60)}-${i}')`
  const one: string[] = []
  let size = 0
  for (let i = 1; size < 50 * 1024 * 1024; i++) {
    const s = row(i)
    one.push(s)
    size += s.length + 2
  }
  const many: string[] = []
  for (let k = 0; k < one.length; k += 1000) many.push(`insert into big_many values ${one.slice(k, k + 1000).join(',\n')};\n`)
  const dir = await migrationsDir({
    '001_big_one.up.sql': 'create table big_one (id int primary key, payload text not null);\ninsert into big_one values ' + one.join(',\n') + ';\n',
    '002_big_many.up.sql': 'create table big_many (id int primary key, payload text not null);\n' + many.join(''),
  })
  const bytes = fs.statSync(path.join(dir, '001_big_one.up.sql')).size
  assert.ok(bytes >= 50 * 1024 * 1024, `${bytes} bytes`)
  const t0 = performance.now()
  const r = await runTimed(['up', '--dir', dir, '--service', 'big-svc', '--database-url', H.work!.url], { timeoutMs: 80_000 })
  const ms = performance.now() - t0
  assert.is(r.code, 0, show(r))
  assert.ok(ms < 60_000, `took ${Math.round(ms)} ms`)
  const [c] = await H.work!.sql<{ a: number; b: number }[]>`select (select count(*)::int from big_one) as a, (select count(*)::int from big_many) as b`
  assert.equal({ ...c }, { a: one.length, b: one.length })
  await H.work!.sql`drop table big_one, big_many`
  console.log(`    measured: 2 files of ${(bytes / 1024 / 1024).toFixed(1)} MB each (${one.length} rows) applied in ${Math.round(ms)} ms`)
})

it('a version of 2^53 - 1 works on the BIGINT tables link-migrate creates; 2^53 is refused before the database is touched', async () => {
  const ok = await migrationsDir({ '9007199254740991_max.up.sql': 'create table max_version (id int);\n' })
  const r = await runTimed(['up', '--dir', ok, '--service', 'max-svc', '--database-url', H.work!.url])
  assert.is(r.code, 0, show(r))
  const [v] = await H.work!.sql<{ version: string }[]>`select version::text from schema_versions where service = 'max-svc'`
  assert.is(v!.version, '9007199254740991')
  const bad = await migrationsDir({ '9007199254740992_over.up.sql': 'create table over_version (id int);\n' })
  const b = await up(bad)
  assert.is(b.code, 1, show(b))
  assert.match(b.stderr, /9007199254740992_over\.up\.sql/)
  await assertUntouched()
})

// ------------------------------------------------------------------ connection settings

it('a %-escaped password in DATABASE_URL, the raw one in DB_PASSWORD, and ?password= all work', async () => {
  const dir = await migrationsDir({ '001_a.up.sql': 'create table pw_a (id int);\n' })
  const u = new URL(H.work!.url)
  const raw = decodeURIComponent(u.password)
  assert.match(raw, /[%@:/#?]/, 'the test password has characters that need escaping')
  const viaUrl = await runTimed(['status', '--dir', dir, '--service', 'pw-svc'], { env: { DATABASE_URL: H.work!.url } })
  assert.is(viaUrl.code, 0, show(viaUrl))
  const env = { DB_HOST: u.hostname, DB_PORT: u.port, DB_USER: decodeURIComponent(u.username), DB_PASSWORD: raw, DB_NAME: H.work!.name }
  const viaEnv = await runTimed(['status', '--dir', dir, '--service', 'pw-svc'], { env })
  assert.is(viaEnv.code, 0, show(viaEnv))
  const q = new URL(H.work!.url)
  q.password = ''
  const viaParam = await runTimed(['status', '--dir', dir, '--service', 'pw-svc'], {
    env: { DATABASE_URL: `${q.toString()}?password=${encodeURIComponent(raw)}` },
  })
  assert.is(viaParam.code, 0, show(viaParam))
})

it('a unix-socket host: ?host=<dir>, a %2F-encoded host and DB_HOST=<dir> all work', async () => {
  const sock = process.env.TEST_PG_SOCKET_DIR
  if (!sock || !fs.existsSync(sock)) {
    console.log('    SKIP unix socket: TEST_PG_SOCKET_DIR is not set (external TEST_DATABASE_URL)')
    return
  }
  const port = new URL(H.work!.url).port
  const dir = await migrationsDir({ '001_sock_a.up.sql': 'create table sock_a (id int);\n' })
  const viaParam = await runTimed(['up', '--dir', dir, '--service', 'sock-svc', '--verbose'], {
    env: { DATABASE_URL: `postgres://postgres@/${H.work!.name}?host=${sock}&port=${port}` },
  })
  assert.is(viaParam.code, 0, show(viaParam))
  assert.match(viaParam.stdout + viaParam.stderr, new RegExp(`Using database postgres://postgres@:${port}/${H.work!.name}\\?host=${sock.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`))
  const viaEncoded = await runTimed(['status', '--dir', dir, '--service', 'sock-svc'], {
    env: { DATABASE_URL: `postgres://postgres@${encodeURIComponent(sock)}:${port}/${H.work!.name}` },
  })
  assert.is(viaEncoded.code, 0, show(viaEncoded))
  const viaEnv = await runTimed(['status', '--dir', dir, '--service', 'sock-svc'], {
    env: { DB_HOST: sock, DB_PORT: port, DB_USER: 'postgres', DB_NAME: H.work!.name },
  })
  assert.is(viaEnv.code, 0, show(viaEnv))
  // A socket directory with no server in it: one clear line.
  const empty = await tmpDir()
  const none = await runTimed(['up', '--dir', dir, '--service', 'sock-svc'], { env: { DB_HOST: empty, DB_PORT: port, DB_USER: 'postgres', DB_NAME: H.db!.name } })
  await refused(none, [1], new RegExp(`no server socket in ${empty.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}|${empty.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`))
})

it('bad ports and sslmodes in every place they can come from: exit 2, one line naming the place, the database untouched', async () => {
  const dir = await migrationsDir({ '001_a.up.sql': 'create table a (id int);\n' })
  const u = new URL(H.db!.url)
  const base = { DB_HOST: u.hostname, DB_USER: 'postgres', DB_NAME: H.db!.name }
  const cases: Array<[Record<string, string | undefined>, RegExp]> = [
    [{ ...base, DB_PORT: '0' }, /DB_PORT/],
    [{ ...base, DB_PORT: '-1' }, /DB_PORT/],
    [{ ...base, DB_PORT: '5432x' }, /DB_PORT/],
    [{ ...base, DB_PORT: '99999' }, /DB_PORT/],
    [{ ...base, DB_SSLMODE: 'required' }, /DB_SSLMODE/],
    [{ ...base, DB_SSLMODE: 'verify_full' }, /DB_SSLMODE/],
    [{ ...base, PGSSLMODE: 'on' }, /PGSSLMODE/],
    [{ DATABASE_URL: `postgres://postgres@127.0.0.1:0/${H.db!.name}` }, /DATABASE_URL/],
    [{ DATABASE_URL: `postgres://postgres@127.0.0.1:${u.port}/${H.db!.name}?sslmode=yes` }, /sslmode/],
    [{ DATABASE_URL: `postgres://postgres@127.0.0.1:${u.port}/${H.db!.name}?port=abc` }, /port/],
    [{ DATABASE_URL: `postgres://postgres@127.0.0.1:${u.port}/${H.db!.name}?connect_timeout=soon` }, /connect_timeout/],
  ]
  let tried = 0
  for (const [env, re] of cases) {
    const r = await runTimed(['up', '--dir', dir, '--service', 'hostile-svc'], { env })
    await refused(r, [2], re)
    tried++
  }
  console.log(`    tried ${tried} bad connection settings`)
})

test.run()
