/** Data shapes of a fleet run: many databases, one migrations directory. Plain data, no I/O. */
import type { MigrateEvent } from '../types.js'

/** What a fleet run does on each target. `drift` is `check --drift`. */
export type FleetCommand = 'up' | 'down' | 'status' | 'verify' | 'drift'

/** One database of the fleet, as the targets file or query gave it. */
export interface FleetTarget {
  /** A name for tables and the journal: `name=` of the line, else the database name. */
  name: string
  /** The connection URL (may hold a password: never print it; see `display`). */
  url: string
  /** Where it came from, for messages: `targets.txt:3`, `query row 2`, `targets[0]`. */
  origin?: string
}

/**
 * How a target ended:
 * - `ok`: done (for `status`: read; for `verify`/`drift`: nothing found),
 * - `failed`: an error, or `verify`/`drift` found problems,
 * - `stopped`: it was running when the fleet stopped (an error elsewhere, a
 *   failed canary, Ctrl-C): it finished its current migration and went no further,
 * - `skipped`: never started because the fleet stopped first,
 * - `done-before`: `--resume` found it done in the journal; not touched again.
 */
export type FleetOutcome = 'ok' | 'failed' | 'stopped' | 'skipped' | 'done-before'

/** The first error of a target, pointing at the migration file when there is one. */
export interface FleetError {
  code: string
  message: string
  file?: string
  line?: number
  column?: number
}

/** One line of the summary table (and of `--json`'s `targets`). */
export interface FleetRow {
  /** The target's name. */
  target: string
  /** The URL with the password replaced by `***`. */
  url: string
  /** host:port/database: what duplicates are recognised by. */
  key: string
  result: FleetOutcome
  /** Version before the run (null when the database could not be read). */
  before: number | null
  /** Version after the run (null when unknown). */
  after: number | null
  /** Migrations applied (`up`) or rolled back (`down`) by this run on this target. */
  applied: number
  /** `status`: migrations pending on this target. */
  pending?: number
  /** `verify`/`drift`: problems found (errors of verify, differences of drift). */
  problems?: number
  durationMs: number
  error?: FleetError
}

export interface FleetResult {
  command: FleetCommand
  service: string
  /** True when every target is `ok` or `done-before`. */
  ok: boolean
  /** In the order of the targets file (duplicates removed). */
  targets: FleetRow[]
  counts: Record<FleetOutcome, number> & { total: number }
  /** Why the fleet stopped early, when it did: `canary`, `error`, `interrupted`. */
  stopped?: 'canary' | 'error' | 'interrupted'
  /** Targets listed twice (same host, port, database): each run once, under its first name. */
  duplicates: { target: string; sameAs: string; origin?: string }[]
  /** The journal written, when there is one. */
  journal?: string
  durationMs: number
}

/** Progress of a fleet run, for a live display, log lines or JSON lines. */
export type FleetEvent =
  | { type: 'fleet-start'; command: FleetCommand; total: number; resumed: number; parallel: number; canary: number }
  | { type: 'target-start'; target: string; url: string }
  | { type: 'target-event'; target: string; event: MigrateEvent }
  | { type: 'target-done'; row: FleetRow }
  | { type: 'fleet-stopping'; reason: 'canary' | 'error' | 'interrupted'; target?: string }
  | { type: 'fleet-done'; ok: boolean; counts: FleetResult['counts'] }
