/**
 * Pure planning: (files, applied rows, options) -> what is applied, pending,
 * modified, missing, and which steps an `up` or `down` would take. No I/O.
 */
import { ConfigError, IntegrityError, MigrateError } from '../errors.js'
import type { AppliedRow, Interruption, MigrationFile, ProgressMarker, StatusEntry } from '../types.js'

export interface State {
  /** Every version, file or record, in version order. */
  entries: StatusEntry[]
  /**
   * Highest applied version, 0 when none: whether anything is applied is
   * decided from the records (`entries`), since version 0 is a version.
   */
  currentVersion: number
  pending: MigrationFile[]
  /** Pending migrations older than the current version (a branch merged late). */
  outOfOrder: MigrationFile[]
  /** Applied migrations whose file changed since. */
  modified: StatusEntry[]
  /** Applied migrations whose file is gone. */
  missing: StatusEntry[]
  /** Versions whose statement-by-statement run did not finish (states `interrupted` and `partial`). */
  interrupted: StatusEntry[]
}

/**
 * `markers`: unfinished statement-by-statement runs (link_migrate_progress);
 * their versions get state `interrupted` (no-transaction file) or `partial`
 * (file with its own transactions), whether recorded or not.
 */
export function computeState(files: MigrationFile[], applied: AppliedRow[], markers: ProgressMarker[] = []): State {
  const byVersion = new Map(applied.map((r) => [r.version, r]))
  const fileVersions = new Set(files.map((f) => f.version))
  const currentVersion = applied.reduce((max, r) => Math.max(max, r.version), 0)
  const entries: StatusEntry[] = []
  const pending: MigrationFile[] = []

  for (const f of files) {
    const row = byVersion.get(f.version)
    if (!row) {
      pending.push(f)
      entries.push({
        version: f.version,
        name: f.name,
        state: 'pending',
        appliedAt: null,
        checksum: f.checksum,
        hasDown: Boolean(f.down),
      })
    } else {
      const modified = row.checksum !== f.checksum
      entries.push(
        recorded(
          {
            version: f.version,
            name: row.name,
            state: modified ? 'modified' : 'applied',
            appliedAt: null,
            checksum: row.checksum,
            ...(modified ? { fileChecksum: f.checksum } : {}),
            hasDown: Boolean(f.down),
          },
          row,
        ),
      )
    }
  }
  for (const row of applied) {
    if (fileVersions.has(row.version)) continue
    entries.push(recorded({ version: row.version, name: row.name, state: 'missing', appliedAt: null, checksum: row.checksum, hasDown: false }, row))
  }
  const modified = entries.filter((e) => e.state === 'modified')
  const missing = entries.filter((e) => e.state === 'missing')
  const byEntry = new Map(entries.map((e) => [e.version, e]))
  for (const m of markers) {
    let e = byEntry.get(m.version)
    if (!e) {
      // Neither file nor record: an up that stopped half-way, its file deleted since.
      e = { version: m.version, name: m.name, state: 'interrupted', appliedAt: null, checksum: m.checksum, hasDown: false }
      entries.push(e)
    }
    e.state = m.kind === 'own-transactions' ? 'partial' : 'interrupted'
    e.interrupted = interruption(m)
  }
  entries.sort((a, b) => a.version - b.version)

  return {
    entries,
    currentVersion,
    pending,
    outOfOrder: pending.filter((f) => f.version < currentVersion),
    modified,
    missing,
    interrupted: entries.filter((e) => e.interrupted),
  }
}

function interruption(m: ProgressMarker): Interruption {
  const at = (n: number) => ({ statement: n, line: m.lines[n - 1] ?? 0 })
  return {
    direction: m.direction,
    kind: m.kind,
    file: m.file,
    statements: m.lines.length,
    ran: m.ran.map(at),
    running: m.running === null ? null : at(m.running),
    error: m.error,
    startedAt: m.startedAt.toISOString(),
    updatedAt: m.updatedAt.toISOString(),
  }
}

/** Entries made from a record by {@link recorded}: known recorded without reading their time. */
const RECORDED = new WeakSet<StatusEntry>()

/**
 * `entry` with appliedAt the record's ISO time, computed when first read
 * (an own enumerable property in its place: JSON and copies see a string).
 * A no-op `up` reads no time (see appliedRow in db/tracking.ts).
 */
