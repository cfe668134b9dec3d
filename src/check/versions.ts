/**
 * `check --pg-version 14,18`: the same rehearsal on several PostgreSQL
 * majors (the postgres engine, one major after the other), and where a
 * migration's outcome differs between them, one difference naming each
 * outcome and the versions that had it.
 */
import { ConfigError } from '../errors.js'
import { chooseServers } from './local.js'
import type { CheckResult, MigrationCheck, RoundTripCheck } from './types.js'
import { check, type CheckOptions } from './index.js'

export interface VersionsOptions extends Omit<CheckOptions, 'engine' | 'pgVersion'> {
  /** Two or more majors, each installed (or one, then it is a plain check). */
  pgVersions: number[]
  /** Each major's result as soon as its check ends (before the next starts). */
  onResult?: (result: CheckResult) => void
}

/** One migration (or half of the round trip) whose outcome differs between majors. */
export interface VersionDifference {
  /** The migration's name, or `round trip (all down)` / `round trip (all up again)`. */
  subject: string
  /** Each distinct outcome with the versions that had it, in the order the majors ran. */
  outcomes: { outcome: string; serverVersions: string[] }[]
  /** `002_nulls: fails on PostgreSQL 14.23 (up: ...); ok on PostgreSQL 18.4` */
  message: string
}

export interface VersionsResult {
  /** Every major's check passed (then no outcome differs). */
  ok: boolean
  results: CheckResult[]
  differences: VersionDifference[]
}

/**
 * Runs check() on each major in turn, then compares the outcomes. Throws
 * ConfigError before anything starts when a major is not installed or
 * `pgBin` is given (it is one major); otherwise as check().
 *
 * @example
 * const { differences } = await checkVersions({ dir: 'migrations', pgVersions: [14, 18] })
 * for (const d of differences) console.log(d.message)
 */
export async function checkVersions(options: VersionsOptions): Promise<VersionsResult> {
  if (options.pgBin !== undefined && options.pgVersions.length > 1) {
    throw new ConfigError('several --pg-version majors run on installed packages: --pg-bin is one major, give one --pg-version or none', 'USAGE')
  }
  // Every major must be there before the first starts.
  chooseServers({ pgBin: options.pgBin, majors: options.pgVersions, cwd: options.cwd ?? process.cwd() })
  const results: CheckResult[] = []
  const { onResult, pgVersions, ...rest } = options
  for (const major of pgVersions) {
    const result = await check({ ...rest, engine: 'postgres', pgVersion: major })
    results.push(result)
    onResult?.(result)
  }
  const differences = compareOutcomes(results)
  return { ok: results.every((r) => r.ok), results, differences }
}

/**
 * Pure: the subjects whose outcome is not the same in every result, in file
 * order. A later migration that did not run because of an earlier
 * difference is not another difference.
 */
export function compareOutcomes(results: CheckResult[]): VersionDifference[] {
  const first = results[0]
  if (!first) return []
  const subjects: { subject: string; outcome: (r: CheckResult) => string }[] = [
    ...first.migrations.map((m, i) => ({ subject: m.name, outcome: (r: CheckResult) => migrationOutcome(r.migrations[i]) })),
    { subject: 'round trip (all down)', outcome: (r: CheckResult) => roundTripOutcome(r.roundTrip.down) },
    { subject: 'round trip (all up again)', outcome: (r: CheckResult) => roundTripOutcome(r.roundTrip.up) },
  ]
  const out: VersionDifference[] = []
  for (const { subject, outcome } of subjects) {
    const groups: { outcome: string; serverVersions: string[] }[] = []
    for (const r of results) {
      const o = outcome(r)
      const g = groups.find((x) => x.outcome === o)
      if (g) g.serverVersions.push(r.serverVersion)
      else groups.push({ outcome: o, serverVersions: [r.serverVersion] })
    }
    if (groups.length < 2) continue
    // "not run" after an earlier difference is its consequence, not another one.
    if (out.length > 0 && groups.some((g) => g.outcome === 'not run')) continue
    const message = `${subject}: ${groups.map((g) => `${g.outcome} on PostgreSQL ${g.serverVersions.join(', ')}`).join('; ')}`
    out.push({ subject, outcomes: groups, message })
  }
  return out
}

function migrationOutcome(m: MigrationCheck | undefined): string {
  if (!m) return 'absent'
  switch (m.status) {
    case 'ok':
      return 'ok'
    case 'failed':
      return `fails (${m.failedAt ?? 'up'}: ${m.error?.message ?? 'error'})`
    case 'not-restored':
      return `down does not restore the schema (${m.differences.map((d) => d.message).join('; ')})`
    case 'skipped':
      return `skipped (${m.reason ?? ''})`
    case 'no-down':
      return 'no down file'
    case 'applied':
      return 'applied (forward-only)'
    case 'not-run':
      return 'not run'
  }
}

function roundTripOutcome(r: RoundTripCheck): string {
  switch (r.status) {
    case 'ok':
      return 'ok'
    case 'failed':
      return `fails (${r.error?.message ?? 'error'})`
    case 'not-restored':
      return `schema differs (${r.differences.map((d) => d.message).join('; ')})`
    case 'not-run':
      return 'not run'
  }
}
