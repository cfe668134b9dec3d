/**
 * The rehearsal: for each migration in order, snapshot, up, down, snapshot
 * and compare with the first, up again; then every down in reverse
 * (compared with the empty start) and every up again (compared with the
 * first full pass). A down that fails is reported and the next migration
 * goes on from the state the failed down left (its up applied), so one run
 * lists every broken down. A set without any down file is forward-only:
 * every up is applied in order, nothing is compared. Engine-agnostic: it
 * only runs prepared steps and takes snapshots through a {@link CheckEngine}.
 */
import type { PlanStep } from '../types.js'
import { describeDifference, diffSchemas, DOWN_VERBS, type Difference, type Verbs } from './diff.js'
import { toCheckError, type CheckEngine } from './engine.js'
import type { Adaptation } from './rewrite.js'
import { changesFrom, incrementalSnapshots, type SnapshotOptions, type SnapshotTaker } from './incremental.js'
import type { CatalogQuery, Schema } from './snapshot.js'
import type { StepTrace } from './trace.js'
import type { CheckDifference, CheckEvent, MigrationCheck, RoundTripCheck } from './types.js'

/** One migration, prepared for this engine. */
export interface RehearsalStep {
  version: number
  name: string
  up: PlanStep
  /** Undefined: no down file. */
  down?: PlanStep
}

export interface RehearseInput {
  engine: CheckEngine
  steps: RehearsalStep[]
  /** The embedded engine's rewrites and skips; absent on a server. */
  adapt?: (step: PlanStep) => Adaptation
  timeoutMs?: number
  /** A column a down re-adds at the end of its table is a failure, not a note. */
  strictColumnOrder?: boolean
  signal?: AbortSignal
  onEvent?: (e: CheckEvent) => void
  /**
   * `check --locks`: runs the first up and the down of each migration
   * instead of `engine.run`, tracing each statement (trace.ts). Gets the
   * step to run and the step as the file has it.
   */
  trace?: (step: PlanStep, original: PlanStep) => Promise<StepTrace>
  /** How snapshots are taken: incrementally (the default; a test compares them with full reads). */
  snapshots?: (query: CatalogQuery, opts: SnapshotOptions) => SnapshotTaker
}

export interface Rehearsal {
  /** No migration has a down file: each up was applied in order, nothing compared. */
  forwardOnly: boolean
  migrations: MigrationCheck[]
  roundTrip: { down: RoundTripCheck; up: RoundTripCheck }
  migrationsMs: number
  roundTripMs: number
  snapshotMs: number
}

/** Migrations between two {@link CheckEngine.tidy} calls. */
const TIDY_EVERY = 200

/** All downs compared with the empty start. */
const ALL_DOWN_VERBS: Verbs = DOWN_VERBS
/** The second full pass compared with the first. */
const ALL_UP_VERBS: Verbs = { added: 'adds', removed: 'does not recreate', changed: 'changes' }

/**
 * Runs the rehearsal. Failures of migrations are results, not exceptions;
 * it throws only `signal.reason` when aborted, or when a snapshot fails.
 */