function recorded(entry: StatusEntry, row: AppliedRow): StatusEntry {
  RECORDED.add(entry)
  const set = (value: string | null) => Object.defineProperty(entry, 'appliedAt', { value, writable: true, enumerable: true, configurable: true })
  Object.defineProperty(entry, 'appliedAt', {
    enumerable: true,
    configurable: true,
    get: () => {
      const iso = row.appliedAt.toISOString()
      set(iso)
      return iso
    },
    set,
  })
  return entry
}

/** Recorded in migration_records (whatever its file says): what `down` can roll back. */
export function isRecorded(e: StatusEntry): boolean {
  return RECORDED.has(e) || e.appliedAt !== null
}

export interface UpOptions {
  to?: number
  steps?: number
  allowOutOfOrder?: boolean
  strict?: boolean
}

/**
 * The migrations `up` will apply, in order. Throws MigrateError OUT_OF_ORDER
 * (exit 1) for a late-merged migration unless allowed, IntegrityError (exit 3)
 * for changed files under `strict`.
 */
export function planUp(state: State, opts: UpOptions): MigrationFile[] {
  checkTarget(opts)
  if (opts.strict && state.modified.length > 0) {
    throw new IntegrityError(
      `${state.modified.length} applied migration(s) changed since they were applied; refusing to run with --strict`,
      state.modified.map((e) => `${e.name}: recorded ${e.checksum.slice(0, 12)}, file now ${e.fileChecksum?.slice(0, 12)}`),
    )
  }
  if (state.outOfOrder.length > 0 && !opts.allowOutOfOrder) {
    const first = state.outOfOrder[0]!
    throw new MigrateError(
      'OUT_OF_ORDER',
      `pending migration ${first.name} (version ${first.version}) is older than the current version ${state.currentVersion}; ` +
        'apply it with --allow-out-of-order, or renumber it',
      { details: state.outOfOrder.slice(1).map((f) => `also out of order: ${f.name}`) },
    )
  }
  let steps = state.pending
  if (opts.to !== undefined) steps = steps.filter((f) => f.version <= opts.to!)
  if (opts.steps !== undefined) steps = steps.slice(0, opts.steps)
  return steps
}

export interface DownOptions {
  to?: number
  steps?: number
  /** Roll back every applied migration, version 0 included. */
  all?: boolean
}

/**
 * Applied migrations `down` will roll back, newest first (default: one).
 * Throws MigrateError DOWN_MISSING before anything runs when any of them has
 * no file or no down file.
 */
export function planDown(state: State, files: MigrationFile[], opts: DownOptions): MigrationFile[] {
  checkTarget(opts)
  const applied = state.entries.filter(isRecorded).reverse()
  let chosen = applied
  if (opts.all) chosen = applied
  else if (opts.to !== undefined) chosen = chosen.filter((e) => e.version > opts.to!)
  else chosen = chosen.slice(0, opts.steps ?? 1)

  const byVersion = new Map(files.map((f) => [f.version, f]))
  return chosen.map((e) => {
    const f = byVersion.get(e.version)
    if (!f) {
      throw new MigrateError(
        'DOWN_MISSING',
        `cannot roll back ${e.name}: its up file is gone from the migrations directory ` +
          `(restore it, or undo it by hand and remove its record with mark ${e.version} --pending); nothing was changed`,
      )
    }
    if (!f.down) {
      const expected = f.up.file.endsWith('_up.sql') ? `${f.name}_down.sql` : `${f.name}.down.sql`
      throw new MigrateError('DOWN_MISSING', `cannot roll back ${f.name}: there is no down file (${expected}); nothing was changed`)
    }
    return f
  })
}

/** Throws ConfigError for `--to` with `--steps`; call before touching the database. */
export function checkTarget(opts: { to?: number; steps?: number; all?: boolean }): void {
  if (opts.to !== undefined && opts.steps !== undefined) {
    throw new ConfigError('--to and --steps cannot be used together', 'TARGET_INVALID')
  }
  if (opts.all && (opts.to !== undefined || opts.steps !== undefined)) {
    throw new ConfigError('--all cannot be used with --to or --steps', 'TARGET_INVALID')
  }
}
