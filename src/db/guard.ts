/**
 * The guard that runs first inside each migration's transaction: it takes
 * the service's transaction-level lock and re-checks the bookkeeping, so
 * that even where the session lock does not hold (a pooler in transaction
 * mode) a migration is applied exactly once. It raises ALREADY_APPLIED /
 * NOT_APPLIED, and LOCK_GONE / PREVIOUS_NOT_DONE for the checks asked for.
 *
 * Two forms with the same checks and messages:
 * - a DO block, sent with every migration: works on any connection, but
 *   the server compiles it and plans its queries each time (~0.15-0.2 ms of
 *   server time per migration, measured with pgbench: more than a tiny
 *   migration's own work);
 * - a temporary plpgsql function created once on the run's connection,
 *   whose plans the server keeps for the session: used for long runs on a
 *   connection proven to be one server session (a temporary object does not
 *   follow a transaction-mode pooler from one server connection to another).
 */
import { randomBytes } from 'node:crypto'
import { lockKeys } from './keys.js'
import { ALREADY_APPLIED, literal, LOCK_GONE, NOT_APPLIED, PREVIOUS_NOT_DONE, recordUpTemplate, type Tracking } from './tracking.js'

export interface GuardChecks {
  /** SQL condition, true while the service's session lock is held (HeldLock.heldSql). */
  lockHeld?: string
  /**
   * The version of the run's previous migration: it must be recorded (up) or
   * gone (down). Migrations are sent ahead in one pipeline; when one fails at
   * its COMMIT the next one's BEGIN would start afresh, and this stops it.
   */
  after?: number
}

type Direction = 'up' | 'down'

const raiseLockGone = (s: string) =>
  `raise exception 'link-migrate: the migration lock of service % is no longer held', ${s} using errcode = '${LOCK_GONE}';`

/** The guard as a DO block (see the file's comment). */
export function guardSql(t: Tracking, service: string, version: number, direction: Direction, checks: GuardChecks = {}): string {
  const [k1, k2] = lockKeys.xact(service)
  const s = literal(service)
  const up = direction === 'up'
  const recorded = (v: number) => `(select 1 from ${t.records} where service = ${s} and version = ${v})`
  const lock = checks.lockHeld ? `if not (${checks.lockHeld}) then ${raiseLockGone(s)} end if; ` : ''
  const after =
    checks.after === undefined
      ? ''
      : `if ${up ? 'not exists' : 'exists'} ${recorded(checks.after)} then raise exception 'link-migrate: version ${checks.after} before it was not ${up ? 'applied' : 'rolled back'}' using errcode = '${PREVIOUS_NOT_DONE}'; end if; `
  return (
    `select pg_advisory_xact_lock(${k1}, ${k2});\n` +
    `do $lm_guard$ begin ${lock}${after}if ${up ? 'exists' : 'not exists'} ${recorded(version)} ` +
    `then raise exception 'link-migrate: version ${version} was ${up ? 'applied' : 'rolled back'} by another runner' using errcode = '${up ? ALREADY_APPLIED : NOT_APPLIED}'; end if; end $lm_guard$;\n`
  )
}

/** The guard as a temporary function of one run (see the file's comment). */
export interface GuardFunction {
  /** `pg_temp.link_migrate_guard_<random>`: a file cannot name it, so cannot replace it. */
  name: string
  /** Creates it (`create or replace`: also after a file dropped the session's temporary objects). */
  create: string
  drop: string
}

/**
 * The guard function for `service`'s run; `lockHeld` (HeldLock.heldSql) is
 * fixed for the run, so it is part of the body rather than an argument.
 * Given a name and a checksum (an up), it also writes the migration's
 * bookkeeping (recordUpSql) after its checks: in the migration's
 * transaction as before, only before the file's statements instead of
 * after them, so it commits with them or not at all. Two statements fewer
 * per migration for the server to parse and plan and for the client to
 * send and read (W4: 10,000 tiny migrations).
 */
export function guardFunction(t: Tracking, service: string, lockHeld: string | undefined): GuardFunction {
  const [k1, k2] = lockKeys.xact(service)
  const s = literal(service)
  const name = `pg_temp.link_migrate_guard_${randomBytes(8).toString('hex')}`
  const recorded = (v: string) => `exists (select 1 from ${t.records} where service = ${s} and version = ${v})`
  const done = `case when up then 'applied' else 'rolled back' end`
  const body =
    `begin perform pg_catalog.pg_advisory_xact_lock(${k1}, ${k2}); ` +
    (lockHeld ? `if not (${lockHeld}) then ${raiseLockGone(s)} end if; ` : '') +
    `if prev is not null and up <> ${recorded('prev')} then ` +
    `raise exception 'link-migrate: version % before it was not %', prev, ${done} using errcode = '${PREVIOUS_NOT_DONE}'; end if; ` +
    `if up = ${recorded('v')} then raise exception 'link-migrate: version % was % by another runner', v, ${done} ` +
    `using errcode = case when up then '${ALREADY_APPLIED}' else '${NOT_APPLIED}' end; end if; ` +
    `if rec_name is not null then ${recordUpTemplate(t, s, 'v', 'rec_name', 'rec_checksum')} end if; end`
  const args = 'v bigint, up boolean, prev bigint, rec_name text, rec_checksum text'
  return {
    name,
    create: `create or replace function ${name}(${args}) returns void language plpgsql as $lm_guard$ ${body} $lm_guard$;\n`,
    drop: `drop function if exists ${name}(bigint, boolean, bigint, text, text);\n`,
  }
}

/**
 * The call of the run's guard function for one migration (same checks as
 * {@link guardSql}); with `record` it also writes an up's bookkeeping.
 */
export function guardCallSql(
  fn: GuardFunction,
  version: number,
  direction: Direction,
  after?: number,
  record?: { name: string; checksum: string },
): string {
  const rec = record ? `${literal(record.name)}, ${literal(record.checksum)}` : 'null, null'
  return `select ${fn.name}(${version}, ${direction === 'up'}, ${after ?? 'null'}, ${rec});\n`
}

/**
 * Whether a file could drop the session's temporary objects (and the guard
 * function with them): DISCARD TEMP / ALL, DROP OWNED, anything naming
 * pg_temp. After such a file the function is created again.
 */
export function mayDropTemporary(sql: string): boolean {
  return /\bdiscard\b|\bdrop\s+owned\b|\bpg_temp/i.test(sql)
}
