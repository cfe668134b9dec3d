// The library API (SPEC 9) against the real server: createMigrator with a URL
// and with a caller's postgres.js instance, every method's return value as a
// whole object, events, the logger, typed errors, and the promises that the
// library never prints and never exits. Also the built dist/index.js.
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import postgres from 'postgres'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import {
  ConfigError,
  ConnectError,
  createMigrator,
  FileError,
  isMigrateError,
  LockError,
  MigrateError,
  QueryError,
  type MigrateEvent,
  type Migrator,
} from '../src/index.js'
import { lockKeys } from '../src/db/keys.js'
import { closeAdmin, freshDatabase, type FreshDatabase } from './helpers/db.js'
import { migrationsDir, tmpDir, writeMigrations } from './helpers/tmp.js'
import { readable } from './guarantees/util.js'
import { applied, files, FILES, norm, sha, step, tableExists, versionRow, within } from './helpers/migrator.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

// ======================================================= createMigrator({ url })

const libSuite = suite('createMigrator({ dir, service, url })')
const lib = readable(libSuite)
const L: { db?: FreshDatabase; m?: Migrator; dir?: string; events: MigrateEvent[]; lines: string[] } = { events: [], lines: [] }

libSuite.before(async () => {
  L.db = await freshDatabase('lib')
  L.dir = await migrationsDir(FILES)
  L.m = createMigrator({
    dir: L.dir,
    service: 'lib-svc',
    url: L.db.url,
    onEvent: (e) => L.events.push(e),
    logger: { info: (m) => L.lines.push(m), warn: (m) => L.lines.push('WARN ' + m) },
  })
})
libSuite.after(async () => {
  await L.m?.close()
  await L.db?.drop()
})
const reset = () => {
  L.events.length = 0
  L.lines.length = 0
}

lib('status() on an empty database: everything pending, and nothing is created', async () => {
  assert.is(L.m!.service, 'lib-svc')
  assert.is(L.m!.dir, L.dir)
  const st = await L.m!.status()
  assert.equal(st, {
    service: 'lib-svc',
    currentVersion: 0,
    pending: 3,
    migrations: [1, 2, 3].map((v) => ({
      version: v,
      name: step(v, 'up').name,
      state: 'pending',
      appliedAt: null,
      checksum: step(v, 'up').checksum,
      hasDown: true,
    })),
    invalidIndexes: [],
  })
  assert.is(await tableExists(L.db!, 'migration_records'), false)
  assert.is(await tableExists(L.db!, 'schema_versions'), false)
  assert.equal(await L.m!.statusAll(), [])
})

lib('up({ dryRun: true }) returns the plan and writes nothing, not even the bookkeeping tables', async () => {
  reset()
  const r = await L.m!.up({ dryRun: true })
  assert.equal(norm(r), {
    service: 'lib-svc',
    direction: 'up',
    dryRun: true,
    plan: [step(1, 'up'), step(2, 'up'), step(3, 'up')],
    results: [],
    currentVersion: 0,
    warnings: [],
  })
  assert.equal(
    L.events.map((e) => e.type),
    ['start', 'plan'],
  )
  assert.equal(L.lines, ['Starting migration up for service: lib-svc (dry run)', 'Found 3 pending migrations'])
  assert.is(await tableExists(L.db!, 'migration_records'), false)
  assert.is(await tableExists(L.db!, 'widgets'), false)
})

