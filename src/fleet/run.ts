/**
 * migrateFleet: one migrations directory over many databases, N at a time,
 * canary first, stop or continue on error, a journal for `--resume`, and one
 * row per target. Each target gets its own migrator (the single-database
 * engine), so every guarantee of `up` (lock, one transaction per migration,
 * exactly once) holds per target.
 */
import { checkService, serviceFromDir } from '../config/target.js'
import type { DownOptions, UpOptions } from '../core/plan.js'
import { ConfigError } from '../errors.js'
import { assertUsable, scan } from '../source/scan.js'
import { openJournal, readDone, type Journal } from './journal.js'
import { runTarget, type SharedMigratorOptions } from './target.js'
import { resolveTargets, type ResolvedTarget } from './targets.js'
import type { FleetCommand, FleetEvent, FleetOutcome, FleetResult, FleetRow, FleetTarget } from './types.js'

export interface FleetOptions extends SharedMigratorOptions {
  /** The databases: URLs, or `{ name, url }`. Listed twice (same host/port/database) runs once. */
  targets: (string | FleetTarget)[]
  /** The migrations directory, the same for every target. */
  dir: string
  /** Service name; derived from `dir` when omitted. */
  service?: string
  /** What to do on each target (default `up`). */
  command?: FleetCommand
  /** `up` options for every target (`to`, `steps`, `allowOutOfOrder`, `strict`). */
  up?: UpOptions
  /** `down` options for every target (`to`, `steps`; default one step). */
  down?: DownOptions
  /** Targets worked on at once (default 4); each holds at most two connections (lock + work). */
  parallel?: number
  /** Migrate the first N targets first; the rest only when all of them succeeded (default 0: no canary). */
  canary?: number
  /** `stop` (default for up/down): no new target starts after a failure; `continue`: every target is tried. */
  onError?: 'stop' | 'continue'
  /** A file that records each target's outcome as it happens (JSON lines). */
  journal?: string
  /** Skip the targets the journal records as done (needs `journal`). */
  resume?: boolean
  /**
   * Aborting (Ctrl-C) stops the fleet: no new target starts, and each running
   * target's current migration is cancelled on the server and rolled back
   * (`stopped` rows; what was applied before it stays).
   */
  signal?: AbortSignal
  /** PG* variables fill what target URLs leave out (default process.env). */
  env?: Record<string, string | undefined>
  onEvent?: (e: FleetEvent) => void
}

const DEFAULT_PARALLEL = 4

/**
 * Runs `command` on every target and returns one row per target. Throws
 * ConfigError/FileError before any target is touched (bad options, bad
 * target URL, unusable migration files); a target's failure is a row.
 *
 * @example
 * const r = await migrateFleet({ targets: ['postgres://app@db1/t1', 'postgres://app@db2/t2'], dir: 'migrations', parallel: 8 })
 * if (!r.ok) for (const row of r.targets) if (row.error) console.log(row.target, row.error.message)
 */
