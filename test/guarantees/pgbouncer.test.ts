// SPEC 5 / issue 7 point 4: the replica test through PgBouncer (Debian's
// package, started here on a free loopback port with our own ini, never the
// system service), in pool_mode=transaction and in session.
//
// What was found: in transaction mode a session-level advisory lock is taken
// on whichever server connection the statement lands on, and the unlock may
// land on another one. The lock then stayed behind on a pooled server
// connection, and every later runner that landed elsewhere waited for it
// forever (measured with the old lock: the second round of 10 runners hung).
// The lock now lives in a transaction kept open on the lock connection, which
// every pooler keeps on one server connection (src/db/lock.ts). Each round
// here checks the server directly for a lock left behind, and every runner
// carries --lock-timeout, so a leak fails the test instead of hanging it.
//
// Issue 13 point 6: the pooler is no longer guessed from two statements
// landing on different backends (a coin toss: PgBouncer reuses server
// connections LIFO). PgBouncer announces a backend pid of its own at login;
// only a connection whose announced pid is the backend that runs its
// statements is one server session (src/db/session.ts). Behind PgBouncer,
// in either mode, every runner says so and refuses no-transaction files.
import fs from 'node:fs'
import postgres from 'postgres'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { lockKeys } from '../../src/db/keys.js'
import { createMigrator } from '../../src/index.js'
import { spawnCli } from '../helpers/cli.js'
import { closeAdmin, freshDatabase, testUrl, type FreshDatabase } from '../helpers/db.js'
import { migrationsDir, writeMigrations } from '../helpers/tmp.js'
import { PGBOUNCER, startPgBouncer, type Bouncer } from './servers.js'
import { lines, readable, runTimed, show, waitFor, WAITING, type TimedResult } from './util.js'

const pad = (n: number) => String(n).padStart(3, '0')
const POOLED = /Warning: the connection goes through a pooler or proxy \(the server runs it on another backend than the one announced at login\)/
const UNSAFE = /runs without a transaction .*not held on one server session .*run it over a direct connection to PostgreSQL/

const available = fs.existsSync(PGBOUNCER)
if (!available) {
  if (process.env.CI === 'true') {
    // In CI the package must be there (.ci/run installs it): failing beats a silent skip.
    const t = suite('pgbouncer')
    t('PgBouncer is installed (apt-get install pgbouncer)', () => {
      assert.unreachable(`${PGBOUNCER} is missing; .ci/run installs Debian's pgbouncer package`)
    })
    t.run()
  } else {
    console.log(`SKIP test/guarantees/pgbouncer.test.ts: ${PGBOUNCER} not found (apt-get install -y pgbouncer)`)
    const t = suite('pgbouncer')
    t.skip('PgBouncer tests (pgbouncer not installed)', () => {})
    t.run()
  }
} else {
  defineSuites()
}

/** Migrations `from`..`to`: each creates a table and bumps its row of a side-effect counter. */
function work(prefix: string, from: number, to: number): Record<string, string> {
  const files: Record<string, string> = {}
  for (let v = from; v <= to; v++) {
    files[`${pad(v)}_${prefix}_${v}.up.sql`] =
      (v === 1 ? `create table ${prefix}_effects (version int primary key, n int not null);\n` : '') +
      `create table ${prefix}_${v} (id int primary key);\n` +
      `insert into ${prefix}_${v} select g from generate_series(1, 100) g;\n` +
      'select pg_sleep(0.05);\n' +
      `insert into ${prefix}_effects values (${v}, 1) on conflict (version) do update set n = ${prefix}_effects.n + 1;\n`
  }
  return files
}

interface Round {
  runs: TimedResult[]
  ms: number
}

async function replicas(url: string, dir: string, service: string, n = 10): Promise<Round> {
  const args = ['up', '--dir', dir, '--service', service, '--database-url', url, '--lock-timeout', '30s']
  const t0 = performance.now()
  const runs = await Promise.all(Array.from({ length: n }, () => runTimed(args, { timeoutMs: 50_000 })))
  return { runs, ms: performance.now() - t0 }
}