lib('up() applies everything: whole result, event sequence, old-tool log lines', async () => {
  reset()
  const r = await L.m!.up()
  const plan = [step(1, 'up'), step(2, 'up'), step(3, 'up')]
  assert.equal(norm(r), {
    service: 'lib-svc',
    direction: 'up',
    dryRun: false,
    plan,
    results: [applied(1), applied(2), applied(3)],
    currentVersion: 3,
    warnings: [],
  })
  assert.equal(norm(L.events), [
    { type: 'start', service: 'lib-svc', direction: 'up', dryRun: false },
    { type: 'plan', service: 'lib-svc', direction: 'up', count: 3, steps: plan },
    ...[1, 2, 3].flatMap((v, i) => [
      { type: 'migration-start', service: 'lib-svc', index: i + 1, total: 3, step: plan[i] },
      { type: 'migration-done', service: 'lib-svc', index: i + 1, total: 3, result: applied(v) },
    ]),
    { type: 'done', service: 'lib-svc', direction: 'up', applied: 3, currentVersion: 3 },
  ])
  assert.equal(L.lines, [
    'Starting migration up for service: lib-svc',
    'Found 3 pending migrations',
    'Successfully applied migration 001_create_widgets',
    'Successfully applied migration 002_seed_widgets',
    'Successfully applied migration 003_add_color',
    'All migrations completed successfully',
  ])
  const [{ n }] = (await L.db!.sql`select count(*)::int as n from widgets where color is null`) as unknown as [{ n: number }]
  assert.is(n, 2)
  assert.equal(await versionRow(L.db!, 'lib-svc'), [{ version: 3, description: '003_add_color' }])
})

lib('status(), statusAll() and verify() after up', async () => {
  const st = await L.m!.status()
  assert.equal(norm(st), {
    service: 'lib-svc',
    currentVersion: 3,
    pending: 0,
    migrations: [1, 2, 3].map((v) => ({
      version: v,
      name: step(v, 'up').name,
      state: 'applied',
      appliedAt: '<ts>',
      checksum: step(v, 'up').checksum,
      hasDown: true,
    })),
    invalidIndexes: [],
  })
  assert.equal(norm(await L.m!.statusAll()), [
    { service: 'lib-svc', version: 3, appliedAt: '<ts>', description: '003_add_color', applied: 3 },
  ])
  assert.equal(await L.m!.verify(), { service: 'lib-svc', ok: true, findings: [] })
})

lib('up() with nothing pending is a no-op with the same lines', async () => {
  reset()
  const r = await L.m!.up()
  assert.equal(r, { service: 'lib-svc', direction: 'up', dryRun: false, plan: [], results: [], currentVersion: 3, warnings: [] })
  assert.equal(L.lines, [
    'Starting migration up for service: lib-svc',
    'Found 0 pending migrations',
    'All migrations completed successfully',
  ])
})

lib('down() rolls back the latest; down({ to: 0 }) the rest and removes the version row', async () => {
  reset()
  const dry = await L.m!.down({ dryRun: true })
  assert.equal(norm(dry), {
    service: 'lib-svc',
    direction: 'down',
    dryRun: true,
    plan: [step(3, 'down')],
    results: [],
    currentVersion: 3,
    warnings: [],
  })
  reset()
  const one = await L.m!.down()
  assert.equal(norm(one), {
    service: 'lib-svc',
    direction: 'down',
    dryRun: false,
    plan: [step(3, 'down')],
    results: [applied(3, 'down')],
    currentVersion: 2,
    warnings: [],
  })
  assert.equal(L.lines, [
    'Starting migration down for service: lib-svc',
    'Found 1 migrations to roll back',
    'Successfully rolled back migration 003_add_color',
    'All migrations completed successfully',
  ])
  assert.equal(await versionRow(L.db!, 'lib-svc'), [{ version: 2, description: '002_seed_widgets' }])

  const rest = await L.m!.down({ to: 0 })
  assert.equal(norm(rest), {
    service: 'lib-svc',
    direction: 'down',
    dryRun: false,
    plan: [step(2, 'down'), step(1, 'down')],
    results: [applied(2, 'down'), applied(1, 'down')],
    currentVersion: 0,
    warnings: [],
  })
  assert.equal(await versionRow(L.db!, 'lib-svc'), [])
  assert.is(await tableExists(L.db!, 'widgets'), false)
  const [{ n }] = (await L.db!.sql`select count(*)::int as n from migration_records`) as unknown as [{ n: number }]
  assert.is(n, 0)
})