export async function migrateFleet(options: FleetOptions): Promise<FleetResult> {
  const started = performance.now()
  const command = options.command ?? 'up'
  const service = options.service !== undefined ? checkService(options.service, 'service') : serviceFromDir(options.dir)
  const parallel = whole(options.parallel ?? DEFAULT_PARALLEL, 'parallel', 1)
  const canary = whole(options.canary ?? 0, 'canary', 0)
  const onError = options.onError ?? (command === 'up' || command === 'down' ? 'stop' : 'continue')
  if (onError !== 'stop' && onError !== 'continue') throw new ConfigError(`onError must be stop or continue, got ${JSON.stringify(onError)}`, 'USAGE')
  if (options.resume && !options.journal) throw new ConfigError('resume needs a journal file (--journal FILE)', 'USAGE')
  const env = options.env ?? process.env
  const { targets, duplicates } = resolveTargets(
    options.targets.map((t, i) => (typeof t === 'string' ? { name: '', url: t, origin: `targets[${i}]` } : t)),
    env,
  )
  if (targets.length === 0) throw new ConfigError('no targets', 'USAGE')
  // Unusable files fail every target the same way: say it once, before any
  // connects (a down file whose up file is gone depends on each target's records).
  if (command === 'up' || command === 'down') assertUsable(await scan(options.dir), 'later')

  const done = options.resume ? readDone(options.journal!, command, service) : new Map<string, FleetRow>()
  const journal: Journal | undefined = options.journal ? openJournal(options.journal, options.resume === true) : undefined
  journal?.write({ type: 'run', command, service, dir: options.dir, at: new Date().toISOString(), resume: options.resume === true })

  const emit = (e: FleetEvent) => options.onEvent?.(e)
  const rows = new Map<string, FleetRow>()
  const todo: ResolvedTarget[] = []
  for (const t of targets) {
    const before = done.get(t.key)
    if (before) rows.set(t.key, { ...before, target: t.name, url: t.connection.display, result: 'done-before' })
    else todo.push(t)
  }
  emit({ type: 'fleet-start', command, total: targets.length, resumed: targets.length - todo.length, parallel, canary: Math.min(canary, todo.length) })

  let stopped: FleetResult['stopped']
  const stop = (reason: NonNullable<FleetResult['stopped']>, target?: string) => {
    if (stopped) return
    stopped = reason
    emit({ type: 'fleet-stopping', reason, target })
  }
  const onAbort = () => stop('interrupted')
  if (options.signal?.aborted) onAbort()
  options.signal?.addEventListener('abort', onAbort, { once: true })

  const work = async (t: ResolvedTarget): Promise<FleetRow> => {
    emit({ type: 'target-start', target: t.name, url: t.connection.display })
    journal?.write({ type: 'start', key: t.key, target: t.name, at: new Date().toISOString() })
    const row = await runTarget(t, {
      command,
      dir: options.dir,
      service,
      up: options.up,
      down: options.down,
      migrator: pick(options),
      shouldStop: () => stopped !== undefined,
      signal: options.signal,
      onEvent: (event) => emit({ type: 'target-event', target: t.name, event }),
    })
    rows.set(t.key, row)
    journal?.write({ type: 'done', key: t.key, row, at: new Date().toISOString() })
    emit({ type: 'target-done', row })
    return row
  }

  try {
    const first = todo.slice(0, canary)
    const rest = todo.slice(first.length)
    await pool(first, parallel, work, () => stopped !== undefined, (row) => {
      if (row.result !== 'ok') stop('canary', row.target)
    })
    await pool(rest, parallel, work, () => stopped !== undefined, (row) => {
      if (row.result === 'failed' && onError === 'stop') stop('error', row.target)
    })
  } finally {
    options.signal?.removeEventListener('abort', onAbort)
  }

  const ordered = targets.map((t) => rows.get(t.key) ?? skippedRow(t))
  const counts = { total: ordered.length, ok: 0, failed: 0, stopped: 0, skipped: 0, 'done-before': 0 } as FleetResult['counts']
  for (const r of ordered) counts[r.result]++
  const ok = ordered.every((r) => r.result === 'ok' || r.result === 'done-before')
  emit({ type: 'fleet-done', ok, counts })
  return {
    command,
    service,
    ok,
    targets: ordered,
    counts,
    ...(stopped ? { stopped } : {}),
    duplicates,
    ...(journal ? { journal: journal.path } : {}),
    durationMs: Math.round(performance.now() - started),
  }
}

/** Runs `work` over `items`, at most `size` at a time, taking no new item once `halted()`. */
async function pool<T>(
  items: T[],
  size: number,
  work: (item: T) => Promise<FleetRow>,
  halted: () => boolean,
  after: (row: FleetRow) => void,
): Promise<void> {
  let next = 0
  const worker = async () => {
    while (!halted() && next < items.length) {
      const item = items[next++]!
      after(await work(item))
    }
  }
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker))
}

function skippedRow(t: ResolvedTarget): FleetRow {
  return { target: t.name, url: t.connection.display, key: t.key, result: 'skipped' as FleetOutcome, before: null, after: null, applied: 0, durationMs: 0 }
}

function pick(o: FleetOptions): SharedMigratorOptions {
  return {
    trackingSchema: o.trackingSchema,
    dryRun: o.dryRun,
    migrationTimeout: o.migrationTimeout,
    lockTimeout: o.lockTimeout,
    ddlLockTimeout: o.ddlLockTimeout,
    retries: o.retries,
    waitForDatabase: o.waitForDatabase,
    useTransactions: o.useTransactions,
  }
}

function whole(n: number, name: string, min: number): number {
  if (!Number.isInteger(n) || n < min) throw new ConfigError(`${name} must be a whole number >= ${min}, got ${n}`, 'USAGE')
  return n
}
