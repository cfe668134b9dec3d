// Pure tests of src/core/plan.ts: state, up plan and down plan from files and records.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { computeState, planDown, planUp, type State } from '../../src/core/plan.js'
import { MigrateError } from '../../src/errors.js'
import type { AppliedRow, MigrationFile, ProgressMarker, StatusEntry } from '../../src/types.js'

const DIR = '/svc/migrations'
const AT = new Date('2024-05-01T10:00:00.000Z')
const AT_ISO = '2024-05-01T10:00:00.000Z'

/** A migration file of `version`; checksum `sum-V` unless given, with a down file unless `down` is false. */
function file(version: number, opts: { description?: string; checksum?: string; down?: boolean } = {}): MigrationFile {
  const name = `${String(version).padStart(3, '0')}_${opts.description ?? `m${version}`}`
  return {
    version,
    name,
    description: opts.description ?? `m${version}`,
    up: { path: `${DIR}/${name}.up.sql`, file: `${name}.up.sql`, content: `SELECT ${version};\n` },
    down: opts.down === false ? undefined : { path: `${DIR}/${name}.down.sql`, file: `${name}.down.sql` },
    checksum: opts.checksum ?? `sum-${version}`,
  }
}

/** The record `up` writes for `version`. */
function row(version: number, opts: { name?: string; checksum?: string } = {}): AppliedRow {
  return {
    version,
    name: opts.name ?? `${String(version).padStart(3, '0')}_m${version}`,
    appliedAt: AT,
    checksum: opts.checksum ?? `sum-${version}`,
  }
}

function applied(f: MigrationFile): StatusEntry {
  return { version: f.version, name: f.name, state: 'applied', appliedAt: AT_ISO, checksum: f.checksum, hasDown: Boolean(f.down) }
}

function pending(f: MigrationFile): StatusEntry {
  return { version: f.version, name: f.name, state: 'pending', appliedAt: null, checksum: f.checksum, hasDown: Boolean(f.down) }
}

/** What `fn` throws. */
function thrown(fn: () => unknown): MigrateError {
  try {
    fn()
  } catch (e) {
    assert.instance(e, MigrateError)
    return e as MigrateError
  }
  assert.unreachable('nothing thrown')
  throw new Error('unreachable')
}

/** The fields of an error that users and the CLI see. */
function shape(e: MigrateError): object {
  return { name: e.name, code: e.code, exitCode: e.exitCode, message: e.message, details: e.details }
}

const f1 = file(1)
const f2 = file(2)
const f3 = file(3)
const f4 = file(4)

// ------------------------------------------------------------- computeState

const state = suite('plan: computeState')

state('no files, no records', () => {
  assert.equal(computeState([], []), { entries: [], currentVersion: 0, pending: [], outOfOrder: [], modified: [], missing: [], interrupted: [] })
})

state('nothing applied: everything pending', () => {
  assert.equal(computeState([f1, f2], []), {
    entries: [pending(f1), pending(f2)],
    currentVersion: 0,
    pending: [f1, f2],
    outOfOrder: [],
    modified: [],
    missing: [],
    interrupted: [],
  })
})

state('applied and pending', () => {
  const noDown = file(3, { down: false })
  assert.equal(computeState([f1, f2, noDown], [row(1), row(2)]), {
    entries: [applied(f1), applied(f2), pending(noDown)],
    currentVersion: 2,
    pending: [noDown],
    outOfOrder: [],
    modified: [],
    missing: [],
    interrupted: [],
  })
})

state('modified: the recorded checksum stays, the file\'s is fileChecksum', () => {
  const entry: StatusEntry = {
    version: 2,
    name: '002_m2',
    state: 'modified',
    appliedAt: AT_ISO,
    checksum: 'recorded',
    fileChecksum: 'sum-2',
    hasDown: true,
  }
  assert.equal(computeState([f1, f2], [row(1), row(2, { checksum: 'recorded' })]), {
    entries: [applied(f1), entry],
    currentVersion: 2,
    pending: [],
    outOfOrder: [],
    modified: [entry],
    missing: [],
    interrupted: [],
  })
})

