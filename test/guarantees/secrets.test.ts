// SPEC 2 / issue 7 point 7: a known password with special characters goes
// through every command and every failure path, with --verbose, --json and
// --format github, and through the library's thrown errors; it appears in no
// stdout, stderr, JSON or error (raw, percent-encoded or JSON-escaped). The
// URL in --verbose output is redacted.
import net from 'node:net'
import path from 'node:path'
import { inspect } from 'node:util'
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import postgres from 'postgres'
import { lockKeys } from '../../src/db/keys.js'
import { createMigrator } from '../../src/index.js'
import { runCli, type CliOptions, type CliResult } from '../helpers/cli.js'
import { adminSql, closeAdmin, freshDatabase, type FreshDatabase } from '../helpers/db.js'
import { migrationsDir, tmpDir } from '../helpers/tmp.js'
import { readable, show } from './util.js'

const SECRET = `S3cr:t@p/ss%w#rd?&=+ 'é"\\x${randomBytes(3).toString('hex')}`
const FORMS = [SECRET, encodeURIComponent(SECRET), encodeURI(SECRET), JSON.stringify(SECRET).slice(1, -1), SECRET.replace(/'/g, "''")]
const ROLE = `lm_secret_${randomBytes(3).toString('hex')}`

const test = suite('the password is never printed')
const it = readable(test)
const S: { db?: FreshDatabase; url?: string; dir?: string; runs: (CliResult & { args: string[] })[]; texts: { what: string; text: string }[] } = {
  runs: [],
  texts: [],
}

function leaks(text: string): string | undefined {
  return FORMS.find((f) => text.includes(f))
}

/** Runs the CLI, keeps its output for the final check, and checks it at once too. */
async function cli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const r = await runCli(args, { timeoutMs: 30_000, ...opts })
  S.runs.push({ ...r, args })
  const leak = leaks(r.stdout + r.stderr)
  if (leak) assert.unreachable(`the password (as ${JSON.stringify(leak)}) appears in the output of \`${args.join(' ')}\`\n${show(r)}`)
  return r
}

/** A library error, every way it can be looked at. */
function checkError(what: string, e: unknown): void {
  const err = e as { message?: string; details?: unknown; cause?: unknown; stack?: string }
  const views = [
    String(err.message),
    JSON.stringify(err.details ?? null),
    JSON.stringify(e),
    String(err.cause),
    JSON.stringify(err.cause ?? null),
    inspect(e, { depth: 6 }),
    String(err.stack),
  ]
  for (const v of views) {
    const leak = leaks(v)
    if (leak) assert.unreachable(`${what}: the password (as ${JSON.stringify(leak)}) appears in the thrown error:\n${v}`)
  }
  S.texts.push({ what, text: views.join('\n') })
}

function deadPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const a = s.address() as net.AddressInfo
      s.close(() => resolve(a.port))
    })
  })
}

test.before(async () => {
  await adminSql().unsafe(`create role ${ROLE} login password '${SECRET.replace(/'/g, "''")}'`)
  S.db = await freshDatabase('secrets')
  await S.db.sql.unsafe(`alter database ${S.db.name} owner to ${ROLE}`)
  const u = new URL(S.db.url)
  u.username = ROLE
  u.password = encodeURIComponent(SECRET)
  S.url = u.toString()
  S.dir = await migrationsDir({
    '001_secret_a.up.sql': 'create table secret_a (id int primary key);\n',
    '001_secret_a.down.sql': 'drop table secret_a;\n',
    '002_secret_b.up.sql': 'create table secret_b (id int primary key);\n',
    '002_secret_b.down.sql': 'drop table secret_b;\n',
  })
})
test.after(async () => {
  await S.db?.drop()
  await adminSql().unsafe(`drop role if exists ${ROLE}`)
  await closeAdmin()
})

const svc = ['--service', 'secret-svc']

