/**
 * `check --drift`: replays the service's applied migrations on a scratch
 * database and compares the result with the live database, to name what
 * someone changed by hand (the hotfix nobody wrote a migration for).
 *
 * Scope, because one database is shared by many services: every object the
 * replayed migrations create is compared (missing or different in the live
 * database), and so is everything attached to one of them (a column, index,
 * constraint, trigger, policy, rule or owned sequence on one of its tables,
 * a value in one of its enum types). Standalone objects that none of the
 * service's migrations create (another service's table, a function made
 * by hand) are not reported: nothing says they are this service's.
 */
import type { Sql } from 'postgres'
import { readApplied, resolveTrackingSchema, tablesState, tracking } from '../db/tracking.js'
import type { MigrationFile, PlanStep } from '../types.js'
import { diffSchemas, DRIFT_VERBS, restrictTo } from './diff.js'
import { toCheckError } from './engine.js'
import { described } from './rehearse.js'
import { catalogOn, type ServerEngine } from './scratch.js'
import { snapshot } from './snapshot.js'
import type { CheckDifference, CheckError, CheckEvent } from './types.js'

export interface DriftInput {
  engine: ServerEngine
  service: string
  migrations: MigrationFile[]
  /** Prepares an up step for this server (the runner's splitting and transactional decision). */
  prepare: (m: MigrationFile) => PlanStep
  trackingSchema?: string
  timeoutMs?: number
  signal?: AbortSignal
  onEvent?: (e: CheckEvent) => void
}

export interface Drift {
  replayed: { version: number; name: string }[]
  warnings: string[]
  differences: CheckDifference[]
  error?: CheckError
  replayMs: number
  snapshotMs: number
}

/**
 * Replays and compares. Throws `signal.reason` when aborted, or a
 * MigrateError when the live database cannot be read; a migration that
 * fails to replay is returned as `error`.
 */
export async function drift(input: DriftInput): Promise<Drift> {
  const { engine, service, signal } = input
  const checkAbort = () => {
    if (signal?.aborted) throw signal.reason
  }
  const live: Sql = engine.admin
  const schema = input.trackingSchema ?? (await resolveTrackingSchema(live))
  const t = tracking(schema)
  const exist = await tablesState(live, t)
  const applied = (await readApplied(live, t, service, exist.records)).rows
  const warnings: string[] = []
  if (applied.length === 0) warnings.push(`no migration of service ${service} is recorded as applied in this database`)

  const replayed: Drift['replayed'] = []
  let error: CheckError | undefined
  const t0 = performance.now()
  for (const row of applied) {
    checkAbort()
    const m = input.migrations.find((f) => f.version === row.version)
    if (!m) {
      warnings.push(`${row.name} is applied but its file is missing: what it made is not in the comparison`)
      continue
    }
    if (m.checksum !== row.checksum) {
      warnings.push(`${m.up.file} changed since it was applied: the comparison uses the file as it is now`)
    }
    try {
      await engine.run(input.prepare(m), { timeoutMs: input.timeoutMs })
    } catch (e) {
      checkAbort()
      error = toCheckError(e)
      break
    }
    replayed.push({ version: m.version, name: m.name })
    input.onEvent?.({ type: 'replayed', version: m.version, name: m.name })
  }
  const replayMs = performance.now() - t0

  const t1 = performance.now()
  let differences: CheckDifference[] = []
  if (!error) {
    const expected = await snapshot(engine.catalog)
    const conn = await live.reserve()
    try {
      const actual = await snapshot(catalogOn(conn, 'begin read only'), {
        exclude: [
          { schema, name: 'migration_records' },
          { schema, name: 'schema_versions' },
        ],
      })
      differences = described(diffSchemas(expected, restrictTo(actual, expected)), 'the live database', DRIFT_VERBS)
    } finally {
      conn.release()
    }
  }
  return {
    replayed,
    warnings,
    differences,
    ...(error ? { error } : {}),
    replayMs: Math.round(replayMs * 10) / 10,
    snapshotMs: Math.round((performance.now() - t1) * 10) / 10,
  }
}