lib('generate() creates the next pair and returns its paths', async () => {
  const g = await L.m!.generate('Add gadgets table!')
  assert.equal(g, {
    version: 4,
    up: path.join(L.dir!, '004_add_gadgets_table.up.sql'),
    down: path.join(L.dir!, '004_add_gadgets_table.down.sql'),
  })
  assert.is(await readFile(g.up, 'utf8'), '-- Add gadgets table!\n')
  assert.is(await readFile(g.down, 'utf8'), '-- Undo: Add gadgets table!\n')
  try {
    await L.m!.generate('!!!')
    assert.unreachable('a description without letters must be refused')
  } catch (e) {
    assert.ok(e instanceof ConfigError)
    assert.is((e as ConfigError).code, 'CONFIG_INVALID')
    assert.is((e as ConfigError).exitCode, 2)
  }
})

lib('mark(), mark({ pending }) and markTo() change only the records', async () => {
  assert.equal(await L.m!.mark(1), {
    service: 'lib-svc',
    dryRun: false,
    marked: [{ version: 1, name: '001_create_widgets', state: 'applied' }],
    currentVersion: 1,
  })
  assert.is(await tableExists(L.db!, 'widgets'), false, 'mark runs nothing')
  assert.equal(await L.m!.mark(1), { service: 'lib-svc', dryRun: false, marked: [], currentVersion: 1 })
  // A dry run says what the real call then does, and writes nothing.
  const before = await versionRow(L.db!, 'lib-svc')
  assert.equal(await L.m!.markTo(3, { dryRun: true }), {
    service: 'lib-svc',
    dryRun: true,
    marked: [
      { version: 2, name: '002_seed_widgets', state: 'applied' },
      { version: 3, name: '003_add_color', state: 'applied' },
    ],
    currentVersion: 3,
  })
  assert.equal(await versionRow(L.db!, 'lib-svc'), before, 'a dry run writes nothing')
  assert.equal(await L.m!.markTo(3), {
    service: 'lib-svc',
    dryRun: false,
    marked: [
      { version: 2, name: '002_seed_widgets', state: 'applied' },
      { version: 3, name: '003_add_color', state: 'applied' },
    ],
    currentVersion: 3,
  })
  assert.equal(await L.m!.mark(3, { pending: true }), {
    service: 'lib-svc',
    dryRun: false,
    marked: [{ version: 3, name: '003_add_color', state: 'pending' }],
    currentVersion: 2,
  })
  assert.equal(await versionRow(L.db!, 'lib-svc'), [{ version: 2, description: '002_seed_widgets' }])
  assert.equal(await L.m!.markTo(4), {
    service: 'lib-svc',
    dryRun: false,
    marked: [
      { version: 3, name: '003_add_color', state: 'applied' },
      { version: 4, name: '004_add_gadgets_table', state: 'applied' },
    ],
    currentVersion: 4,
  })
  try {
    await L.m!.mark(99)
    assert.unreachable('marking a version without a file must fail')
  } catch (e) {
    assert.ok(isMigrateError(e))
    assert.is(e.code, 'TARGET_INVALID')
    assert.is(e.exitCode, 2)
  }
})

lib('an edited applied file: status and verify report it, up warns, repair() accepts it', async () => {
  const file = path.join(L.dir!, '002_seed_widgets.up.sql')
  const edited = "insert into widgets values (1, 'a'), (2, 'b'), (3, 'c');\n"
  await writeFile(file, edited)
  const old = step(2, 'up').checksum
  const st = await L.m!.status()
  assert.equal(norm(st.migrations[1]), {
    version: 2,
    name: '002_seed_widgets',
    state: 'modified',
    appliedAt: '<ts>',
    checksum: old,
    fileChecksum: sha(edited),
    hasDown: true,
  })
  const v = await L.m!.verify()
  assert.equal(v, {
    service: 'lib-svc',
    ok: false,
    findings: [
      {
        kind: 'modified',
        severity: 'error',
        version: 2,
        file: '002_seed_widgets.up.sql',
        message: `002_seed_widgets changed since it was applied (recorded checksum ${old.slice(0, 12)}, file ${sha(edited).slice(0, 12)}); revert the edit or accept it with repair`,
      },
    ],
  })
  reset()
  const r = await L.m!.up()
  assert.equal(r.warnings.length, 1)
  assert.match(r.warnings[0]!, /002_seed_widgets was modified after it was applied/)
  assert.equal(L.lines.filter((l) => l.startsWith('WARN ')), ['WARN Warning: ' + r.warnings[0]])

  assert.equal(await L.m!.repair({ dryRun: true }), {
    service: 'lib-svc',
    dryRun: true,
    repaired: [{ version: 2, name: '002_seed_widgets', from: old, to: sha(edited) }],
  })
  assert.equal(await L.m!.repair(), {
    service: 'lib-svc',
    dryRun: false,
    repaired: [{ version: 2, name: '002_seed_widgets', from: old, to: sha(edited) }],
  })
  assert.equal(await L.m!.repair(), { service: 'lib-svc', dryRun: false, repaired: [] })
  assert.equal(await L.m!.verify(), { service: 'lib-svc', ok: true, findings: [] })
})

