/**
 * Client-side bounds on waiting for the server. A network that goes silent
 * (packets dropped, not refused) leaves a socket open that never answers:
 * neither PostgreSQL's statement_timeout nor a cancel request (which needs
 * the same network) ends that wait, so every wait link-migrate makes on the
 * network is raced against a timer here.
 */
import { MigrateError } from '../errors.js'
import { formatMs } from './lock.js'

/**
 * How long past `--timeout` a migration (or any statement link-migrate
 * sends) may go without an answer before the connection is given up: time
 * for the cancel sent at `--timeout` to come back as an error.
 */
export const STALL_MARGIN_MS = 10_000

/** The network or the server stopped answering; the connection was given up. */
export class StalledError extends MigrateError {
  constructor(message: string) {
    super('CONNECTION_STALLED', message)
    this.name = 'StalledError'
  }
}

/**
 * `promise`, or a StalledError when it has not settled within `ms`:
 * `no answer from db:5432 within 12s while running 002_x.up.sql`. `onStall`
 * runs first (to close the connection, so nothing keeps waiting on it).
 * `ms` undefined or 0: no bound.
 */
export async function bounded<T>(
  promise: Promise<T>,
  ms: number | undefined,
  what: { target: string; doing: string },
  onStall?: (e: StalledError) => void,
): Promise<T> {
  if (!ms) return promise
  let timer: NodeJS.Timeout | undefined
  const stall = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const e = new StalledError(`no answer from ${what.target} within ${formatMs(ms)} while ${what.doing}`)
      onStall?.(e)
      reject(e)
    }, ms)
  })
  try {
    return await Promise.race([promise, stall])
  } finally {
    clearTimeout(timer)
    // The raced promise may still reject later (its connection closed): not unhandled.
    promise.catch(() => {})
  }
}

/** {@link bounded} for waits made one after another (see {@link boundsInTurn}). */
export interface InTurn {
  <T>(promise: Promise<T>, what: { target: string; doing: string }): Promise<T>
}

/**
 * {@link bounded} for a sequence of waits, one after the other (a run's
 * migrations): one timer for all of them, re-armed for each
 * (`Timeout#refresh`), instead of one made and cleared per wait, which
 * costs a run of 10,000 tiny migrations ~40 ms of CPU per bound. It holds
 * the process only while a wait is pending (unref'd between waits). A wait
 * begun while another is pending gets a timer of its own.
 */
export function boundsInTurn(ms: number | undefined, onStall?: (e: StalledError) => void): InTurn {
  let timer: NodeJS.Timeout | undefined
  let pending: { reject: (e: StalledError) => void; what: { target: string; doing: string } } | undefined
  const fire = () => {
    const wait = pending
    if (!wait) return
    pending = undefined
    const e = new StalledError(`no answer from ${wait.what.target} within ${formatMs(ms!)} while ${wait.what.doing}`)
    onStall?.(e)
    wait.reject(e)
  }
  return async <T>(promise: Promise<T>, what: { target: string; doing: string }): Promise<T> => {
    if (!ms) return promise
    if (pending) return bounded(promise, ms, what, onStall)
    const stall = new Promise<never>((_, reject) => (pending = { reject, what }))
    const mine = pending
    if (timer) timer.refresh().ref()
    else timer = setTimeout(fire, ms)
    try {
      return await Promise.race([promise, stall])
    } finally {
      if (pending === mine) pending = undefined
      timer.unref()
      // The raced promise may still reject later (its connection closed): not unhandled.
      promise.catch(() => {})
    }
  }
}
