/**
 * PostgreSQL's eight table-level lock modes (pg_locks.mode spelling), from
 * weakest to strongest, and what each blocks in plain words: whether other
 * sessions' reads (SELECT) and writes (INSERT, UPDATE, DELETE) have to wait
 * while it is held. From the documentation's "Explicit Locking" table.
 * Pure data.
 */

export type LockMode =
  | 'AccessShareLock'
  | 'RowShareLock'
  | 'RowExclusiveLock'
  | 'ShareUpdateExclusiveLock'
  | 'ShareLock'
  | 'ShareRowExclusiveLock'
  | 'ExclusiveLock'
  | 'AccessExclusiveLock'

/** What a lock makes other sessions wait for: `reads and writes`, `writes`, or `nothing` (only other DDL). */
export type Blocks = 'reads and writes' | 'writes' | 'nothing'

interface ModeInfo {
  /** 1 (weakest) .. 8 (strongest). */
  strength: number
  blocks: Blocks
  /** What else waits, in words, e.g. `VACUUM, CREATE INDEX CONCURRENTLY and other schema changes`. */
  detail: string
}

const MODES: Record<LockMode, ModeInfo> = {
  AccessShareLock: { strength: 1, blocks: 'nothing', detail: 'only ACCESS EXCLUSIVE (DROP, most ALTER TABLE) waits' },
  RowShareLock: { strength: 2, blocks: 'nothing', detail: 'only EXCLUSIVE and ACCESS EXCLUSIVE wait' },
  RowExclusiveLock: { strength: 3, blocks: 'nothing', detail: 'reads and writes go on; CREATE INDEX (non-concurrent) and stronger DDL wait' },
  ShareUpdateExclusiveLock: {
    strength: 4,
    blocks: 'nothing',
    detail: 'reads and writes go on; VACUUM, CREATE INDEX CONCURRENTLY and other schema changes wait',
  },
  ShareLock: { strength: 5, blocks: 'writes', detail: 'reads go on; INSERT, UPDATE, DELETE wait' },
  ShareRowExclusiveLock: { strength: 6, blocks: 'writes', detail: 'reads go on; INSERT, UPDATE, DELETE wait' },
  ExclusiveLock: { strength: 7, blocks: 'writes', detail: 'plain SELECT goes on; writes and SELECT FOR UPDATE/SHARE wait' },
  AccessExclusiveLock: { strength: 8, blocks: 'reads and writes', detail: 'every query on it waits, reads included' },
}

/** True for a pg_locks.mode of a table-level lock we know. */
export function isLockMode(mode: string): mode is LockMode {
  return Object.hasOwn(MODES, mode)
}

/** 1 (AccessShareLock) .. 8 (AccessExclusiveLock). */
export function strength(mode: LockMode): number {
  return MODES[mode].strength
}

export function blocks(mode: LockMode): Blocks {
  return MODES[mode].blocks
}

/** One sentence on what waits for this lock. */
export function blocksDetail(mode: LockMode): string {
  return MODES[mode].detail
}

/** A lock that makes writes (or reads too) wait: ShareLock and stronger. */
export function isStrong(mode: LockMode): boolean {
  return MODES[mode].strength >= MODES.ShareLock.strength
}

/** The stronger of two modes. */
export function stronger(a: LockMode, b: LockMode): LockMode {
  return strength(a) >= strength(b) ? a : b
}

/** `ACCESS EXCLUSIVE` from `AccessExclusiveLock`: the documentation's (and LOCK TABLE's) spelling. */
export function sqlName(mode: LockMode): string {
  return mode
    .replace(/Lock$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toUpperCase()
}
