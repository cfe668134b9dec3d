/**
 * "Who is blocking me": while a migration runs, a side connection asks
 * `pg_blocking_pids()` about the migration's backend every half second.
 * When it has waited for a lock for 2 s, or when it fails on lock_timeout,
 * each session blocking it is described once per run (a `blocked` event).
 * The side connection opens only when a migration runs long enough to be
 * polled; a failing poll stops the polling, never the migration.
 */
import type { ReservedSql, Sql } from 'postgres'
import { QueryError } from '../errors.js'
import { blockingPids, describeBlockers } from '../db/blockers.js'
import type { MigrateEvent, PlanStep } from '../types.js'

export interface BlockedOptions {
  service: string
  /** The side connection (opened on first use; never the migration's own). */
  side: () => Promise<Sql | ReservedSql>
  /** The migration connection's backend pid. */
  workPid: number
  emit: (e: MigrateEvent) => void
  /** Report a wait this long (default 2000 ms). */
  waitMs?: number
  /** Poll this often (default 500 ms; more often under a shorter lock_timeout). */
  pollMs?: number
}

/** SQLSTATE lock_not_available: what lock_timeout raises. */
const LOCK_NOT_AVAILABLE = '55P03'

/** Wraps each attempt of a migration; returns the wrapper. */
export function watchBlocked(o: BlockedOptions): <T>(step: PlanStep, lockTimeoutMs: number | undefined, run: () => Promise<T>) => Promise<T> {
  const reported = new Set<number>()
  let broken = false
  const waitMs = o.waitMs ?? 2000
  const report = async (step: PlanStep, pids: number[], started: number, reason: 'waiting' | 'lock_timeout') => {
    const fresh = pids.filter((p) => !reported.has(p))
    if (fresh.length === 0) return
    for (const p of fresh) reported.add(p)
    const waitedMs = Math.round(performance.now() - started)
    for (const blocker of await describeBlockers(await o.side(), fresh)) {
      o.emit({ type: 'blocked', service: o.service, file: step.file, reason, waitedMs, blocker })
    }
  }
  // The first poll of each attempt: one timer for the run, re-armed per
  // attempt (a timer made and cleared per migration costs 10,000 tiny ones
  // ~30 ms of CPU). Unref'd: the attempt's own query holds the process.
  let first: NodeJS.Timeout | undefined
  let firstMs = 0
  let firstPoll: (() => void) | undefined
  const arm = (ms: number, poll: () => void) => {
    firstPoll = poll
    if (first && firstMs === ms) first.refresh()
    else {
      clearTimeout(first)
      first = setTimeout(() => firstPoll?.(), (firstMs = ms)).unref()
    }
  }
  return async (step, lockTimeoutMs, run) => {
    if (broken) return run()
    const started = performance.now()
    const pollMs = Math.max(50, Math.min(o.pollMs ?? 500, lockTimeoutMs !== undefined ? lockTimeoutMs / 2 : Infinity))
    let last: number[] = []
    let done = false
    /** The polls after the first. */
    let timer: NodeJS.Timeout | undefined
    let polling: Promise<void> = Promise.resolve()
    const poll = () => {
      polling = (async () => {
        try {
          last = await blockingPids(await o.side(), o.workPid)
          if (!done && last.length > 0 && performance.now() - started >= waitMs) await report(step, last, started, 'waiting')
        } catch {
          broken = true // the side connection is gone: the run goes on without it
        }
        if (!done && !broken) timer = setTimeout(poll, pollMs)
      })()
    }
    arm(pollMs, poll)
    try {
      return await run()
    } catch (e) {
      if (e instanceof QueryError && e.sqlState === LOCK_NOT_AVAILABLE && !broken) {
        done = true
        if (firstPoll === poll) firstPoll = undefined
        clearTimeout(timer)
        await polling
        // Those it waited for are most likely still there, holding the lock.
        await report(step, last, started, 'lock_timeout').catch(() => {})
      }
      throw e
    } finally {
      done = true
      if (firstPoll === poll) firstPoll = undefined
      clearTimeout(timer)
    }
  }
}