it('every command, with --verbose, --json and --format github, succeeding', async () => {
  const dir = S.dir!
  const env = { DATABASE_URL: S.url! }
  const u = new URL(S.url!)
  const v = await cli(['up', '--dir', dir, ...svc, '--verbose'], { env })
  assert.is(v.code, 0, show(v))
  const want = `Using database postgres://${ROLE}:***@127.0.0.1:${u.port}/${S.db!.name}`
  assert.ok((v.stdout + v.stderr).includes(want), `${want}\n${show(v)}`)
  for (const args of [
    ['status', '--dir', dir, ...svc],
    ['status', '--dir', dir, ...svc, '--json', '--verbose'],
    ['status', '--all', '--json'],
    ['verify', '--dir', dir, ...svc, '--verbose'],
    ['verify', '--dir', dir, ...svc, '--json'],
    ['verify', '--dir', dir, ...svc, '--format', 'github'],
    ['down', '--dir', dir, ...svc, '--verbose'],
    ['up', '--dir', dir, ...svc, '--json', '--verbose'],
    ['down', '--dir', dir, ...svc, '--dry-run', '--verbose'],
    ['mark', '2', '--dir', dir, ...svc, '--pending', '--verbose'],
    ['mark', '2', '--dir', dir, ...svc, '--json'],
    ['repair', '--dir', dir, ...svc, '--verbose'],
    ['repair', '--dir', dir, ...svc, '--json'],
    ['up', '--dir', dir, ...svc, '--format', 'github', '--verbose'],
  ]) {
    const r = await cli(args, { env })
    assert.is(r.code, 0, show(r))
  }
  // The same through DB_* and PG* variables.
  const parts = { host: u.hostname, port: u.port, user: ROLE, db: S.db!.name }
  const db = await cli(['status', '--dir', dir, ...svc, '--verbose'], {
    env: { DB_HOST: parts.host, DB_PORT: parts.port, DB_USER: parts.user, DB_PASSWORD: SECRET, DB_NAME: parts.db },
  })
  assert.is(db.code, 0, show(db))
  assert.ok((db.stdout + db.stderr).includes(want), show(db))
  const pg = await cli(['status', '--dir', dir, ...svc, '--verbose', '--json'], {
    env: { PGHOST: parts.host, PGPORT: parts.port, PGUSER: parts.user, PGPASSWORD: SECRET, PGDATABASE: parts.db },
  })
  assert.is(pg.code, 0, show(pg))
  const gen = await cli(['generate', 'add secret c', '--dir', dir, ...svc, '--verbose'], { env })
  assert.is(gen.code, 0, show(gen))
})