state('missing: a record whose file is gone still counts for the current version', () => {
  const entry: StatusEntry = { version: 3, name: '003_m3', state: 'missing', appliedAt: AT_ISO, checksum: 'sum-3', hasDown: false }
  assert.equal(computeState([f1, f2], [row(1), row(3)]), {
    entries: [applied(f1), pending(f2), entry],
    currentVersion: 3,
    pending: [f2],
    outOfOrder: [f2],
    modified: [],
    missing: [entry],
    interrupted: [],
  })
})

state('out of order: pending migrations older than the current version', () => {
  assert.equal(computeState([f1, f2, f3, f4], [row(1), row(3)]), {
    entries: [applied(f1), pending(f2), applied(f3), pending(f4)],
    currentVersion: 3,
    pending: [f2, f4],
    outOfOrder: [f2],
    modified: [],
    missing: [],
    interrupted: [],
  })
})

state('an applied migration keeps its recorded name when the file was renamed', () => {
  const renamed = file(1, { description: 'create_users' })
  assert.equal(computeState([renamed], [row(1, { name: '001_init', checksum: renamed.checksum })]).entries, [
    { version: 1, name: '001_init', state: 'applied', appliedAt: AT_ISO, checksum: 'sum-1', hasDown: true },
  ])
})

state('entries are in version order whatever the order of files and records', () => {
  const s = computeState([f4, f2, f1], [row(5), row(1), row(2)])
  assert.equal(
    s.entries.map((e) => [e.version, e.state]),
    [
      [1, 'applied'],
      [2, 'applied'],
      [4, 'pending'],
      [5, 'missing'],
    ],
  )
  assert.is(s.currentVersion, 5)
})

// ------------------------------------------------------------------ planUp

state('markers of unfinished runs: interrupted (no transaction) or partial (own transactions), recorded or not; a marker with neither file nor record is listed too', () => {
  const marker = (version: number, o: Partial<ProgressMarker> = {}): ProgressMarker => ({
    version,
    direction: 'up',
    name: `00${version}_m${version}`,
    file: `00${version}_m${version}.up.sql`,
    checksum: `sum-${version}`,
    kind: 'no-transaction',
    lines: [1, 3, 7],
    ran: [1],
    running: 2,
    error: null,
    startedAt: AT,
    updatedAt: AT,
    ...o,
  })
  const s = computeState(
    [f1, f2, f3],
    [row(1), row(3)],
    [marker(2), marker(3, { direction: 'down', file: '003_m3.down.sql', running: null }), marker(5, { kind: 'own-transactions', ran: [1, 3], running: null, error: 'boom' })],
  )
  const info = (m: ProgressMarker) => ({
    direction: m.direction,
    kind: m.kind,
    file: m.file,
    statements: m.lines.length,
    ran: m.ran.map((n) => ({ statement: n, line: m.lines[n - 1]! })),
    running: m.running === null ? null : { statement: m.running, line: m.lines[m.running - 1]! },
    error: m.error,
    startedAt: AT_ISO,
    updatedAt: AT_ISO,
  })
  assert.equal(s.entries, [
    applied(f1),
    { ...pending(f2), state: 'interrupted', interrupted: info(marker(2)) },
    { ...applied(f3), state: 'interrupted', interrupted: info(marker(3, { direction: 'down', file: '003_m3.down.sql', running: null })) },
    {
      version: 5,
      name: '005_m5',
      state: 'partial',
      appliedAt: null,
      checksum: 'sum-5',
      hasDown: false,
      interrupted: info(marker(5, { kind: 'own-transactions', ran: [1, 3], running: null, error: 'boom' })),
    },
  ])
  assert.equal(s.pending, [f2], 'an interrupted up runs again')
  assert.equal(s.interrupted.map((e) => e.version), [2, 3, 5])
  assert.is(s.currentVersion, 3)
  // down rolls back what is recorded: 3 (its down interrupted) first, never 2 or 5.
  assert.equal(planDown(s, [f1, f2, f3], { all: true }).map((f) => f.version), [3, 1])
})

