/**
 * Building a run's steps from files, and what is checked before any runs:
 * everything that can be seen before a change stops the run there, not half-way.
 */
import type { Sql } from 'postgres'
import { describeInterruption } from '../core/interrupted.js'
import type { State } from '../core/plan.js'
import { prepareStep } from '../core/prepare.js'
import { narrowVersionColumns, widenVersionSql, type Tracking } from '../db/tracking.js'
import { MigrateError } from '../errors.js'
import { checksum } from '../source/checksum.js'
import { MAX_INTEGER_VERSION } from '../source/name.js'
import type { MigrationFile, MigrationResult, PlanStep, Source } from '../types.js'
import type { Context } from './context.js'

/**
 * `.sql` entries of the directory that up never runs (`-1_x.up.sql`,
 * `001_a.UP.sql`, a FIFO named `notes.sql`), said by up and down so a file
 * meant as a migration is not skipped in silence.
 */
export function ignoredFiles(source: Source): string[] {
  return source.warnings.filter((w) => w.ignored).map((w) => `${w.file} ${w.message}`)
}

/** Server major version from the connection's parameters (no round trip). */
function serverMajor(sql: Sql): number | undefined {
  const v = (sql as unknown as { parameters?: { server_version?: string } }).parameters?.server_version
  return v ? parseInt(v, 10) : undefined
}

/**
 * Split and check every file before anything runs (throws FileError with
 * file:line:col). A step's checksum is that of the file it runs: a down
 * step carries its down file's (the up file's is the recorded one).
 */
export function prepare(ctx: Context, sql: Sql, f: MigrationFile, direction: 'up' | 'down', content: string, file: string): PlanStep {
  return prepareStep({
    version: f.version,
    name: f.name,
    direction,
    file,
    checksum: direction === 'up' ? f.checksum : checksum(content),
    content,
    serverMajor: serverMajor(sql),
    forceNoTransaction: ctx.options.useTransactions === false,
    allowTransactionControl: ctx.options.allowTransactionControl === true,
  })
}

/**
 * On the old tool's INTEGER version columns a version above 2^31 - 1 (a
 * timestamp) cannot be recorded: refuse before anything runs, with the
 * statement that widens them.
 */
export async function checkVersionColumns(sql: Sql, t: Tracking, steps: { version: number; file?: string }[]): Promise<void> {
  const big = steps.filter((s) => s.version > MAX_INTEGER_VERSION)
  if (big.length === 0) return
  const narrow = await narrowVersionColumns(sql, t)
  if (narrow.length === 0) return
  const first = big[0]!
  throw new MigrateError(
    'VERSION_TOO_LARGE',
    `version ${first.version}${first.file ? ` (${first.file})` : ''} does not fit the INTEGER version column of ${narrow.join(' and ')} ` +
      `(largest ${MAX_INTEGER_VERSION}); nothing was run. Widen it first: ${widenVersionSql(t, narrow)}`,
    { details: big.slice(1, 4).map((s) => `also too large: ${s.file ?? s.version}`).concat(big.length > 4 ? [`and ${big.length - 4} more`] : []) },
  )
}

export function modifiedWarnings(state: State): string[] {
  return state.modified.map(
    (e) => `migration ${e.name} was modified after it was applied (checksum ${e.checksum.slice(0, 12)} recorded, ${e.fileChecksum?.slice(0, 12)} now); see verify and repair`,
  )
}

export function count(results: MigrationResult[], status: MigrationResult['status']): number {
  return results.filter((r) => r.status === status).length
}

/**
 * What `up` or `down` says about unfinished runs: the ones it runs again
 * (from their first statement), and the others, still waiting to be resolved.
 */
export function interruptedWarnings(state: State, steps: PlanStep[], direction: 'up' | 'down'): string[] {
  const running = new Set(steps.map((s) => s.version))
  return state.interrupted.map((e) => {
    const i = e.interrupted!
    if (running.has(e.version) && i.direction === direction) {
      const ran = i.ran.length + (i.running ? 1 : 0)
      return `${e.name}: an earlier ${direction} stopped half-way (${ran} of ${i.statements} statements may have run); running ${i.file} again from its first statement`
    }
    return describeInterruption(e.name, e.version, i)
  })
}