lib("close() ends the migrator's own connections", async () => {
  const name = L.db!.name
  const count = async () =>
    ((await L.db!.sql`
      select count(*)::int as n from pg_stat_activity where datname = ${name} and application_name like 'link-migrate%'`) as unknown as [
      { n: number },
    ])[0].n
  const before = await count()
  await L.m!.close()
  let after = await count()
  for (let i = 0; i < 40 && after > 0; i++) {
    await new Promise((r) => setTimeout(r, 50))
    after = await count()
  }
  assert.ok(before >= 1, `the migrator had connections open (${before})`)
  assert.is(after, 0, 'no link-migrate connection left after close()')
})

libSuite.run()

// ======================================================= createMigrator({ sql })

const callerSuite = suite("createMigrator({ dir, sql }) with the caller's postgres.js instance")
const caller = readable(callerSuite)
const C: { db?: FreshDatabase; sql?: postgres.Sql; one?: postgres.Sql; root?: string } = {}

callerSuite.before(async () => {
  C.db = await freshDatabase('caller')
  C.sql = postgres(C.db.url, { max: 4, onnotice: () => {} })
  C.one = postgres(C.db.url, { max: 1, onnotice: () => {} })
  C.root = await tmpDir('lm-caller-')
})
callerSuite.after(async () => {
  await C.sql?.end({ timeout: 5 })
  await C.one?.end({ timeout: 5 })
  await C.db?.drop()
})

async function serviceDir(service: string, files: Record<string, string>): Promise<string> {
  const dir = path.join(C.root!, service, 'migrations')
  await writeMigrations(dir, files)
  return dir
}

async function advisoryLocks(sql: postgres.Sql): Promise<number> {
  const [row] = await sql<{ n: number }[]>`select count(*)::int as n from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())`
  return row!.n
}

caller('service comes from the directory; up/down/status work; close() leaves the caller\'s sql usable', async () => {
  const dir = await serviceDir('orders-svc', files('orders_widgets'))
  const m = createMigrator({ dir, sql: C.sql! })
  try {
    assert.is(m.service, 'orders-svc')
    const r = await within(20_000, 'up()', () => m.up())
    assert.equal(
      norm(r.results),
      [applied(1), applied(2), applied(3)],
    )
    assert.is(r.currentVersion, 3)
    assert.is(await advisoryLocks(C.sql!), 0, 'no advisory lock is left on the caller\'s pooled connections')
    const d = await m.down({ steps: 2 })
    assert.equal(norm(d.results), [applied(3, 'down'), applied(2, 'down')])
    const st = await m.status()
    assert.equal([st.currentVersion, st.pending], [1, 2])
  } finally {
    await m.close()
  }
  // The caller's instance is still open and usable after close().
  const [row] = await C.sql!<{ v: number }[]>`select version::int as v from schema_versions where service = 'orders-svc'`
  assert.is(row?.v, 1)
  // No session setting leaked onto the caller's pooled connections (the lock
  // connection names itself while it holds the lock, for waiters to see).
  const apps = await C.db!.sql<{ app: string }[]>`
    select application_name as app from pg_stat_activity where datname = ${C.db!.name} and pid <> pg_backend_pid()`
  assert.equal(apps.filter((a) => a.app.includes('link-migrate')).map((a) => a.app), [])
})