it('every failure path: wrong password, refused connection, bad DB_PORT beside a password, malformed URLs, a failing migration, a lock timeout, generate into a bad directory', async () => {
  const dir = S.dir!
  const u = new URL(S.url!)
  const attempts: Array<{ args: string[]; env: Record<string, string>; codes: number[] }> = []
  const add = (args: string[], env: Record<string, string>, codes: number[]) => attempts.push({ args, env, codes })

  // The secret as the WRONG password of another user.
  const wrong = new URL(S.url!)
  wrong.username = 'postgres'
  for (const extra of [[], ['--verbose'], ['--json'], ['--format', 'github']]) {
    add(['up', '--dir', dir, ...svc, ...extra], { DATABASE_URL: wrong.toString() }, [1])
    // status has no --format (a usage error since issue 14): verify stands in for it.
    add([extra[0] === '--format' ? 'verify' : 'status', '--dir', dir, ...svc, ...extra], { DATABASE_URL: wrong.toString() }, [1])
  }
  add(['verify', '--dir', dir, ...svc, '--verbose'], { DB_HOST: u.hostname, DB_PORT: u.port, DB_USER: 'postgres', DB_PASSWORD: SECRET, DB_NAME: S.db!.name }, [1])
  add(['down', '--dir', dir, ...svc, '--json'], { PGHOST: u.hostname, PGPORT: u.port, PGUSER: 'postgres', PGPASSWORD: SECRET, PGDATABASE: S.db!.name }, [1])
  add(['mark', '1', '--dir', dir, ...svc], { DATABASE_URL: wrong.toString() }, [1])
  add(['repair', '--dir', dir, ...svc, '--json'], { DATABASE_URL: wrong.toString() }, [1])

  // Nothing listening, with and without --wait.
  const dead = new URL(S.url!)
  dead.port = String(await deadPort())
  add(['up', '--dir', dir, ...svc, '--verbose'], { DATABASE_URL: dead.toString() }, [1])
  add(['status', '--dir', dir, ...svc, '--wait', '1', '--json'], { DATABASE_URL: dead.toString() }, [1])

  // Bad values beside the password.
  add(['up', '--dir', dir, ...svc], { DB_HOST: u.hostname, DB_PORT: 'abc', DB_USER: ROLE, DB_PASSWORD: SECRET, DB_NAME: S.db!.name }, [2])
  add(['up', '--dir', dir, ...svc, '--json'], { DB_HOST: `${u.hostname}:${u.port}`, DB_PASSWORD: SECRET }, [2])
  add(['up', '--dir', dir, ...svc], { PGPORT: SECRET, PGPASSWORD: SECRET }, [2])
  add(['up', '--dir', dir, ...svc], { DB_SSLMODE: SECRET, DB_PASSWORD: SECRET }, [2])

  // Malformed URLs that hold the password (unescaped, misplaced, in the port, in a query).
  for (const bad of [
    `postgres://${ROLE}:${SECRET}@127.0.0.1:${u.port}/${S.db!.name}`,
    `postgres://${ROLE}:${encodeURIComponent(SECRET)}@127.0.0.1:notaport/${S.db!.name}`,
    `postgres://${ROLE}:${encodeURIComponent(SECRET)}127.0.0.1:${u.port}/${S.db!.name}`,
    `postgres://${ROLE}@127.0.0.1:${u.port}/${S.db!.name}?password=${SECRET}`,
    `mysql://${ROLE}:${encodeURIComponent(SECRET)}@127.0.0.1/${S.db!.name}`,
    `postgres://${ROLE}:${encodeURIComponent(SECRET)}@[::1/${S.db!.name}`,
    `postgres://${ROLE}:${encodeURIComponent(SECRET)}@127.0.0.1:${u.port}/${S.db!.name}?sslmode=${encodeURIComponent(SECRET)}`,
  ]) {
    add(['up', '--dir', dir, ...svc, '--verbose'], { DATABASE_URL: bad }, [1, 2])
    add(['status', '--dir', dir, ...svc, '--json', '--database-url', bad], {}, [1, 2])
  }

  for (const a of attempts) {
    const r = await cli(a.args, { env: a.env })
    assert.ok(a.codes.includes(r.code ?? -1), `exit ${a.codes.join('/')} for ${a.args.join(' ')}\n${show(r)}`)
  }

  // A failing migration and --strict, right password.
  const failing = await migrationsDir({
    '001_secret_a.up.sql': 'create table secret_a (id int primary key);\n',
    '002_secret_b.up.sql': 'create table secret_b (id int primary key);\n',
    '003_fails.up.sql': 'select 1 / 0;\n',
  })
  for (const extra of [[], ['--verbose'], ['--json'], ['--format', 'github']]) {
    const r = await cli(['up', '--dir', failing, ...svc, ...extra], { env: { DATABASE_URL: S.url! } })
    assert.is(r.code, 1, show(r))
  }
  // A lock timeout while the test holds the service's lock.
  const holder = postgres(S.url!, { max: 1, onnotice: () => {} })
  try {
    const [k1, k2] = lockKeys.session('secret-svc')
    await holder`select pg_advisory_lock(${k1}, ${k2})`
    for (const extra of [['--verbose'], ['--json']]) {
      const r = await cli(['up', '--dir', failing, ...svc, '--lock-timeout', '300ms', ...extra], { env: { DATABASE_URL: S.url! } })
      assert.is(r.code, 1, show(r))
      assert.match(r.stdout + r.stderr, /could not take the migration lock/)
    }
  } finally {
    await holder.end({ timeout: 5 })
  }
  // generate into a directory that cannot exist (a file is in the way).
  const root = await tmpDir()
  await writeFile(path.join(root, 'file'), 'x')
  const g = await cli(['generate', 'x', '--dir', path.join(root, 'file', 'migrations'), ...svc, '--verbose'], { env: { DATABASE_URL: S.url! } })
  assert.ok(g.code === 1 || g.code === 2, show(g))
  console.log(`    tried ${attempts.length + 7} failing runs`)
})