const up = suite('plan: planUp')

/** State with 1 applied and 2..4 pending. */
const fresh = (): State => computeState([f1, f2, f3, f4], [row(1)])

up('every pending migration, in order', () => {
  assert.equal(planUp(fresh(), {}), [f2, f3, f4])
})

up('nothing pending: nothing planned', () => {
  assert.equal(planUp(computeState([f1], [row(1)]), {}), [])
})

up('--to stops at a version (inclusive)', () => {
  assert.equal(planUp(fresh(), { to: 3 }), [f2, f3])
  assert.equal(planUp(fresh(), { to: 1 }), [])
  assert.equal(planUp(fresh(), { to: 99 }), [f2, f3, f4])
})

up('--steps applies at most N', () => {
  assert.equal(planUp(fresh(), { steps: 2 }), [f2, f3])
  assert.equal(planUp(fresh(), { steps: 0 }), [])
  assert.equal(planUp(fresh(), { steps: 10 }), [f2, f3, f4])
})

up('--to with --steps is refused (exit 2)', () => {
  assert.equal(shape(thrown(() => planUp(fresh(), { to: 3, steps: 1 }))), {
    name: 'ConfigError',
    code: 'TARGET_INVALID',
    exitCode: 2,
    message: '--to and --steps cannot be used together',
    details: [],
  })
})

up('a pending migration older than the current version stops up, naming both versions', () => {
  const s = computeState([f1, f2, f3, f4], [row(1), row(4)])
  assert.equal(shape(thrown(() => planUp(s, {}))), {
    name: 'MigrateError',
    code: 'OUT_OF_ORDER',
    exitCode: 1,
    message:
      'pending migration 002_m2 (version 2) is older than the current version 4; apply it with --allow-out-of-order, or renumber it',
    details: ['also out of order: 003_m3'],
  })
})

up('out of order even when --to or --steps would not reach it', () => {
  const s = computeState([f1, f2, f3, file(5)], [row(1), row(3)])
  assert.is(thrown(() => planUp(s, { steps: 1 })).code, 'OUT_OF_ORDER')
})

up('--allow-out-of-order applies the late ones too, in version order', () => {
  const f5 = file(5)
  const s = computeState([f1, f2, f3, f4, f5], [row(1), row(4)])
  assert.equal(planUp(s, { allowOutOfOrder: true }), [f2, f3, f5])
  assert.equal(planUp(s, { allowOutOfOrder: true, to: 3 }), [f2, f3])
  assert.equal(planUp(s, { allowOutOfOrder: true, steps: 1 }), [f2])
})

up('changed files: planned anyway without --strict', () => {
  const s = computeState([f1, f2], [row(1, { checksum: 'recorded' })])
  assert.equal(planUp(s, {}), [f2])
  assert.equal(planUp(s, { strict: false }), [f2])
})

up('--strict refuses changed files with an IntegrityError (exit 3)', () => {
  const s = computeState([f1, f2, f3], [row(1, { checksum: 'aaaaaaaaaaaaaaaaaaaa' }), row(2, { checksum: 'bbbbbbbbbbbbbbbbbbbb' })])
  assert.equal(shape(thrown(() => planUp(s, { strict: true }))), {
    name: 'IntegrityError',
    code: 'INTEGRITY',
    exitCode: 3,
    message: '2 applied migration(s) changed since they were applied; refusing to run with --strict',
    details: ['001_m1: recorded aaaaaaaaaaaa, file now sum-1', '002_m2: recorded bbbbbbbbbbbb, file now sum-2'],
  })
})