caller('with max: 1 (one connection for lock and work) up/down/mark/repair finish and the lock is released', async () => {
  const dir = await serviceDir('single-svc', files('single_widgets'))
  const m = createMigrator({ dir, sql: C.one! })
  try {
    const r = await within(20_000, 'up() on a max:1 pool', () => m.up())
    assert.equal(norm(r.results), [applied(1), applied(2), applied(3)])
    assert.is(await advisoryLocks(C.one!), 0)
    const d = await within(20_000, 'down() on a max:1 pool', () => m.down())
    assert.equal(norm(d.results), [applied(3, 'down')])
    const mk = await within(20_000, 'mark() on a max:1 pool', () => m.mark(3))
    assert.equal(mk, { service: 'single-svc', dryRun: false, marked: [{ version: 3, name: '003_add_color', state: 'applied' }], currentVersion: 3 })
    const rep = await within(20_000, 'repair() on a max:1 pool', () => m.repair())
    assert.equal(rep, { service: 'single-svc', dryRun: false, repaired: [] })
    assert.equal((await m.status()).currentVersion, 3)
    assert.is(await advisoryLocks(C.one!), 0)
  } finally {
    await m.close()
  }
  const [row] = await C.one!<{ ok: number }[]>`select 1 as ok`
  assert.is(row?.ok, 1, "the caller's max:1 instance still works")
})

caller('two migrators of different services share one caller instance concurrently', async () => {
  const a = createMigrator({ dir: await serviceDir('share-a', files('a_widgets')), sql: C.sql! })
  const b = createMigrator({ dir: await serviceDir('share-b', files('b_widgets')), sql: C.sql! })
  try {
    const [ra, rb] = await within(20_000, 'two concurrent up()', () => Promise.all([a.up(), b.up()]))
    assert.equal([ra.currentVersion, rb.currentVersion], [3, 3])
  } finally {
    await a.close()
    await b.close()
  }
})

caller("a caller's instance with transform: postgres.camel: a lock timeout still names the holder's application", async () => {
  const camel = postgres(C.db!.url, { max: 4, onnotice: () => {}, transform: postgres.camel })
  const holder = postgres(C.db!.url, { max: 1, onnotice: () => {}, connection: { application_name: 'lm-camel-holder' } })
  try {
    const [k1, k2] = lockKeys.session('camel-lock-svc')
    const [me] = await holder<{ pid: number }[]>`select pg_backend_pid() as pid`
    await holder`select pg_advisory_lock(${k1}, ${k2})`
    const m = createMigrator({ dir: await serviceDir('camel-lock-svc', files('camel_lock_widgets')), sql: camel, lockTimeout: 300 })
    const e = await thrown(m.up())
    await m.close()
    assert.is(e.code, 'LOCK_TIMEOUT')
    assert.match(e.message, new RegExp(`held by pid ${me!.pid} \\(application "lm-camel-holder" from 127\\.0\\.0\\.1\\) since \\d{4}-`), e.message)
  } finally {
    await holder.end({ timeout: 5 })
    await camel.end({ timeout: 5 })
  }
})

caller("a caller's instance with transform: postgres.camel works (one-word column names)", async () => {
  const camel = postgres(C.db!.url, { max: 4, onnotice: () => {}, transform: postgres.camel })
  const m = createMigrator({ dir: await serviceDir('camel-svc', files('camel_widgets')), sql: camel })
  try {
    const r = await m.up()
    assert.is(r.currentVersion, 3)
    // Fails today: TypeError "Cannot read properties of undefined (reading 'toISOString')".
    const st = await m.status()
    assert.equal([st.currentVersion, st.pending], [3, 0])
    assert.equal(
      (await m.statusAll()).map((x) => x.service).includes('camel-svc'),
      true,
    )
  } finally {
    await m.close()
    await camel.end({ timeout: 5 })
  }
})

callerSuite.run()

// ======================================================= errors

const errsSuite = suite('errors are MigrateErrors with stable codes')
const errs = readable(errsSuite)
const E: { db?: FreshDatabase } = {}
errsSuite.before(async () => {
  E.db = await freshDatabase('errors')
})
errsSuite.after(async () => {
  await E.db?.drop()
  await closeAdmin()
})

