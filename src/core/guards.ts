/**
 * Which guard each transactional migration of a run gets (db/guard.ts): the
 * DO block, or, for a long run on a connection proven to be one server
 * session, a temporary function created once, whose plans the server keeps
 * (W4, 10,000 tiny migrations: ~0.15 ms of server time saved on each).
 */
import type { ReservedSql } from 'postgres'
import { connectionLost } from '../db/error.js'
import type { HeldLock } from '../db/lock.js'
import { guardCallSql, guardFunction, type GuardFunction, guardSql, mayDropTemporary } from '../db/guard.js'
import type { Tracking } from '../db/tracking.js'
import type { PlanStep } from '../types.js'

/**
 * From this many transactional migrations on, the function pays for itself:
 * creating it (the session's first temporary object) and its first call
 * cost ~3-5 ms of server time.
 */
export const GUARD_FUNCTION_FROM = 16

export interface RunGuards {
  /** Creates the function before the first migration that uses it (call inside the migration's watch: it is a round trip). */
  ready(): Promise<void>
  /**
   * The guard for `step`, run after `previous` (checked to be done) while
   * the lock is held; `records`: it also writes an up's bookkeeping (the
   * function does), so the caller must not.
   */
  prefix(step: PlanStep, previous: PlanStep | undefined): { sql: string; records: boolean }
  /** SQL for the end of `step`'s transaction: creates the function again if the file may have dropped it. */
  restore(step: PlanStep): string
  /** After a step that ran outside a transaction, the same as `restore`, sent on its own. */
  restoreAfter(step: PlanStep): Promise<void>
  /**
   * After the run: the function goes (a caller's pool keeps the session),
   * unless the run failed on its connection (nothing may be sent on it then).
   */
  finish(failure?: unknown): void
}

export function runGuards(
  conn: ReservedSql,
  t: Tracking,
  service: string,
  lock: HeldLock | undefined,
  steps: readonly PlanStep[],
): RunGuards {
  const lockHeld = lock?.heldSql
  const long = steps.filter((s) => s.transactional).length >= GUARD_FUNCTION_FROM
  // A temporary object stays on one server session: not behind a pooler.
  let fn: GuardFunction | undefined = long && lock && !lock.pooled && lockHeld !== undefined ? guardFunction(t, service, lockHeld) : undefined
  let created: Promise<void> | undefined
  return {
    ready: () =>
      fn
        ? (created ??= conn.unsafe(fn.create).then(
            () => {},
            // No TEMP privilege on the database, say: the DO block does the same.
            () => void (fn = undefined),
          ))
        : Promise.resolve(),
    prefix: (step, previous) =>
      fn
        ? {
            sql: guardCallSql(fn, step.version, step.direction, previous?.version, step.direction === 'up' ? step : undefined),
            records: step.direction === 'up',
          }
        : { sql: guardSql(t, service, step.version, step.direction, { lockHeld, after: previous?.version }), records: false },
    restore: (step) => (fn && mayDropTemporary(step.sql) ? fn.create : ''),
    restoreAfter: async (step) => {
      if (fn && mayDropTemporary(step.sql)) await conn.unsafe(fn.create)
    },
    finish: (failure) => {
      const gone = failure !== undefined && (connectionLost(failure) || /^CONNECTION_/.test(String((failure as { code?: unknown }).code)))
      if (fn && created && !gone) void conn.unsafe(fn.drop).catch(() => {})
    },
  }
}
