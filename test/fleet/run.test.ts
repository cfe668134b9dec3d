// migrateFleet (library) over 150 databases on three servers: every target
// migrated exactly once (also when listed twice), unreachable targets, a
// wrong password and a failing migration as rows, the events, --on-error
// stop with a running target finishing its current migration, canary.
import postgres from 'postgres'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { migrateFleet, type FleetEvent, type FleetRow } from '../../src/index.js'
import { readable, waitFor } from '../guarantees/util.js'
import { fleetMigrations, once, records, startFleet, wrongPassword, type Fleet } from './fleet.js'

const test = suite('fleet: migrateFleet over three servers')
const it = readable(test)
const S: { fleet?: Fleet } = {}

test.before(async () => {
  const t0 = performance.now()
  S.fleet = await startFleet('lmf_run')
  console.log(`    3 servers, 150 databases in ${Math.round(performance.now() - t0)} ms`)
})
test.after(async () => {
  await S.fleet?.stop()
})

const byTarget = (rows: FleetRow[]) => new Map(rows.map((r) => [r.target, r]))

it('150 databases, 3 unreachable, a wrong password, a failing migration, duplicates: each target once, one row each', async () => {
  const { dbs } = S.fleet!
  const dir = await fleetMigrations('a', 3)
  const failing = dbs[40]!
  const locked = dbs[77]!
  // The failing target: its 002 meets a table that is already there.
  await S.fleet!.sql(failing)`create table a_t2 (x int)`
  const targets = [
    ...dbs.map((d) => ({ name: d.name, url: d === locked ? wrongPassword(d.url) : d.url })),
    { name: 'dead1', url: S.fleet!.deadUrl('x1') },
    { name: 'dead2', url: S.fleet!.deadUrl('x2') },
    { name: 'dead3', url: S.fleet!.deadUrl('x3') },
    // The same databases again under other names: run once, under the first name.
    { name: 'again-first', url: dbs[0]!.url },
    dbs[149]!.url,
  ]
  const events: FleetEvent[] = []
  const t0 = performance.now()
  const result = await migrateFleet({ targets, dir, service: 'fleet-a', parallel: 8, onError: 'continue', onEvent: (e) => events.push(e) })
  console.log(`    fleet of 153 targets at --parallel 8: ${Math.round(performance.now() - t0)} ms`)

  assert.is(result.targets.length, 153)
  assert.equal(result.duplicates.map((d) => d.sameAs), [dbs[0]!.name, dbs[149]!.name])
  assert.equal(result.counts, { total: 153, ok: 148, failed: 5, stopped: 0, skipped: 0, 'done-before': 0 })
  assert.is(result.ok, false)
  const rows = byTarget(result.targets)

  // Every reachable database: each migration recorded exactly once.
  for (const d of dbs) {
    const got = await records(S.fleet!.sql(d), 'fleet-a')
    if (d === failing) assert.equal(got, once(1), d.name)
    else if (d === locked) assert.equal(got, [], d.name)
    else {
      assert.equal(got, once(3), d.name)
      assert.equal(rows.get(d.name), { ...rows.get(d.name)!, result: 'ok', before: 0, after: 3, applied: 3 })
    }
  }
  const f = rows.get(failing.name)!
  assert.equal([f.result, f.before, f.after, f.applied, f.error?.code, f.error?.file], ['failed', 0, 1, 1, 'MIGRATION_FAILED', '002_a_t2.up.sql'])
  assert.match(f.error!.message, /relation "a_t2" already exists/)
  const w = rows.get(locked.name)!
  assert.equal([w.result, w.before, w.error?.code], ['failed', null, 'CONNECT_FAILED'])
  assert.match(w.error!.message, /password authentication failed/)
  assert.not.match(JSON.stringify(result), /Wr0ng-Pa55word-xyz/)
  assert.not.match(JSON.stringify(result), new RegExp(encodeURIComponent(new URL(dbs[1]!.url).password).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
  for (const n of ['dead1', 'dead2', 'dead3']) {
    assert.equal([rows.get(n)!.result, rows.get(n)!.error?.code], ['failed', 'CONNECT_FAILED'])
    assert.match(rows.get(n)!.error!.message, /connection refused/)
  }

  // Events: each target starts once and ends once, its own events in between.
  const starts = events.filter((e) => e.type === 'target-start').map((e) => (e as { target: string }).target)
  const ends = events.filter((e) => e.type === 'target-done').map((e) => (e as { row: FleetRow }).row.target)
  assert.is(starts.length, 153)
  assert.is(new Set(starts).size, 153)
  assert.equal([...starts].sort(), [...ends].sort())
  const applied = events.filter((e) => e.type === 'target-event' && e.event.type === 'migration-done').length
  assert.is(applied, 148 * 3 + 1)
  assert.equal(events[0]!.type, 'fleet-start')
  assert.equal(events.at(-1), { type: 'fleet-done', ok: false, counts: result.counts })

  // A second run: nothing left to do on the migrated ones.
  const again = await migrateFleet({ targets: dbs.slice(0, 30).map((d) => d.url), dir, service: 'fleet-a', parallel: 8 })
  assert.is(again.ok, true)
  assert.is(again.counts.ok, 30)
  assert.is(again.targets.reduce((n, r) => n + r.applied, 0), 0)
})

it('on-error stop: no new target starts; a running one finishes its current migration and stops there', async () => {
  const { dbs } = S.fleet!
  // 001 waits for advisory lock 4243 and 002 for 4242; the test holds 4242
  // in the slow database and 4243 in the bad one, and so decides the order:
  // the slow target is inside 002 when the bad one fails.
  const dir = await fleetMigrations('b', 3, {
    '001_b_t1.up.sql': 'select pg_advisory_xact_lock(4243);\ncreate table b_t1 (id int);\n',
    '002_b_t2.up.sql': 'select pg_advisory_xact_lock(4242);\ncreate table b_t2 (id int);\n',
  })
  const [slow, bad, ...rest] = [dbs[0]!, dbs[1]!, ...dbs.slice(2, 12)]
  await S.fleet!.sql(bad)`create table b_t1 (x int)`
  const holders = [postgres(slow.url, { max: 1, onnotice: () => {} }), postgres(bad.url, { max: 1, onnotice: () => {} })]
  try {
    const [inSlow, inBad] = await Promise.all(holders.map((h) => h.reserve()))
    await inSlow!`select pg_advisory_lock(4242)`
    await inBad!`select pg_advisory_lock(4243)`
    const events: FleetEvent[] = []
    const run = migrateFleet({
      targets: [slow, bad, ...rest].map((d) => ({ name: d.name, url: d.url })),
      dir,
      service: 'fleet-b',
      parallel: 2,
      onEvent: (e) => events.push(e),
    })
    await waitFor(
      'the slow target inside 002',
      async () => events.some((e) => e.type === 'target-event' && e.target === slow.name && e.event.type === 'migration-start' && e.event.step.version === 2),
      60_000,
    )
    await inBad!`select pg_advisory_unlock(4243)`
    await waitFor('the failing target', async () => events.some((e) => e.type === 'target-done' && e.row.target === bad.name), 60_000)
    await inSlow!`select pg_advisory_unlock(4242)`
    inSlow!.release()
    inBad!.release()
    const result = await run
    const rows = byTarget(result.targets)
    assert.is(result.stopped, 'error')
    assert.equal([rows.get(slow.name)!.result, rows.get(slow.name)!.applied, rows.get(slow.name)!.after], ['stopped', 2, 2])
    assert.equal(await records(S.fleet!.sql(slow), 'fleet-b'), once(2))
    assert.is(rows.get(bad.name)!.result, 'failed')
    assert.equal(await records(S.fleet!.sql(bad), 'fleet-b'), [])
    for (const d of rest) {
      assert.is(rows.get(d.name)!.result, 'skipped', d.name)
      assert.equal(await records(S.fleet!.sql(d), 'fleet-b'), [], d.name)
    }
    assert.ok(events.some((e) => e.type === 'fleet-stopping' && e.reason === 'error' && e.target === bad.name))
    assert.not.ok(events.some((e) => e.type === 'target-start' && rest.some((d) => d.name === e.target)))

    // continue: the same fleet tries every target.
    const cont = await migrateFleet({ targets: [slow, bad, ...rest].map((d) => ({ name: d.name, url: d.url })), dir, service: 'fleet-b', parallel: 2, onError: 'continue' })
    assert.equal([cont.counts.ok, cont.counts.failed, cont.counts.skipped], [11, 1, 0])
    for (const d of [slow, ...rest]) assert.equal(await records(S.fleet!.sql(d), 'fleet-b'), once(3), d.name)
  } finally {
    for (const h of holders) await h.end({ timeout: 5 })
  }
})

it('canary: the first N first, the rest only when all of them succeed', async () => {
  const { dbs } = S.fleet!
  const dir = await fleetMigrations('c', 2)
  const group = dbs.slice(20, 40)
  await S.fleet!.sql(group[2]!)`create table c_t2 (x int)`
  const targets = group.map((d) => ({ name: d.name, url: d.url }))
  // One at a time, so which canary fails first is decided.
  const failed = await migrateFleet({ targets, dir, service: 'fleet-c', parallel: 1, canary: 3, onError: 'continue' })
  assert.is(failed.stopped, 'canary')
  assert.equal(failed.targets.map((r) => r.result), ['ok', 'ok', 'failed', ...Array(17).fill('skipped')])
  for (const d of group.slice(3)) assert.equal(await records(S.fleet!.sql(d), 'fleet-c'), [], d.name)

  await S.fleet!.sql(group[2]!)`drop table c_t2`
  const passed = await migrateFleet({ targets, dir, service: 'fleet-c', parallel: 4, canary: 3 })
  assert.is(passed.ok, true)
  assert.equal(passed.counts.ok, 20)
  for (const d of group) assert.equal(await records(S.fleet!.sql(d), 'fleet-c'), once(2), d.name)
})

it('bad options and bad targets fail before any database is touched', async () => {
  const dir = await fleetMigrations('d', 1)
  const url = S.fleet!.dbs[0]!.url
  const cases: [Parameters<typeof migrateFleet>[0], RegExp][] = [
    [{ targets: [], dir }, /no targets/],
    [{ targets: [url], dir, parallel: 0 }, /parallel must be a whole number >= 1/],
    [{ targets: [url], dir, resume: true }, /resume needs a journal/],
    [{ targets: ['mysql://x@y/z'], dir }, /targets\[0\]/],
  ]
  for (const [opts, re] of cases) {
    const err = await migrateFleet({ ...opts, service: 'fleet-d' }).then(
      () => null,
      (e: Error) => e,
    )
    assert.ok(err, String(re))
    assert.match(err!.message, re)
  }
  assert.equal(await records(S.fleet!.sql(S.fleet!.dbs[0]!), 'fleet-d'), [])
})

test.run()