async function thrown(p: Promise<unknown>): Promise<MigrateError> {
  let err: unknown
  try {
    await p
  } catch (e) {
    err = e
  }
  assert.ok(err !== undefined, 'expected a rejection')
  assert.ok(err instanceof MigrateError, `a MigrateError, got ${String(err)}`)
  assert.ok(isMigrateError(err))
  return err as MigrateError
}

errs('bad options throw ConfigError synchronously (exit 2)', () => {
  try {
    createMigrator({ dir: '/tmp/x', service: 'bad name!' })
    assert.unreachable()
  } catch (e) {
    assert.ok(e instanceof ConfigError)
    assert.ok(isMigrateError(e))
    assert.is((e as ConfigError).code, 'SERVICE_INVALID')
    assert.is((e as ConfigError).exitCode, 2)
  }
  try {
    createMigrator({ dir: '/tmp/x', service: 'x', trackingSchema: '' })
    assert.unreachable()
  } catch (e) {
    assert.ok(isMigrateError(e))
    assert.is(e.code, 'CONFIG_INVALID')
  }
})

errs('FILE_INVALID before any database work: no tables created, not even a connection needed', async () => {
  const dir = await migrationsDir({
    ...FILES,
    '002_other.up.sql': 'select 1;\n',
  })
  const m = createMigrator({ dir, service: 'files-svc', url: E.db!.url })
  const e = await thrown(m.up())
  await m.close()
  assert.ok(e instanceof FileError)
  assert.is(e.code, 'FILE_INVALID')
  assert.is(e.exitCode, 1)
  assert.match(e.message, '002_other.up.sql')
  assert.match(e.message, '002_seed_widgets.up.sql')
  assert.equal(
    await E.db!.sql`select table_name from information_schema.tables where table_schema = 'public'`.then((r) => r.map((x) => x.table_name)),
    [],
  )
  // Same files with an unreachable server: the file error still comes first.
  const off = createMigrator({ dir, service: 'files-svc', url: 'postgres://u:secret@127.0.0.1:1/nowhere' })
  for (const call of [() => off.up(), () => off.down(), () => off.status(), () => off.mark(1), () => off.repair()]) {
    const e2 = await thrown(call())
    assert.is(e2.code, 'FILE_INVALID')
  }
  await off.close()
})

errs('a bad url is a ConfigError (exit 2) at first use, not at createMigrator()', async () => {
  const dir = await migrationsDir(FILES)
  for (const url of ['mysql://u@h/db', 'postgres://u@h:abc/db', 'not a url']) {
    const m = createMigrator({ dir, service: 'url-svc', url })
    const e = await thrown(m.status())
    await m.close()
    assert.ok(e instanceof ConfigError, url)
    assert.is(e.code, 'CONFIG_INVALID', url)
    assert.is(e.exitCode, 2, url)
  }
  // generate needs no connection at all, so a bad url does not stop it.
  const g = await createMigrator({ dir, service: 'url-svc', url: 'not a url' }).generate('works offline')
  assert.is(g.version, 4)
})

errs('CONNECT_FAILED names the target, never the password', async () => {
  const m = createMigrator({ dir: await migrationsDir(FILES), service: 'conn-svc', url: 'postgres://u:s3cr3t@127.0.0.1:1/nowhere' })
  const e = await thrown(m.status())
  await m.close()
  assert.ok(e instanceof ConnectError)
  assert.is(e.code, 'CONNECT_FAILED')
  assert.is(e.exitCode, 1)
  assert.match(e.message, 'database "nowhere" on 127.0.0.1:1 as user "u"')
  assert.not.match(e.message, 's3cr3t')
})