export async function rehearse(input: RehearseInput): Promise<Rehearsal> {
  const { engine, steps, signal } = input
  const emit = input.onEvent ?? (() => {})
  let snapshotMs = 0
  // Each snapshot re-reads only what changed since the one before
  // (incremental.ts), told of every step before it runs (`expect`).
  const take = (input.snapshots ?? incrementalSnapshots)(engine.catalog, { scoped: true })
  const snap = async (): Promise<Schema> => {
    const t = performance.now()
    const s = await take()
    snapshotMs += performance.now() - t
    return s
  }
  const checkAbort = () => {
    if (signal?.aborted) throw signal.reason
  }
  /** Runs a step; an error caused by the abort is the abort. Notes go to `into` (once each). */
  const run = async (step: PlanStep, into?: string[], traced?: { original: PlanStep; r: MigrationCheck }): Promise<void> => {
    checkAbort()
    // (a traced run also runs the trace's own statements: the next snapshot scans)
    await take.expect?.(traced && input.trace ? undefined : step)
    try {
      let notes: string[] | void
      if (traced && input.trace) {
        const t = await input.trace(step, traced.original)
        ;(traced.r.statements ??= []).push(...t.statements)
        notes = t.notes
      } else notes = await engine.run(step, { timeoutMs: input.timeoutMs })
      for (const n of notes ?? []) if (into && !into.includes(n)) into.push(n)
    } catch (e) {
      checkAbort()
      throw e
    }
  }

  /** A snapshot to keep past the next one (a snapshot is the taker's live copy). */
  const kept = (s: Schema): Schema => ({ objects: { ...s.objects } })
  /** Differences from `a` to `b`: only what changed when `b` was taken right after `a`. */
  const compare = (a: Schema, b: Schema) => {
    const c = changesFrom(a, b)
    return c ? diffSchemas(c.before, b, c.keys) : diffSchemas(a, b)
  }

  const t0 = performance.now()
  let before = await snap()
  const empty = kept(before)
  let blocked: string | undefined
  let roundTripBlocked: string | undefined
  const results: MigrationCheck[] = []
  const done: { up: PlanStep; down: PlanStep }[] = []
  // No down file at all: a forward-only set, checked up only.
  const forwardOnly = steps.length > 0 && steps.every((m) => m.down === undefined)
  if (forwardOnly) roundTripBlocked = 'not run: a forward-only set (no down files)'
  /** Column order apart (a note) unless --strict-column-order. */
  const split = (diffs: CheckDifference[]): { differences: CheckDifference[]; columnOrder: CheckDifference[] } => {
    if (input.strictColumnOrder) return { differences: diffs, columnOrder: [] }
    const order = (d: CheckDifference) => d.kind === 'table' && d.attribute === 'column order'
    return { differences: diffs.filter((d) => !order(d)), columnOrder: diffs.filter(order) }
  }

  for (const [i, m] of steps.entries()) {
    checkAbort()
    const label = versionLabel(m.name)
    const r: MigrationCheck = {
      version: m.version,
      name: m.name,
      upFile: m.up.file,
      ...(m.down ? { downFile: m.down.file } : {}),
      status: 'ok',
      differences: [],
      rewrites: [],
      timings: { upMs: 0, downMs: 0, reupMs: 0, snapshotMs: 0 },
    }
    const notes: string[] = []
    const finish = () => {
      if (notes.length > 0) r.notes = notes
      results.push(r)
      emit({ type: 'migration-checked', index: i + 1, total: steps.length, migration: r })
    }
    emit({ type: 'migration-start', index: i + 1, total: steps.length, version: m.version, name: m.name })
    if (blocked) {
      r.status = 'not-run'
      r.reason = blocked
      finish()
      continue
    }

    let up = m.up
    let down = m.down
    if (input.adapt) {
      const a = input.adapt(up)
      const b = down ? input.adapt(down) : undefined
      if (a.skip) {
        r.status = 'skipped'
        r.reason = a.skip
        blocked = roundTripBlocked = `not run: ${label} was skipped`
        finish()
        continue
      }
      up = a.step
      r.rewrites.push(...a.rewrites)
      // A down that cannot run here is found out when it runs (a failure);
      // its rewrites are what matters.
      if (b) {
        down = b.step
        r.rewrites.push(...b.rewrites)
      }
    }

    const fail = (e: unknown, step: NonNullable<MigrationCheck['failedAt']>): void => {
      const phase = step === 'up again' ? 'the up run again after the down' : `the ${step}`
      const reason = engine.limitation(e)
      if (reason !== undefined) {
        r.status = 'skipped'
        r.reason = reason
        roundTripBlocked ??= `not run: ${label} was skipped`
      } else {
        r.status = 'failed'
        r.failedAt = step
        r.error = toCheckError(e)
        roundTripBlocked ??= `not run: ${phase} of ${label} failed`
      }
      // After a failed down (rolled back) its up is still applied: the next
      // migrations can go on from there. After a failed up they cannot.
      if (step !== 'down') blocked = roundTripBlocked
    }
    const timed = async (fn: () => Promise<unknown>): Promise<number> => {
      const t = performance.now()
      await fn()
      return round(performance.now() - t)
    }
    const snapStart = snapshotMs

    try {
      r.timings.upMs = await timed(() => run(up, notes, { original: m.up, r }))
    } catch (e) {
      checkAbort()
      fail(e, 'up')
      finish()
      continue
    }
    if (forwardOnly) {
      r.status = 'applied'
      r.reason = `${m.up.file} applied cleanly (a forward-only set: no down to check)`
      finish()
      continue
    }
    if (!down) {
      r.status = 'no-down'
      r.reason = `${m.up.file} has no down file: it cannot be rolled back, so it cannot be checked`
      roundTripBlocked ??= `not run: ${label} has no down file`
      before = await snap()
      r.timings.snapshotMs = round(snapshotMs - snapStart)
      finish()
      continue
    }
    try {
      r.timings.downMs = await timed(() => run(down, notes, { original: m.down!, r }))
    } catch (e) {
      checkAbort()
      fail(e, 'down')
      // Go on from what the failed down left: its transaction rolled back
      // (a no-transaction down may have run part of its statements).
      before = await snap()
      r.timings.snapshotMs = round(snapshotMs - snapStart)
      finish()
      continue
    }
    const afterDown = await snap()
    const compared = split(described(compare(before, afterDown), `down of ${label}`, DOWN_VERBS))
    r.differences = compared.differences
    if (compared.columnOrder.length > 0) r.columnOrder = compared.columnOrder
    try {
      r.timings.reupMs = await timed(() => run(up, notes))
    } catch (e) {
      checkAbort()
      fail(e, 'up again')
      // Usually the down left something the up trips over: the differences
      // say what, and they are the finding; the error is its consequence.
      if (r.status === 'failed' && r.differences.length > 0) r.status = 'not-restored'
      r.timings.snapshotMs = round(snapshotMs - snapStart)
      finish()
      continue
    }
    before = await snap()
    // Dead catalog rows slow the snapshots' lookups down (counted as snapshot time).
    if ((i + 1) % TIDY_EVERY === 0 && engine.tidy) {
      const t = performance.now()
      await engine.tidy()
      snapshotMs += performance.now() - t
    }
    r.timings.snapshotMs = round(snapshotMs - snapStart)
    r.status = r.differences.length > 0 ? 'not-restored' : 'ok'
    done.push({ up, down })
    finish()
  }
  const tMigrations = performance.now()

  const roundTrip = await (async (): Promise<Rehearsal['roundTrip']> => {
    if (roundTripBlocked !== undefined || steps.length === 0) {
      const reason = roundTripBlocked ?? 'not run: no migrations'
      const notRun: RoundTripCheck = { status: 'not-run', differences: [], reason, ms: 0 }
      return { down: notRun, up: { ...notRun } }
    }
    const full = kept(before)
    const downPass = await pass([...done].reverse().map((d) => d.down), empty, 'rolling back every migration', ALL_DOWN_VERBS)
    emit({ type: 'round-trip', direction: 'down', result: downPass })
    if (downPass.status === 'failed') {
      const upPass: RoundTripCheck = { status: 'not-run', differences: [], reason: 'not run: rolling back every migration failed', ms: 0 }
      emit({ type: 'round-trip', direction: 'up', result: upPass })
      return { down: downPass, up: upPass }
    }
    const upPass = await pass(
      done.map((d) => d.up),
      full,
      'applying every migration again',
      ALL_UP_VERBS,
    )
    emit({ type: 'round-trip', direction: 'up', result: upPass })
    return { down: downPass, up: upPass }
  })()

  async function pass(stepsToRun: PlanStep[], expected: Schema, subject: string, verbs: Verbs): Promise<RoundTripCheck> {
    const t = performance.now()
    for (const step of stepsToRun) {
      try {
        await run(step)
      } catch (e) {
        checkAbort()
        return { status: 'failed', differences: [], error: toCheckError(e), ms: round(performance.now() - t) }
      }
    }
    const { differences, columnOrder } = split(described(diffSchemas(expected, await snap()), subject, verbs))
    return {
      status: differences.length > 0 ? 'not-restored' : 'ok',
      differences,
      ...(columnOrder.length > 0 ? { columnOrder } : {}),
      ms: round(performance.now() - t),
    }
  }

  return {
    forwardOnly,
    migrations: results,
    roundTrip,
    migrationsMs: round(tMigrations - t0),
    roundTripMs: round(performance.now() - tMigrations),
    snapshotMs: round(snapshotMs),
  }
}

/** Differences with their sentence: `down of 004 leaves column users.avatar_url`. */
export function described(diffs: Difference[], subject: string, verbs: Verbs): CheckDifference[] {
  return diffs.map((d) => ({ ...d, message: `${subject} ${describeDifference(d, verbs)}` }))
}

/** `004` from `004_add_availability_columns`: the version as the file names it. */
export function versionLabel(name: string): string {
  return /^\d+/.exec(name)?.[0] ?? name
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10
}