/** Exactly once, checked on the server directly: one record and one side effect per version, no lock left. */
async function assertOnce(db: FreshDatabase, service: string, prefix: string, upTo: number): Promise<void> {
  const recs = await db.sql<{ version: number; n: number }[]>`
    select version::int as version, count(*)::int as n from migration_records where service = ${service} group by version order by version`
  assert.equal(recs.map((r) => [r.version, r.n]), Array.from({ length: upTo }, (_, i) => [i + 1, 1]), 'one record per version')
  const effects = await db.sql.unsafe<{ version: number; n: number }[]>(`select version, n from ${prefix}_effects order by version`)
  assert.equal(effects.map((r) => [r.version, r.n]), Array.from({ length: upTo }, (_, i) => [i + 1, 1]), 'each side effect once')
  const [v] = await db.sql<{ version: number }[]>`select version::int as version from schema_versions where service = ${service}`
  assert.is(v?.version, upTo)
  await assertNoLockLeft(db, service)
}

/** No advisory lock of the service on any server connection (PgBouncer's included). */
async function assertNoLockLeft(db: FreshDatabase, service: string): Promise<void> {
  const [k1, k2] = lockKeys.session(service)
  // The holder's lock goes with its transaction: give the pooler's server connection a moment.
  const left = await waitFor(
    'no lock left behind',
    async () => {
      const rows = await db.sql<{ pid: number; app: string; state: string }[]>`
        select l.pid, a.application_name as app, a.state from pg_locks l join pg_stat_activity a on a.pid = l.pid
         where l.locktype = 'advisory' and l.classid = ${k1}::int8::oid and l.objid = ${k2}::int8::oid and l.objsubid = 2`
      return rows.length === 0 ? 'none' : null
    },
    5_000,
  ).catch(async () => {
    const rows = await db.sql`
      select l.pid, a.application_name as app, a.state from pg_locks l join pg_stat_activity a on a.pid = l.pid
       where l.locktype = 'advisory' and l.classid = ${k1}::int8::oid and l.objid = ${k2}::int8::oid and l.objsubid = 2`
    return JSON.stringify(rows)
  })
  assert.is(left, 'none', `a lock of ${service} was left behind on a server connection: ${left}`)
}

function bouncerTarget() {
  const u = new URL(testUrl())
  return {
    serverHost: u.hostname,
    serverPort: Number(u.port || 5432),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
  }
}