errs('MIGRATION_FAILED carries file, line, column, sqlState and the completed migrations', async () => {
  const dir = await migrationsDir({
    '001_create_a.up.sql': 'create table a (id int);\n',
    '002_broken.up.sql': 'create table b (id int);\n\n-- the table name below\ninsert into b values (1);\nselect * from nope_b;\n',
    '003_create_c.up.sql': 'create table c (id int);\n',
  })
  const m = createMigrator({ dir, service: 'fail-svc', url: E.db!.url })
  const e = await thrown(m.up())
  try {
    assert.ok(e instanceof QueryError)
    const q = e as QueryError
    assert.is(q.code, 'MIGRATION_FAILED')
    assert.is(q.exitCode, 1)
    assert.is(q.file, '002_broken.up.sql')
    assert.is(q.line, 5)
    assert.is(q.column, 15)
    assert.is(q.sqlState, '42P01')
    assert.is(q.statement, 3)
    assert.match(q.message, /^002_broken\.up\.sql:5:15: relation "nope_b" does not exist/)
    assert.equal(norm(q.completed), [{ version: 1, name: '001_create_a', direction: 'up', status: 'applied', durationMs: '<ms>' }])
    assert.is(await tableExists(E.db!, 'a'), true)
    assert.is(await tableExists(E.db!, 'b'), false)
    assert.is(await tableExists(E.db!, 'c'), false)
    assert.is((await m.status()).currentVersion, 1)
  } finally {
    await m.close()
  }
})

errs('DOWN_MISSING, OUT_OF_ORDER, INTEGRITY (strict), TARGET_INVALID', async () => {
  const dir = await migrationsDir({ '001_a.up.sql': 'create table oo_a (id int);\n', '003_c.up.sql': 'create table oo_c (id int);\n' })
  const m = createMigrator({ dir, service: 'codes-svc', url: E.db!.url })
  try {
    await m.up()
    let e = await thrown(m.down())
    assert.is(e.code, 'DOWN_MISSING')
    assert.is(e.exitCode, 1)
    assert.is((await m.status()).currentVersion, 3, 'a refused down changes nothing')

    await writeMigrations(dir, { '002_b.up.sql': 'create table oo_b (id int);\n' })
    e = await thrown(m.up())
    assert.is(e.code, 'OUT_OF_ORDER')
    assert.is(e.exitCode, 1)
    assert.match(e.message, '002_b')
    assert.match(e.message, '3')

    await writeMigrations(dir, { '001_a.up.sql': 'create table oo_a (id bigint);\n' })
    e = await thrown(m.up({ strict: true, allowOutOfOrder: true }))
    assert.is(e.code, 'INTEGRITY')
    assert.is(e.exitCode, 3)

    e = await thrown(m.up({ to: 2, steps: 1 }))
    assert.is(e.code, 'TARGET_INVALID')
    assert.is(e.exitCode, 2)
  } finally {
    await m.close()
  }
})

errs('LOCK_TIMEOUT names the holder; MIGRATION_TIMEOUT names the file and rolls back', async () => {
  const dir = await migrationsDir({ '001_slow.up.sql': 'create table slow (id int);\nselect pg_sleep(300);\n' })
  const holder = postgres(E.db!.url, { max: 1, onnotice: () => {}, connection: { application_name: 'lm-lib-holder' } })
  try {
    const [k1, k2] = lockKeys.session('timeout-svc')
    const [me] = await holder<{ pid: number }[]>`select pg_backend_pid() as pid, pg_advisory_lock(${k1}, ${k2})`
    const events: MigrateEvent[] = []
    const m = createMigrator({ dir, service: 'timeout-svc', url: E.db!.url, lockTimeout: 300, onEvent: (ev) => events.push(ev) })
    // The holder never lets go while up() runs: a LockError at all proves the bound.
    const e = await within(30_000, 'up() behind a held lock with lockTimeout 300', () => thrown(m.up()))
    await m.close()
    assert.ok(e instanceof LockError)
    assert.is(e.code, 'LOCK_TIMEOUT')
    assert.is(e.exitCode, 1)
    assert.match(e.message, `pid ${me!.pid}`)
    assert.match(e.message, 'lm-lib-holder')
    const wait = events.find((ev) => ev.type === 'lock-wait')
    assert.ok(wait && wait.type === 'lock-wait' && wait.holder?.pid === me!.pid, 'a lock-wait event names the holder')
    await holder`select pg_advisory_unlock(${k1}, ${k2})`
  } finally {
    await holder.end({ timeout: 5 })
  }

  const m = createMigrator({ dir, service: 'timeout-svc', url: E.db!.url, migrationTimeout: 500 })
  try {
    // pg_sleep(300) outlasts the bound: an answer at all means the statement was cancelled.
    const e = await within(60_000, 'up() with migrationTimeout 500', () => thrown(m.up()))
    assert.is(e.code, 'MIGRATION_TIMEOUT')
    assert.is(e.exitCode, 1)
    assert.match(e.message, '001_slow.up.sql')
    assert.match(e.message, '500ms')
    assert.equal(e.completed, [])
    assert.is(await tableExists(E.db!, 'slow'), false)
    assert.is((await m.status()).currentVersion, 0)
  } finally {
    await m.close()
  }
})

