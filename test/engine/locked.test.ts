// engine/locked.ts through the library: runs of one service in one process
// take turns on a shared pool, and a step another runner applied while this
// one waited for it counts in the result.
import postgres from 'postgres'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createMigrator, type MigrateEvent, type RunResult } from '../../src/index.js'
import { lockKeys } from '../../src/db/keys.js'
import { closeAdmin, freshDatabase, type FreshDatabase } from '../helpers/db.js'
import { behindOtherRunner, files, norm, step, versionRow, within } from '../helpers/migrator.js'
import { migrationsDir } from '../helpers/tmp.js'
import { readable } from '../guarantees/util.js'
import { eventually } from '../helpers/wait.js'

const deadlockSuite = suite('concurrent runs of one service in one process')
const deadlock = readable(deadlockSuite)
const DL: { db?: FreshDatabase } = {}
deadlockSuite.before(async () => {
  DL.db = await freshDatabase('deadlock')
})
deadlockSuite.after(async () => {
  await DL.db?.drop()
  await closeAdmin()
})

deadlock(
  'two concurrent up() of one service on one pool take turns (no deadlock over the pool\'s connections)',
  async () => {
    const dir = await migrationsDir(files('dl_widgets'))
    const holder = postgres(DL.db!.url, { max: 1, onnotice: () => {} })
    const [k1, k2] = lockKeys.session('deadlock-svc')
    const waits: MigrateEvent[] = []
    // The migrator's own pool (max 2). The same happens with a caller's instance shared by two migrators of one service.
    const m = createMigrator({ dir, service: 'deadlock-svc', url: DL.db!.url, onEvent: (e) => e.type === 'lock-wait' && waits.push(e) })
    try {
      await holder`select pg_advisory_lock(${k1}, ${k2})`
      const both = Promise.all([m.up(), m.up()])
      both.catch(() => undefined)
      // One call polls the database lock; the other waits its turn in-process. Then the lock is freed.
      await eventually(() => waits.length >= 1, 'a lock-wait event')
      assert.is(waits.length, 1, 'exactly one call polls the database lock')
      await holder`select pg_advisory_unlock(${k1}, ${k2})`
      // A deadlock never finishes: the bound only turns it into a failure.
      const results = await within(30_000, 'two concurrent up() of one service', () => both)
      assert.equal(results.map((r) => r.results.length).sort(), [0, 3])
    } finally {
      await holder.end({ timeout: 5 })
      await m.close() // ends a deadlocked pool after its 5 s grace
    }
  },
)

deadlock('when another runner applied a step while this one waited on it (skipped), the returned currentVersion counts it', async () => {
  const dir = await migrationsDir(files('skip_widgets'))
  const m = createMigrator({ dir, service: 'skip-svc', url: DL.db!.url })
  const other = postgres(DL.db!.url, { max: 1, onnotice: () => {} })
  try {
    await m.markTo(0) // creates the bookkeeping tables, marks nothing
    const step1 = step(1, 'up')
    const behind = (work: () => Promise<RunResult>, what: string) =>
      behindOtherRunner(
        other,
        DL.db!.sql,
        'skip-svc',
        async (t) => {
          await t.unsafe(files('skip_widgets')['001_create_widgets.up.sql']!)
          await t`insert into migration_records (service, version, name, checksum) values ('skip-svc', 1, ${step1.name}, ${step1.checksum})`
          await t`insert into schema_versions (service, version, description) values ('skip-svc', 1, ${step1.name})
                  on conflict (service) do update set version = 1`
        },
        work,
        what,
      )
    const r = await behind(() => m.up(), 'up() behind another runner')
    assert.equal(
      norm(r.results).map((x) => [x.version, x.status]),
      [
        [1, 'skipped'],
        [2, 'applied'],
        [3, 'applied'],
      ],
    )
    assert.is(r.currentVersion, 3)
    const d = await m.down({ steps: 2 })
    assert.is(d.currentVersion, 1)
    // The case that fails: only the skipped step left to do.
    await m.down()
    const r2 = await behind(() => m.up({ to: 1 }), 'up({ to: 1 }) behind another runner')
    assert.equal(norm(r2.results).map((x) => [x.version, x.status]), [[1, 'skipped']])
    assert.equal(await versionRow(DL.db!, 'skip-svc'), [{ version: 1, description: step1.name }])
    assert.is(r2.currentVersion, 1, 'the database says 1 (schema_versions), the result says otherwise')
  } finally {
    await other.end({ timeout: 5 })
    await m.close()
  }
})

deadlockSuite.run()
