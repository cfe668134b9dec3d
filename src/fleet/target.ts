/**
 * One target of a fleet: a migrator of its own (createMigrator, the same
 * engine as a single-database run), the command, and the summary row.
 * Failures become rows, never exceptions.
 */
import type { DownOptions, UpOptions } from '../core/plan.js'
import { isMigrateError } from '../errors.js'
import { createMigrator, type Migrator, type MigratorOptions } from '../migrator.js'
import type { MigrateEvent, RunResult } from '../types.js'
import type { ResolvedTarget } from './targets.js'
import type { FleetCommand, FleetError, FleetRow } from './types.js'

/** Migrator settings every target shares (the CLI's --timeout, --lock-timeout, ...). */
export type SharedMigratorOptions = Pick<
  MigratorOptions,
  'trackingSchema' | 'dryRun' | 'migrationTimeout' | 'lockTimeout' | 'ddlLockTimeout' | 'retries' | 'waitForDatabase' | 'useTransactions'
>

export interface TargetJob {
  command: FleetCommand
  dir: string
  service: string
  up?: UpOptions
  down?: DownOptions
  migrator: SharedMigratorOptions
  /** Asked before each migration starts: true stops the target there (the one before stays applied). */
  shouldStop: () => boolean
  /** Aborting cancels the running migration on the server (rolled back) and stops the target (Ctrl-C). */
  signal?: AbortSignal
  onEvent: (e: MigrateEvent) => void
}

/** Thrown from the event hook to stop a target between two migrations. */
class StopRequested extends Error {}

export async function runTarget(target: ResolvedTarget, job: TargetJob): Promise<FleetRow> {
  const started = performance.now()
  const row: FleetRow = {
    target: target.name,
    url: target.connection.display,
    key: target.key,
    result: 'ok',
    before: null,
    after: null,
    applied: 0,
    durationMs: 0,
  }
  let completed = 0
  let highest: number | null = null
  const migrator = createMigrator({
    ...job.migrator,
    dir: job.dir,
    service: job.service,
    connection: target.connection,
    // shouldStop stops a target before its next migration: none may be on the wire already.
    sendAhead: 0,
    onEvent: (e) => {
      // The engine calls this before it begins a migration and outside the
      // migration's transaction: throwing here ends the run cleanly between
      // two migrations (lock released, earlier ones committed).
      if (e.type === 'migration-start' && job.shouldStop()) throw new StopRequested()
      if (e.type === 'migration-done') {
        completed++
        if (e.result.direction === 'up') highest = Math.max(highest ?? 0, e.result.version)
      }
      job.onEvent(e)
    },
  })
  try {
    await runCommand(job, target, migrator, row)
  } catch (e) {
    row.applied = completed
    const interrupted = isMigrateError(e) && e.code === 'INTERRUPTED'
    row.result = e instanceof StopRequested || interrupted ? 'stopped' : 'failed'
    if (!(e instanceof StopRequested)) row.error = fleetError(e)
    row.after = completed === 0 ? row.before : highest !== null && job.command === 'up' ? Math.max(row.before ?? 0, highest) : await versionOf(migrator)
  } finally {
    await migrator.close().catch(() => {})
    row.durationMs = Math.round(performance.now() - started)
  }
  return row
}

async function runCommand(job: TargetJob, target: ResolvedTarget, migrator: Migrator, row: FleetRow): Promise<void> {
  switch (job.command) {
    case 'status': {
      const s = await migrator.status()
      row.before = row.after = s.currentVersion
      row.pending = s.pending
      return
    }
    case 'verify': {
      const v = await migrator.verify()
      const errors = v.findings.filter((f) => f.severity === 'error')
      row.problems = errors.length
      row.before = row.after = await versionOf(migrator)
      if (!v.ok) {
        row.result = 'failed'
        row.error = withLocation({ code: 'INTEGRITY', message: errors[0]!.message }, errors[0])
      }
      return
    }
    case 'drift': {
      row.before = row.after = await versionOf(migrator)
      // The check module is heavy (catalog snapshots, diff): loaded only here.
      const { checkDrift } = await import('../check/index.js')
      const d = await checkDrift({
        dir: job.dir,
        service: job.service,
        connection: target.connection,
        trackingSchema: job.migrator.trackingSchema,
        migrationTimeout: job.migrator.migrationTimeout,
        waitForDatabase: job.migrator.waitForDatabase,
        signal: job.signal,
      })
      row.problems = d.differences.length + (d.error ? 1 : 0)
      if (!d.ok) {
        row.result = 'failed'
        row.error = d.error
          ? withLocation({ code: d.error.code, message: d.error.message }, d.error)
          : { code: 'DRIFT', message: d.differences[0]?.message ?? 'the live schema differs from what the migrations make' }
      }
      return
    }
    case 'up':
    case 'down': {
      row.before = (await migrator.status()).currentVersion
      const r: RunResult =
        job.command === 'up' ? await migrator.up({ ...job.up, signal: job.signal }) : await migrator.down({ ...job.down, signal: job.signal })
      row.after = r.currentVersion
      if (r.dryRun) row.pending = r.plan.length
      row.applied = r.results.filter((x) => x.status !== 'skipped').length
      return
    }
  }
}

/** The current version, or null when it cannot be read (best effort after a failure). */
async function versionOf(migrator: Migrator): Promise<number | null> {
  try {
    return (await migrator.status()).currentVersion
  } catch {
    return null
  }
}

/** The first error of a target in the row's shape: code, message, and file:line:col when known. */
export function fleetError(e: unknown): FleetError {
  if (!isMigrateError(e)) return { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) }
  const at = e as { file?: string; line?: number; column?: number; problems?: { file: string; line?: number; column?: number }[] }
  const where = at.file !== undefined ? at : at.problems?.[0]
  return withLocation({ code: e.code, message: e.message.split('\n')[0]! }, where)
}

function withLocation(err: FleetError, at: { file?: string; line?: number; column?: number } | undefined): FleetError {
  if (at?.file !== undefined) err.file = at.file
  if (at?.line !== undefined) err.line = at.line
  if (at?.column !== undefined) err.column = at.column
  return err
}