errsSuite.run()

// ======================================================= no stdout, no exit

const quietSuite = suite('the library never writes to stdout and never calls process.exit')
const quiet = readable(quietSuite)
const Q: { db?: FreshDatabase } = {}
quietSuite.before(async () => {
  Q.db = await freshDatabase('quiet')
})
quietSuite.after(async () => {
  await Q.db?.drop()
  await closeAdmin()
})

quiet('a full up/down/status/verify cycle and a failure, with stdout and process.exit intercepted', async () => {
  const dir = await migrationsDir({ ...FILES, '004_broken.up.sql': 'select 1/0;\n' })
  const written: string[] = []
  const exits: unknown[] = []
  const realWrite = process.stdout.write
  const realExit = process.exit
  process.stdout.write = ((chunk: unknown) => {
    written.push(String(chunk))
    return true
  }) as typeof process.stdout.write
  process.exit = ((code?: number) => {
    exits.push(code)
    throw new Error(`process.exit(${code}) called`)
  }) as typeof process.exit
  let failure: unknown
  try {
    const m = createMigrator({ dir, service: 'quiet-svc', url: Q.db!.url })
    try {
      await m.status()
      await m.up({ to: 3 })
      await m.verify()
      await m.up().catch((e) => (failure = e))
      await m.down({ to: 0 })
      await m.status()
      await m.markTo(3)
      await m.repair()
      await m.statusAll()
    } finally {
      await m.close()
    }
  } finally {
    process.stdout.write = realWrite
    process.exit = realExit
  }
  assert.equal(exits, [])
  assert.equal(written, [])
  assert.ok(isMigrateError(failure))
  assert.is((failure as MigrateError).code, 'MIGRATION_FAILED')
  assert.is((failure as QueryError).sqlState, '22012')
})

quietSuite.run()

// ======================================================= the built library

const builtSuite = suite('the built library dist/index.js')
const built = readable(builtSuite)

built('exports createMigrator and the error classes; errors are recognised across bundles', async () => {
  const file = path.join(ROOT, 'dist', 'index.js')
  assert.ok(existsSync(file), 'dist/index.js exists (test/run.mjs builds it)')
  const lib = (await import(pathToFileURL(file).href)) as Record<string, unknown>
  for (const name of [
    'createMigrator',
    'MigrateError',
    'ConfigError',
    'FileError',
    'ConnectError',
    'QueryError',
    'LockError',
    'IntegrityError',
    'isMigrateError',
  ]) {
    assert.type(lib[name], 'function', `dist exports ${name}`)
  }
  assert.equal(lib.EXIT, { ok: 0, failure: 1, usage: 2, integrity: 3, pending: 4 })
  const dts = await readFile(path.join(ROOT, 'dist', 'index.d.ts'), 'utf8')
  assert.match(dts, /createMigrator/)
  assert.match(dts, /MigrateError/)

  const create = lib.createMigrator as typeof createMigrator
  const m = create({ dir: await migrationsDir(FILES), service: 'dist-svc', url: 'postgres://u:p@127.0.0.1:1/nowhere' })
  try {
    await m.status()
    assert.unreachable('no server on port 1')
  } catch (e) {
    assert.ok(e instanceof (lib.ConnectError as typeof ConnectError), "an instance of dist's ConnectError")
    assert.ok(isMigrateError(e), "src's isMigrateError recognises dist's error (Symbol.for brand)")
    assert.ok((lib.isMigrateError as typeof isMigrateError)(e))
    assert.is((e as MigrateError).code, 'CONNECT_FAILED')
  } finally {
    await m.close()
  }
})

builtSuite.run()