function defineSuites(): void {
  // ===================================================== transaction mode
  const txSuite = suite('PgBouncer, pool_mode=transaction')
  const tx = readable(txSuite)
  const T: { bouncer?: Bouncer; rr?: Bouncer; db?: FreshDatabase; dir?: string } = {}
  txSuite.before(async () => {
    T.bouncer = await startPgBouncer({ ...bouncerTarget(), mode: 'transaction', poolSize: 20 })
    // Round robin instead of PgBouncer's default LIFO reuse of server
    // connections: two statements of one client in a row land on different
    // server connections, so every runner sees the pooler (deterministic).
    T.rr = await startPgBouncer({ ...bouncerTarget(), mode: 'transaction', poolSize: 20, extra: ['server_round_robin = 1'] })
    T.db = await freshDatabase('pgb_tx')
  })
  txSuite.after(async () => {
    await T.bouncer?.stop()
    await T.rr?.stop()
    await T.db?.drop()
  })

  /** Opens `n` server connections in `db` behind the round-robin pooler (n transactions at once). */
  async function warm(db: FreshDatabase, n: number): Promise<void> {
    const clients = Array.from({ length: n }, () => postgres(T.rr!.url(db.name), { max: 1, prepare: false, onnotice: () => {} }))
    try {
      let inside = 0
      await Promise.all(
        clients.map((c) =>
          c.begin(async (t) => {
            await t`select 1`
            inside++
            while (inside < n) await new Promise((r) => setTimeout(r, 10))
          }),
        ),
      )
    } finally {
      await Promise.all(clients.map((c) => c.end({ timeout: 5 })))
    }
  }

  tx('10 replicas on 20 migrations, then 2 more rounds of 10 with new files: all exit 0, exactly once, no lock left behind', async () => {
    const dir = (T.dir = await migrationsDir(work('ptx', 1, 20)))
    const url = T.bouncer!.url(T.db!.name)
    const report: string[] = []
    let warned = 0
    let total = 20
    for (let round = 1; round <= 3; round++) {
      if (round > 1) {
        await writeMigrations(dir, work('ptx', total + 1, total + 2))
        total += 2
      }
      const { runs, ms } = await replicas(url, dir, 'ptx-svc')
      for (const r of runs) assert.is(r.code, 0, `round ${round}: ${show(r)}`)
      for (const r of runs) assert.not.match(r.stderr, /Error/, `round ${round}: ${show(r)}`)
      const applied = runs.flatMap((r) => lines(r, /Successfully applied migration /))
      const skipped = runs.flatMap((r) => lines(r, /Skipped migration/))
      assert.is(applied.length, round === 1 ? 20 : 2, `round ${round}: each pending migration reported applied once\n${applied.join('\n')}`)
      await assertOnce(T.db!, 'ptx-svc', 'ptx', total)
      const w = runs.filter((r) => lines(r, POOLED).length === 1).length
      assert.is(w, runs.length, `round ${round}: every runner says it cannot prove one server session`)
      warned += w
      const waited = runs.filter((r) => lines(r, WAITING).length > 0).length
      report.push(`round ${round}: ${Math.round(ms)} ms, ${waited} waited, ${w} detected the pooler, ${skipped.length} guard skips`)
    }
    assert.ok(warned >= 1, 'the pooler was detected (and said so) at least once')
    console.log(`    measured (transaction mode): ${report.join('; ')}`)
  })

  tx('status and verify work through it (no prepared statements)', async () => {
    const dir = T.dir!
    const url = T.bouncer!.url(T.db!.name)
    const s = await runTimed(['status', '--dir', dir, '--service', 'ptx-svc', '--database-url', url, '--json'])
    assert.is(s.code, 0, show(s))
    const doc = JSON.parse(s.stdout) as { currentVersion: number; pending: number }
    assert.equal([doc.currentVersion, doc.pending], [24, 0], s.stdout)
    const v = await runTimed(['verify', '--dir', dir, '--service', 'ptx-svc', '--database-url', url])
    assert.is(v.code, 0, show(v))
  })

  tx('a no-transaction file: one runner alone refuses it (POOLER_UNSAFE, exit 1); then all 10 runners refuse it, every time; a direct run finishes', async () => {
    const db = await freshDatabase('pgb_notx')
    try {
      await warm(db, 4)
      const dir = await migrationsDir({
        '001_rr_items.up.sql':
          'create table rr_items (id int primary key, n int);\ncreate table rr_effects (k text primary key, n int not null);\n' +
          "insert into rr_effects values ('001', 1) on conflict (k) do update set n = rr_effects.n + 1;\n",
        '002_rr_items_n_idx.up.sql':
          'create index concurrently if not exists rr_items_n_idx on rr_items (n);\n' +
          "insert into rr_effects values ('002', 1) on conflict (k) do update set n = rr_effects.n + 1;\n",
        '003_rr_more.up.sql': "insert into rr_effects values ('003', 1) on conflict (k) do update set n = rr_effects.n + 1;\n",
      })
      const url = T.rr!.url(db.name)
      const args = ['up', '--dir', dir, '--service', 'rr-svc', '--database-url', url, '--lock-timeout', '30s']
      // Alone, behind round-robin pooling with idle server connections: the pooler is seen for certain.
      const one = await runTimed(args)
      assert.is(one.code, 1, show(one))
      assert.is(lines(one, POOLED).length, 1, show(one))
      assert.is(lines(one, /Successfully applied migration 001_rr_items/).length, 1, show(one))
      const errs = one.stderr.split('\n').filter((l) => /Error:/.test(l))
      assert.is(errs.length, 1, show(one))
      assert.match(errs[0]!, /^\[rr-svc-migrations\] Error: 002_rr_items_n_idx\.up\.sql runs without a transaction \(.*\), and the migration lock is not held on one server session/)
      assert.match(errs[0]!, UNSAFE)
      const [idx0] = await db.sql<{ ok: boolean }[]>`select to_regclass('rr_items_n_idx') is null as ok`
      assert.ok(idx0!.ok, 'the refused file did not run')

      // Ten at once, through the LIFO pooler too (where a lone client keeps
      // landing on one server connection): every one refuses it.
      let refused = 0
      for (const pooler of [T.rr!, T.bouncer!]) {
        const { runs } = await replicas(pooler.url(db.name), dir, 'rr-svc')
        for (const r of runs) {
          assert.is(r.code, 1, show(r))
          assert.match(r.stderr, UNSAFE, show(r))
          refused++
        }
      }
      assert.is(refused, 20)
      const [idx1] = await db.sql<{ ok: boolean }[]>`select to_regclass('rr_items_n_idx') is null as ok`
      assert.ok(idx1!.ok, 'no runner ran the refused file')
      const once = await db.sql<{ version: number; n: number }[]>`
        select version::int as version, count(*)::int as n from migration_records where service = 'rr-svc' group by version order by version`
      for (const c of once) assert.is(c.n, 1, `version ${c.version} recorded once`)
      for (const e of await db.sql<{ k: string; n: number }[]>`select k, n from rr_effects`) assert.is(e.n, 1, `${e.k} ran once`)

      const direct = await runTimed(['up', '--dir', dir, '--service', 'rr-svc', '--database-url', db.url])
      assert.is(direct.code, 0, show(direct))
      const after = await db.sql<{ version: number; n: number }[]>`
        select version::int as version, count(*)::int as n from migration_records where service = 'rr-svc' group by version order by version`
      assert.equal(after.map((r) => [r.version, r.n]), [[1, 1], [2, 1], [3, 1]])
      assert.equal((await db.sql<{ k: string; n: number }[]>`select k, n from rr_effects order by k`).map((e) => [e.k, e.n]), [['001', 1], ['002', 1], ['003', 1]])
      const [idx] = await db.sql<{ valid: boolean }[]>`select indisvalid as valid from pg_index where indexrelid = to_regclass('rr_items_n_idx')`
      assert.is(idx?.valid, true)
      await assertNoLockLeft(db, 'rr-svc')
      console.log(`    measured: no-transaction file behind transaction pooling: 1 lone runner and ${refused} of 20 at once refused it`)
    } finally {
      await db.drop()
    }
  })

  tx('a runner killed (SIGKILL) while it holds the lock: PgBouncer drops its transaction, the next runner gets the lock', async () => {
    const db = await freshDatabase('pgb_kill')
    try {
      const dir = await migrationsDir({
        '001_kill_slow.up.sql': 'create table kill_slow (id int);\nselect pg_sleep(30);\n',
      })
      const url = T.bouncer!.url(db.name)
      const child = spawnCli(['up', '--dir', dir, '--service', 'kill-svc', '--database-url', url])
      child.stdin?.end()
      const [k1, k2] = lockKeys.session('kill-svc')
      await waitFor(
        'the runner inside its migration',
        async () => {
          const [row] = await db.sql<{ ok: boolean }[]>`
            select exists (select 1 from pg_locks where locktype = 'advisory' and granted and classid = ${k1}::int8::oid and objid = ${k2}::int8::oid) and
                   exists (select 1 from pg_stat_activity where datname = current_database() and query like '%pg_sleep(30)%' and state = 'active') as ok`
          return row!.ok
        },
        20_000,
      )
      const exited = new Promise((r) => child.once('close', r))
      child.kill('SIGKILL')
      await exited
      await writeMigrations(dir, { '001_kill_slow.up.sql': 'create table kill_slow (id int);\n' })
      const t0 = performance.now()
      const next = await runTimed(['up', '--dir', dir, '--service', 'kill-svc', '--database-url', url, '--lock-timeout', '20s'], { timeoutMs: 40_000 })
      assert.is(next.code, 0, show(next))
      assert.is(lines(next, /Successfully applied migration 001_kill_slow/).length, 1, show(next))
      const recs = await db.sql<{ version: number }[]>`select version::int as version from migration_records where service = 'kill-svc'`
      assert.equal(recs.map((r) => r.version), [1])
      await assertNoLockLeft(db, 'kill-svc')
      console.log(`    measured: after SIGKILL through PgBouncer the next runner finished in ${Math.round(performance.now() - t0)} ms`)
    } finally {
      await db.drop()
    }
  })

  tx('nothing stays on a pooled server connection: after runs whose files SET search_path, lock_timeout, ROLE, 200 probes see the defaults and no link-migrate setting (CLI, and a library pool of one)', async () => {
    const db = await freshDatabase('pgb_probe')
    try {
      await warm(db, 4)
      const url = T.rr!.url(db.name)
      const files: Record<string, string> = {}
      for (let v = 1; v <= 6; v++) {
        files[`${pad(v)}_probe_${v}.up.sql`] =
          `create table if not exists probe_${v} (id int);\n` +
          "set search_path = pg_catalog;\nset lock_timeout = '4321ms';\nset statement_timeout = '9s';\nset role postgres;\n" +
          "select set_config('app.leak', 'yes', false);\n"
      }
      const dir = await migrationsDir(files)
      const cli = await runTimed(['up', '--dir', dir, '--service', 'probe-cli', '--database-url', url, '--lock-timeout', '30s'], { timeoutMs: 50_000 })
      assert.is(cli.code, 0, show(cli))
      // A caller's pool of one (the lock is then a session lock on the work connection).
      const lib = postgres(url, { max: 1, prepare: false, onnotice: () => {} })
      const warnings: string[] = []
      const m = createMigrator({ dir, service: 'probe-lib', sql: lib, lockTimeout: 30_000, onEvent: (e) => void (e.type === 'warning' && warnings.push(e.message)) })
      try {
        const r = await m.up()
        assert.is(r.results.length, 6)
        // Not provably one server session: no session lock was taken at all (nothing to leave behind).
        assert.equal(warnings.filter((w) => /pooler or proxy/.test(w)).length, 1, warnings.join('\n'))
      } finally {
        await m.close()
        await lib.end({ timeout: 5 })
      }
      const probe = postgres(url, { max: 4, prepare: false, onnotice: () => {} })
      try {
        const seen = new Map<string, number>()
        for (let i = 0; i < 200; i++) {
          const [row] = await probe.unsafe<{ s: string }[]>(
            "select concat_ws(' | ', current_setting('search_path'), current_setting('lock_timeout'), current_setting('statement_timeout'), " +
              "current_user, coalesce(current_setting('app.leak', true), ''), coalesce(current_setting('link_migrate.probe', true), ''), " +
              "coalesce(current_setting('link_migrate.lock_token', true), '')) as s",
          )
          seen.set(row!.s, (seen.get(row!.s) ?? 0) + 1)
        }
        const clean = `"$user", public | 0 | 0 | ${bouncerTarget().user} |  |  | `
        assert.equal([...seen.keys()], [clean], `what 200 probes saw: ${JSON.stringify([...seen])}`)
      } finally {
        await probe.end({ timeout: 5 })
      }
      await assertNoLockLeft(db, 'probe-cli')
      await assertNoLockLeft(db, 'probe-lib')
    } finally {
      await db.drop()
    }
  })

  txSuite.run()

  // ===================================================== session mode
  const sessSuite = suite('PgBouncer, pool_mode=session')
  const sess = readable(sessSuite)
  const P: { bouncer?: Bouncer; db?: FreshDatabase } = {}
  sessSuite.before(async () => {
    P.bouncer = await startPgBouncer({ ...bouncerTarget(), mode: 'session', poolSize: 30 })
    P.db = await freshDatabase('pgb_session')
  })
  sessSuite.after(async () => {
    await P.bouncer?.stop()
    await P.db?.drop()
    await closeAdmin()
  })

  sess('10 replicas on 20 migrations, then a second round with new files (one of them CONCURRENTLY): exactly once; the CONCURRENTLY file is refused by every runner (not provably one session), a direct run applies it', async () => {
    const dir = await migrationsDir(work('pss', 1, 20))
    const url = P.bouncer!.url(P.db!.name)
    const first = await replicas(url, dir, 'pss-svc')
    for (const r of first.runs) assert.is(r.code, 0, show(r))
    for (const r of first.runs) assert.is(lines(r, POOLED).length, 1, show(r))
    assert.is(first.runs.flatMap((r) => lines(r, /Successfully applied migration /)).length, 20)
    await assertOnce(P.db!, 'pss-svc', 'pss', 20)

    await writeMigrations(dir, {
      ...work('pss', 21, 21),
      '022_pss_21_idx.up.sql':
        'create index concurrently if not exists pss_21_id_idx on pss_21 (id);\n' +
        'insert into pss_effects values (22, 1) on conflict (version) do update set n = pss_effects.n + 1;\n',
    })
    const second = await replicas(url, dir, 'pss-svc')
    // PgBouncer announces a made-up backend pid in session mode too: one
    // server session cannot be proven, so the file is refused, never guessed.
    for (const r of second.runs) assert.is(r.code, 1, show(r))
    for (const r of second.runs) assert.match(r.stderr, UNSAFE, show(r))
    assert.is(second.runs.flatMap((r) => lines(r, /Successfully applied migration /)).length, 1)
    const direct = await runTimed(['up', '--dir', dir, '--service', 'pss-svc', '--database-url', P.db!.url])
    assert.is(direct.code, 0, show(direct))
    await assertOnce(P.db!, 'pss-svc', 'pss', 22)
    console.log(`    measured (session mode): round 1 ${Math.round(first.ms)} ms, round 2 ${Math.round(second.ms)} ms`)
  })

  sessSuite.run()
}
