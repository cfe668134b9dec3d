/**
 * Watching each migration of a run from the client side:
 *
 * - it starts only while the migration lock is still held (a lock whose
 *   connection died, or that a file released with pg_advisory_unlock_all(),
 *   stops the run before the next migration);
 * - it is bounded end to end on the client (`--timeout` plus a margin), even
 *   when the network goes silent and no cancel can reach the server;
 * - when its connection is lost, whether it committed is looked up on a new
 *   connection and said: "002_x committed before the connection was lost" or
 *   "002_x was not applied";
 * - "skipped" (another runner did it) is believed only when the bookkeeping
 *   says so: a file that raises the guard's SQLSTATE itself cannot fake it.
 */
import { isMigrateError, MigrateError } from '../errors.js'
import { connectionLost } from '../db/error.js'
import { boundsInTurn, StalledError } from '../db/deadline.js'
import type { PlanStep } from '../types.js'

export interface WatchOptions {
  service: string
  /** `host:port`, for messages. */
  target: string
  /** Client-side bound of one migration, end to end (`--timeout` + margin). */
  stallMs: number
  /** Closes the run's connections after a stall (nothing may keep waiting on them). */
  abort: () => void
  /**
   * False when the lock is gone (never throws). Asked before each migration;
   * a transactional one's guard also checks the lock on the server as it
   * starts (HeldLock.heldSql), so this may answer from what it knows, at
   * once (a boolean: nothing to wait for, nothing to bound).
   */
  lockHeld: (step: PlanStep) => boolean | Promise<boolean>
  /** Whether `step` is recorded as applied, read on the run's work connection. */
  recorded: (step: PlanStep) => Promise<boolean>
  /** The same for each of `steps`, read on a new connection (the run's own is gone). Throws when the server cannot be reached. */
  recordedAfresh: (steps: PlanStep[]) => Promise<boolean[]>
}

export type Outcome = 'done' | 'skipped'

/** Wraps one migration's run; throws MigrateError LOCK_LOST, CONNECTION_STALLED, CONNECTION_LOST or MIGRATION_FAILED. */
export function watchSteps(o: WatchOptions): (step: PlanStep, run: () => Promise<Outcome>, behind?: () => PlanStep[]) => Promise<Outcome> {
  // One timer for the whole run, re-armed for each wait (they come one after another).
  const bound = boundsInTurn(o.stallMs, o.abort)
  return async (step, run, behind) => {
    const known = o.lockHeld(step)
    const held = typeof known === 'boolean' ? known : await bound(known, { target: o.target, doing: `checking the migration lock before ${step.file}` })
    if (!held) throw lockLostError(o.service, step)
    let outcome: Outcome
    try {
      outcome = await bound(run(), { target: o.target, doing: `running ${step.file}` })
    } catch (e) {
      if (!(e instanceof StalledError) && !connectionLost(e)) throw e
      throw await lostDuring(o, step, behind?.() ?? [], e)
    }
    // Another runner's up leaves the record there; another runner's down takes it away.
    if (outcome === 'skipped' && (await o.recorded(step)) !== (step.direction === 'up')) {
      throw new MigrateError(
        'MIGRATION_FAILED',
        `${step.file}: raised link-migrate's own guard error, but no other runner ${step.direction === 'up' ? 'applied' : 'rolled back'} ` +
          `version ${step.version}; the migration was rolled back`,
      )
    }
    return outcome
  }
}

/** The run stops before `step`: the service's lock is gone. */
export function lockLostError(service: string, step: PlanStep, cause?: unknown): MigrateError {
  return new MigrateError(
    'LOCK_LOST',
    `the migration lock of service ${service} was lost (its connection closed: a server restart, pg_terminate_backend, ` +
      `the network, or a migration that called pg_advisory_unlock_all()); ${step.name} and the migrations after it were not started`,
    { cause },
  )
}

/**
 * The error for a migration whose connection went away: what happened to it,
 * looked up afresh, and to the migrations sent behind it in the same
 * pipeline (the server runs what it received, even when its answers are lost).
 */
async function lostDuring(o: WatchOptions, step: PlanStep, behind: PlanStep[], e: unknown): Promise<MigrateError> {
  const what = e instanceof StalledError ? e.message : `the connection to ${o.target} was lost while running ${step.file} (${reason(e)})`
  let fate: string
  try {
    const recorded = await o.recordedAfresh([step, ...behind])
    const committed = (s: PlanStep, i: number) => recorded[i] === (s.direction === 'up')
    const done = committed(step, 0)
    const alsoDone = behind.filter((s, i) => committed(s, i + 1)).map((s) => s.name)
    if (done) {
      fate = `${step.name} ${step.direction === 'up' ? 'committed' : 'was rolled back (committed)'} before the connection was lost`
      if (alsoDone.length > 0) fate += `; so did ${alsoDone.join(', ')}, sent behind it in the same pipeline`
    } else if (!step.transactional) {
      fate = `${step.name} was not recorded; it runs without a transaction, so some of its statements may have run (the next run starts it again)`
    } else fate = `${step.name} was not ${step.direction === 'up' ? 'applied' : 'rolled back'}`
  } catch (e2) {
    fate = `whether ${step.name} committed is unknown (the database could not be asked: ${reason(e2)}); see status`
  }
  return new MigrateError(e instanceof StalledError ? 'CONNECTION_STALLED' : 'CONNECTION_LOST', `${what}; ${fate}`, { cause: e })
}

function reason(e: unknown): string {
  // A QueryError wrapping a network error: the network error says it.
  while (isMigrateError(e) && e.cause !== undefined && !(e instanceof StalledError)) e = e.cause
  if (isMigrateError(e)) return e.message
  const err = e as { code?: string; message?: string }
  // postgres.js's own codes read as `write CONNECTION_CLOSED host:port`.
  if (err?.code === 'CONNECTION_CLOSED' || err?.code === 'ECONNRESET') return 'the server closed it'
  if (err?.code === 'CONNECTION_DESTROYED' || err?.code === 'CONNECTION_ENDED') return 'it was closed'
  return err?.message ?? String(e)
}