it('the library: errors thrown by createMigrator for a wrong password, a refused connection, a malformed URL, a failing migration and a lock timeout', async () => {
  const wrong = new URL(S.url!)
  wrong.username = 'postgres'
  const dead = new URL(S.url!)
  dead.port = String(await deadPort())
  const cases: Array<[string, Parameters<typeof createMigrator>[0]]> = [
    ['wrong password (url)', { dir: S.dir!, service: 'secret-svc', url: wrong.toString() }],
    ['wrong password (env)', { dir: S.dir!, service: 'secret-svc', env: { DB_HOST: wrong.hostname, DB_PORT: wrong.port, DB_USER: 'postgres', DB_PASSWORD: SECRET, DB_NAME: S.db!.name } }],
    ['refused connection', { dir: S.dir!, service: 'secret-svc', url: dead.toString() }],
    ['refused connection with waitForDatabase', { dir: S.dir!, service: 'secret-svc', url: dead.toString(), waitForDatabase: 500 }],
    ['malformed url', { dir: S.dir!, service: 'secret-svc', url: `postgres://${ROLE}:${SECRET}@127.0.0.1:${wrong.port}/${S.db!.name}` }],
    ['bad port beside a password', { dir: S.dir!, service: 'secret-svc', env: { DB_PORT: 'x', DB_PASSWORD: SECRET } }],
  ]
  for (const [what, opts] of cases) {
    const events: unknown[] = []
    const m = createMigrator({ ...opts, onEvent: (e) => events.push(e), logger: { info: (l) => events.push(l), warn: (l) => events.push(l) } })
    try {
      await m.status()
      assert.unreachable(`${what}: status() should fail`)
    } catch (e) {
      if ((e as Error).message?.includes('should fail')) throw e
      checkError(what, e)
    } finally {
      await m.close()
    }
    const leak = leaks(JSON.stringify(events))
    if (leak) assert.unreachable(`${what}: the password appears in an event or log line`)
  }
  // A failing migration and a lock timeout, with the right password.
  const failing = await migrationsDir({ '001_lib_fails.up.sql': `select 'x'::int;\n` })
  const m = createMigrator({ dir: failing, service: 'secret-lib-svc', url: S.url! })
  try {
    await m.up()
    assert.unreachable('up() should fail')
  } catch (e) {
    checkError('failing migration', e)
  } finally {
    await m.close()
  }
  const holder = postgres(S.url!, { max: 1, onnotice: () => {} })
  const t = createMigrator({ dir: failing, service: 'secret-lib-svc', url: S.url!, lockTimeout: 200 })
  try {
    const [k1, k2] = lockKeys.session('secret-lib-svc')
    await holder`select pg_advisory_lock(${k1}, ${k2})`
    await t.up()
    assert.unreachable('up() should time out')
  } catch (e) {
    assert.is((e as { code?: string }).code, 'LOCK_TIMEOUT')
    checkError('lock timeout', e)
  } finally {
    await t.close()
    await holder.end({ timeout: 5 })
  }
})

it('no form of the password in any output of this file', () => {
  assert.ok(S.runs.length >= 50, `${S.runs.length} CLI runs recorded`)
  for (const r of S.runs) {
    const leak = leaks(r.stdout + r.stderr)
    if (leak) assert.unreachable(`leaked in \`${r.args.join(' ')}\``)
  }
  for (const t of S.texts) assert.is(leaks(t.text), undefined, t.what)
  console.log(`    checked: ${S.runs.length} CLI runs and ${S.texts.length} library errors, ${FORMS.length} forms of the password`)
})

test.run()