up('--strict with nothing changed plans as usual', () => {
  assert.equal(planUp(fresh(), { strict: true }), [f2, f3, f4])
})

up('--strict is checked before out-of-order', () => {
  const s = computeState([f1, f2, f3], [row(1, { checksum: 'x' }), row(3)])
  assert.is(thrown(() => planUp(s, { strict: true })).code, 'INTEGRITY')
})

// ---------------------------------------------------------------- planDown

const down = suite('plan: planDown')

const all = [f1, f2, f3, f4]
/** State with 1..3 applied and 4 pending. */
const three = (): State => computeState(all, [row(1), row(2), row(3)])

down('default: the latest applied migration only', () => {
  assert.equal(planDown(three(), all, {}), [f3])
})

down('--steps N: the N latest, newest first', () => {
  assert.equal(planDown(three(), all, { steps: 2 }), [f3, f2])
  assert.equal(planDown(three(), all, { steps: 10 }), [f3, f2, f1])
})

down('--to V: everything above V, newest first; --to 0 rolls back all', () => {
  assert.equal(planDown(three(), all, { to: 1 }), [f3, f2])
  assert.equal(planDown(three(), all, { to: 0 }), [f3, f2, f1])
  assert.equal(planDown(three(), all, { to: 3 }), [])
  assert.equal(planDown(three(), all, { to: 99 }), [])
})

down('nothing applied: nothing to roll back', () => {
  assert.equal(planDown(computeState(all, []), all, {}), [])
  assert.equal(planDown(computeState(all, []), all, { to: 0 }), [])
})

down('pending migrations are never rolled back', () => {
  // 2 is pending (out of order) between applied 1 and 3.
  assert.equal(planDown(computeState(all, [row(1), row(3)]), all, { to: 0 }), [f3, f1])
})

down('a changed applied migration is still rolled back (the run warns)', () => {
  assert.equal(planDown(computeState(all, [row(1), row(2, { checksum: 'old' })]), all, {}), [f2])
})

down('--to with --steps is refused (exit 2)', () => {
  assert.equal(shape(thrown(() => planDown(three(), all, { to: 0, steps: 1 }))), {
    name: 'ConfigError',
    code: 'TARGET_INVALID',
    exitCode: 2,
    message: '--to and --steps cannot be used together',
    details: [],
  })
})

down('no down file: DOWN_MISSING, nothing planned', () => {
  const noDown = file(3, { down: false })
  const files = [f1, f2, noDown]
  const s = computeState(files, [row(1), row(2), row(3)])
  assert.equal(shape(thrown(() => planDown(s, files, {}))), {
    name: 'MigrateError',
    code: 'DOWN_MISSING',
    exitCode: 1,
    message: 'cannot roll back 003_m3: there is no down file (003_m3.down.sql); nothing was changed',
    details: [],
  })
})

down('a missing down file deeper in the plan refuses the whole plan', () => {
  const noDown = file(1, { down: false })
  const files = [noDown, f2, f3]
  const s = computeState(files, [row(1), row(2), row(3)])
  assert.equal(planDown(s, files, { steps: 2 }), [f3, f2])
  assert.equal(thrown(() => planDown(s, files, { to: 0 })).message, 'cannot roll back 001_m1: there is no down file (001_m1.down.sql); nothing was changed')
})

down('an applied migration whose files are gone: DOWN_MISSING', () => {
  const files = [f1, f2]
  const s = computeState(files, [row(1), row(2), row(3)])
  assert.equal(shape(thrown(() => planDown(s, files, {}))), {
    name: 'MigrateError',
    code: 'DOWN_MISSING',
    exitCode: 1,
    message: 'cannot roll back 003_m3: its up file is gone from the migrations directory (restore it, or undo it by hand and remove its record with mark 3 --pending); nothing was changed',
    details: [],
  })
  // Below the missing one, rolling back is fine.
  assert.equal(planDown(s, files, { to: 3 }), [])
})

state.run()
up.run()
down.run()
