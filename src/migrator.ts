/**
 * createMigrator: the engine the CLI uses, as a library (SPEC 9). It never
 * prints, never exits, never reads argv: results are returned, progress goes
 * out as events, failures are thrown as typed MigrateErrors.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ReservedSql, Sql } from 'postgres'
import { type ConnectionConfig, resolveConnection } from './config/resolve.js'
import { checkService, isGenericService, serviceFromDir } from './config/target.js'
import { checkTarget, computeState, planDown, planUp, type DownOptions, type State, type UpOptions } from './core/plan.js'
import { eventLine } from './core/messages.js'
import { checkSyntax, concurrentIndexNames, prepareAll, prepareStep } from './core/prepare.js'
import { runSteps } from './core/run.js'
import { connect, targetOf } from './db/connect.js'
import { bounded, STALL_MARGIN_MS } from './db/deadline.js'
import { connectionLost } from './db/error.js'
import { watchSteps } from './core/watch.js'
import { watchBlocked } from './core/blocked.js'
import { invalidIndexes, runBookkeeping } from './db/execute.js'
import { acquireServiceLock, type HeldLock } from './db/lock.js'
import {
  ensureTables,
  guardSql,
  narrowVersionColumns,
  readApplied,
  readBookkeeping,
  readGolangMigrate,
  readServices,
  recordDownSql,
  recordUpSql,
  repairSql,
  resolveTrackingSchema,
  tablesState,
  servicesWithChecksums,
  tracking,
  widenVersionSql,
  type ServiceRow,
  type Tracking,
} from './db/tracking.js'
import { ConfigError, InterruptedError, MigrateError } from './errors.js'
import { lint as lintTarget, type LintOptions, type LintResult } from './lint/index.js'
import { assertUsable, readSource, scan } from './source/scan.js'
import { MAX_INTEGER_VERSION, slugify, versionWidth } from './source/name.js'
import type {
  Finding,
  MigrateEvent,
  MigrationFile,
  MigrationResult,
  PlanStep,
  RunResult,
  Source,
  StatusResult,
  VerifyResult,
} from './types.js'

export interface MigratorOptions {
  /** The migrations directory. */
  dir: string
  /** Service name; derived from `dir` when omitted (`x/migrations` -> `x`). */
  service?: string
  /** A postgres.js instance of the caller's; never ended by the migrator. */
  sql?: Sql
  /** Or a connection URL (`postgres://...`). */
  url?: string
  /** Or an already resolved connection (what the CLI passes). */
  connection?: ConnectionConfig
  /** Environment for DATABASE_URL / DB_* / PG* when neither sql nor url is given. Default: process.env. */
  env?: Record<string, string | undefined>
  /** Schema of the bookkeeping tables; default: where they are found, else the current schema. */
  trackingSchema?: string
  /** Default for up/down: plan only, take no lock, write nothing. */
  dryRun?: boolean
  /** Per-migration time limit in ms (default 10 minutes); past it the migration is cancelled and rolled back. */
  migrationTimeout?: number
  /** Give up waiting for another runner's lock after this many ms (default: wait). */
  lockTimeout?: number
  /** PostgreSQL lock_timeout (ms) inside each migration, unless its file sets one (`--ddl-lock-timeout`). */
  ddlLockTimeout?: number
  /** Retry a migration that failed on lock_timeout this many times, with backoff (`--retries`). */
  retries?: number
  /**
   * Run files that manage their own transactions (several BEGIN ... COMMIT
   * blocks) statement by statement as psql would, instead of refusing them
   * (`--allow-transaction-control`). Default false.
   */
  allowTransactionControl?: boolean
  /** false: run every file statement by statement without a transaction (default true: transactional unless a file needs otherwise). */
  useTransactions?: boolean
  /** Retry the first connection for this many ms (`--wait`). */
  waitForDatabase?: number
  /**
   * The service name was derived from the directory, not given: refuse
   * (ConfigError SERVICE_UNCERTAIN, before anything is written) when the name
   * is generic (`app`, `src`, a single letter ...) or when the database
   * records these files' checksums under another service. The CLI sets it
   * when neither --service nor MIGRATE_SERVICE is given.
   */
  serviceDerived?: boolean
  /** Receives every progress event. */
  onEvent?: (event: MigrateEvent) => void
  /** Receives the old tool's log lines (e.g. `Successfully applied migration 001_x`). */
  logger?: { info(message: string): void; warn?(message: string): void }
}

export interface RunOptions extends UpOptions {
  dryRun?: boolean
  /**
   * Aborting it stops the run: the running migration is cancelled on the
   * server and rolled back (a file without a transaction stops after its
   * current statement), the lock is released, and the call rejects with an
   * InterruptedError (`step`, `completed`, `currentVersion`).
   */
  signal?: AbortSignal
}

export interface MarkOptions {
  /** Remove the record instead of adding it. */
  pending?: boolean
  /** Say what would be recorded; take no lock, write nothing. */
  dryRun?: boolean
}

export interface MarkResult {
  service: string
  /** Nothing was written: `marked` and `currentVersion` are what would be. */
  dryRun: boolean
  marked: { version: number; name: string; state: 'applied' | 'pending' }[]
  currentVersion: number
}

export interface RepairResult {
  service: string
  /** Nothing was written: `repaired` is what would be. */
  dryRun: boolean
  repaired: { version: number; name: string; from: string; to: string }[]
}

export interface GenerateResult {
  version: number
  up: string
  down: string
}

export interface Migrator {
  readonly service: string
  readonly dir: string
  up(opts?: RunOptions): Promise<RunResult>
  down(opts?: DownOptions & { dryRun?: boolean; signal?: AbortSignal }): Promise<RunResult>
  status(): Promise<StatusResult>
  /** Every service recorded in the database. */
  statusAll(): Promise<ServiceRow[]>
  verify(): Promise<VerifyResult>
  /**
   * Offline checks of the directory's files (SPEC 7): never connects. Uses
   * the migrator's `useTransactions`. Throws only when the directory cannot
   * be read.
   */
  lint(opts?: LintOptions): Promise<LintResult>
  generate(description: string): Promise<GenerateResult>
  mark(version: number, opts?: MarkOptions): Promise<MarkResult>
  /** Record every version up to `to` as applied (adopting a database another tool migrated). */
  markTo(to: number, opts?: { dryRun?: boolean }): Promise<MarkResult>
  /**
   * Read the version from golang-migrate's `schema_migrations` and mark up to
   * it. Refuses (INTEGRITY, exit 3) a dirty one, and a version that has no
   * file or lies above every file unless `force` (then every file up to it
   * is marked).
   */
  markFromGolangMigrate(opts?: { dryRun?: boolean; force?: boolean }): Promise<MarkResult>
  /** Accept the files' current checksums (`dryRun`: only say which would change). */
  repair(opts?: { dryRun?: boolean }): Promise<RepairResult>
  /** Ends the connection the migrator opened (not a caller's `sql`). */
  close(): Promise<void>
}

const DEFAULT_TIMEOUT_MS = 10 * 60_000

/**
 * Creates a migrator. Validates options at once (throws ConfigError);
 * connects lazily on the first method that needs the database.
 *
 * @example
 * const m = createMigrator({ dir: 'migrations', service: 'discovery-svc', url: process.env.DATABASE_URL })
 * try { const { pending } = await m.status() } finally { await m.close() }
 */
export function createMigrator(options: MigratorOptions): Migrator {
  const service = options.service !== undefined ? checkService(options.service, 'service') : serviceFromDir(options.dir)
  const dir = options.dir
  const timeoutMs = options.migrationTimeout ?? DEFAULT_TIMEOUT_MS
  if (options.trackingSchema !== undefined && options.trackingSchema.length === 0) {
    throw new ConfigError('trackingSchema is empty')
  }
  // Resolved on first use, so `generate` never trips over a bad DB_PORT.
  const connectionConfig = (): ConnectionConfig =>
    options.connection ?? resolveConnection({ databaseUrl: options.url, env: options.env ?? process.env })

  const emit = (e: MigrateEvent) => {
    options.onEvent?.(e)
    if (options.logger) logLine(options.logger, e)
  }

  let sqlPromise: Promise<Sql> | undefined
  let trackingPromise: Promise<Tracking> | undefined
  /** Connections of our own pool that closed (the lock's or the work's): counted to notice a lost lock. */
  let closes = 0
  const db = (): Promise<Sql> =>
    (sqlPromise ??= options.sql
      ? Promise.resolve(options.sql)
      : Promise.resolve().then(() => {
          const config = connectionConfig()
          return connect(config, {
            waitMs: options.waitForDatabase,
            onWait: (reason, elapsedMs) => emit({ type: 'connect-wait', target: config.display, reason, elapsedMs }),
            onClose: () => closes++,
          })
        }))
  const tables = async (): Promise<Tracking> =>
    (trackingPromise ??= db().then(async (sql) => tracking(options.trackingSchema ?? (await net(sql, 'finding the bookkeeping tables', resolveTrackingSchema(sql))))))

  // A silent network: every wait on the server is bounded on the client by
  // the migration timeout plus a margin (db/deadline.ts); past it our pool is
  // closed, so nothing keeps waiting on a socket that will never answer. A
  // caller's pool is the caller's: only the wait ends.
  const stallMs = timeoutMs + STALL_MARGIN_MS
  const abort = (sql: Sql) => () => {
    if (options.sql || sqlPromise === undefined) return
    sqlPromise = undefined
    void sql.end({ timeout: 0 }).catch(() => {})
  }
  const net = <T>(sql: Sql, doing: string, p: Promise<T>): Promise<T> => bounded(p, stallMs, { target: targetOf(sql), doing }, abort(sql))

  /** Whether `step`'s version is recorded for the service, read on `conn`. */
  const isRecorded = async (conn: Sql | ReservedSql, t: Tracking, step: PlanStep) =>
    (await readApplied(conn, t, service, true)).rows.some((r) => Number(r.version) === step.version)

  /** The same on a new connection, after the run's connection was lost (retried briefly: the server may be restarting). */
  const isRecordedAfresh = async (sql: Sql, t: Tracking, step: PlanStep) => {
    if (options.sql) return bounded(isRecorded(options.sql, t, step), STALL_MARGIN_MS, { target: targetOf(sql), doing: 'looking up the bookkeeping' })
    const fresh = await connect(connectionConfig(), { max: 1, waitMs: STALL_MARGIN_MS })
    try {
      return await bounded(isRecorded(fresh, t, step), STALL_MARGIN_MS, { target: targetOf(fresh), doing: 'looking up the bookkeeping' })
    } finally {
      void fresh.end({ timeout: 0 }).catch(() => {})
    }
  }

  /** Reads the directory; `guard`: refuse an uncertain derived service name first (never for generate). */
  async function load(strict = true, guard = true): Promise<Source> {
    const source = await scan(dir)
    if (strict) assertUsable(source)
    if (guard) await (serviceChecked ??= checkDerivedService(source))
    return source
  }

  let serviceChecked: Promise<void> | undefined
  /** options.serviceDerived: a generic name, or files recorded under another service, is refused. */
  async function checkDerivedService(source: Source): Promise<void> {
    if (!options.serviceDerived) return
    const how = `(or MIGRATE_SERVICE=NAME)`
    const sql = await db()
    const others = await servicesWithChecksums(sql, await tables(), service, source.migrations.map((m) => m.checksum))
    if (others.length > 0) {
      const o = others[0]!
      throw new ConfigError(
        `the service name "${service}" was derived from the directory ${dir}, but ${o.matches} of these ${source.migrations.length} migrations ` +
          `are recorded under service "${o.service}"${others.length > 1 ? ` (also: ${others.slice(1).map((x) => x.service).join(', ')})` : ''}: ` +
          `give --service ${o.service} ${how.replace('NAME', o.service)} to continue as that service, or --service NAME for another`,
        'SERVICE_UNCERTAIN',
      )
    }
    if (isGenericService(service)) {
      throw new ConfigError(
        `the service name "${service}" was derived from the directory ${dir} and is too generic to name a service: ` +
          `give --service NAME ${how} (the name its migrations are recorded under, e.g. discovery-svc)`,
        'SERVICE_UNCERTAIN',
      )
    }
  }

  async function readState(sql: Sql | ReservedSql, t: Tracking, files: MigrationFile[]) {
    const read = async () => {
      const exist = await tablesState(sql, t)
      const applied = await readApplied(sql, t, service, exist.records)
      return { state: computeState(files, applied.rows), duplicates: applied.duplicates, exist }
    }
    return net(await db(), 'reading the bookkeeping tables', read())
  }

  /**
   * Runs `fn` holding the service's lock, with a connection for the work and
   * (when the pool allows) another idle one holding the lock.
   */
  async function locked<T>(signal: AbortSignal | undefined, fn: (work: ReservedSql, t: Tracking, lock: HeldLock) => Promise<T>): Promise<T> {
    const sql = await db()
    // Calls that share a pool take turns in-process first: two of them polling
    // for the database lock would each hold a pooled connection, and the
    // winner could then never get its work connection.
    return serialize(sql, service, () => lockedOn(sql, signal, fn))
  }

  async function lockedOn<T>(sql: Sql, signal: AbortSignal | undefined, fn: (work: ReservedSql, t: Tracking, lock: HeldLock) => Promise<T>): Promise<T> {
    const t = await tables()
    const lockConn = await net(sql, 'opening the connection for the migration lock', sql.reserve())
    let work: ReservedSql | undefined
    let held: HeldLock | undefined
    let workLost = false
    let lockLost = false
    try {
      let waited = false
      // With a second connection for the work, the lock connection carries
      // nothing else: the lock may then live in a transaction kept open on it,
      // which no connection pooler can separate from its lock (db/lock.ts).
      const max = (sql as unknown as { options?: { max?: number } }).options?.max ?? 1
      held = await acquireServiceLock(lockConn, service, {
        dedicated: max >= 2,
        timeoutMs: options.lockTimeout,
        bound: (round) => net(sql, `waiting for the migration lock of service ${service}`, round),
        sleep: signal ? abortableSleep(signal) : undefined,
        onWait: (holder) => {
          waited = true
          emit({ type: 'lock-wait', service, holder })
        },
      })
      // Only a runner that really found the lock busy says it waited.
      if (waited) emit({ type: 'lock-acquired', service, waitedMs: held.waitedMs })
      if (held.pooled) {
        emit({
          type: 'warning',
          service,
          message:
            'the connection goes through a pooler in transaction mode (statements do not stay on one server session): ' +
            'each migration is still applied exactly once (the migration lock and a bookkeeping re-check inside its transaction), ' +
            'but files that run without a transaction are refused',
        })
      }
      work = max >= 2 ? await net(sql, 'opening the connection for the migrations', sql.reserve()) : lockConn
      await net(sql, 'creating the bookkeeping tables', ensureTables(work, t))
      const closesBefore = closes
      const lock = held
      const conn = work
      // Who blocks a migration is read on a connection of its own, opened
      // only when a migration runs long enough to be asked about (our own
      // pool only: a caller's pool may have no connection to spare).
      if (!options.sql) {
        const [row] = await net(sql, 'reading the migration session', work.unsafe<{ pid: number }[]>('select pg_backend_pid() as pid'))
        let sideSql: Promise<Sql> | undefined
        const side = () => (sideSql ??= connect(connectionConfig(), { max: 1 }))
        closeSide = () => void sideSql?.then((x) => x.end({ timeout: 0 })).catch(() => {})
        blockedWatch = watchBlocked({ service, side, workPid: Number(row!.pid), emit })
      }
      watching = watchSteps({
        service,
        target: targetOf(sql),
        stallMs,
        abort: abort(sql),
        // Our own pool tells when one of its connections closes; the lock's
        // own check covers a caller's pool and a lock released by a file.
        lockHeld: async () => {
          try {
            if (closes === closesBefore) return await lock.alive()
          } catch {}
          lockLost = true
          return false
        },
        recorded: (step) => isRecorded(conn, t, step),
        recordedAfresh: (step) => isRecordedAfresh(sql, t, step),
      })
      return await fn(work, t, held)
    } catch (e) {
      // postgres.js never answers (or crashes on) a connection the server
      // closed that is handed back to the pool: never hand it back.
      workLost = isLost(e)
      throw e
    } finally {
      watching = undefined
      blockedWatch = undefined
      closeSide()
      closeSide = () => {}
      if (work && work !== lockConn && !workLost) work.release()
      // A lock connection the server closed never answers the release (the
      // lock went with it): do not wait for it past a few seconds.
      // Our own pool after a loss: end it instead (the lock goes with its
      // connection); sending on a closed one would crash postgres.js.
      if (!options.sql && (workLost || lockLost)) abort(sql)()
      const gone = lockLost || workLost && (work === lockConn || !options.sql)
      if (held && !gone) await withDeadline(held.release(), 5000).catch(() => {})
      if (!gone) lockConn.release()
    }
  }

  /** Server major version from the connection's parameters (no round trip). */
  const serverMajor = (sql: Sql): number | undefined => {
    const v = (sql as unknown as { parameters?: { server_version?: string } }).parameters?.server_version
    return v ? parseInt(v, 10) : undefined
  }

  /** Split and check every file before anything runs (throws FileError with file:line:col). */
  const prepare = (sql: Sql, f: MigrationFile, direction: 'up' | 'down', content: string, file: string): PlanStep =>
    prepareStep({
      version: f.version,
      name: f.name,
      direction,
      file,
      checksum: f.checksum,
      content,
      serverMajor: serverMajor(sql),
      forceNoTransaction: options.useTransactions === false,
      allowTransactionControl: options.allowTransactionControl === true,
    })

  /** The watch of the run in progress (set by lockedOn). */
  let watching: ReturnType<typeof watchSteps> | undefined
  /** Who blocks the run in progress, and closing its side connection (set by lockedOn). */
  let blockedWatch: ReturnType<typeof watchBlocked> | undefined
  let closeSide = () => {}

  const runContext = (work: ReservedSql, t: Tracking, lock: HeldLock, signal?: AbortSignal) => ({
    signal,
    lock,
    watch: watching,
    blocked: blockedWatch,
    conn: work,
    tracking: t,
    service,
    timeoutMs,
    ddlLockTimeoutMs: options.ddlLockTimeout,
    retries: options.retries,
    emit,
  })

  /**
   * On the old tool's INTEGER version columns a version above 2^31 - 1 (a
   * timestamp) cannot be recorded: refuse before anything runs, with the
   * statement that widens them.
   */
  async function checkVersionColumns(sql: Sql, t: Tracking, steps: { version: number; file?: string }[]): Promise<void> {
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

  async function up(opts: RunOptions = {}): Promise<RunResult> {
    const dryRun = opts.dryRun ?? options.dryRun ?? false
    const source = await load()
    emit({ type: 'start', service, direction: 'up', dryRun })
    const sql = await db()
    // Every read a no-op `up` needs, in one round trip (the step-by-step path when it cannot tell).
    const fast = trackingPromise ? undefined : await net(sql, 'reading the bookkeeping tables', readBookkeeping(sql, options.trackingSchema, service))
    if (fast) trackingPromise ??= Promise.resolve(tracking(fast.schema))
    const t = await tables()
    const first = fast
      ? { state: computeState(source.migrations, fast.applied.rows), duplicates: fast.applied.duplicates, exist: fast.exist }
      : await readState(sql, t, source.migrations)
    const warnings = modifiedWarnings(first.state)
    for (const w of warnings) emit({ type: 'warning', service, message: w })
    const prepared = new Map<number, PlanStep>()
    const stepsFor = (files: MigrationFile[]) =>
      prepareAll(files, (f) => {
        let step = prepared.get(f.version)
        if (!step) prepared.set(f.version, (step = prepare(sql, f, 'up', f.up.content, f.up.file)))
        return step
      })
    const steps = stepsFor(planUp(first.state, opts))
    // Everything that can be seen before a change stops the run here, not half-way.
    await checkSyntax(steps)
    await checkVersionColumns(sql, t, steps)

    // Nothing pending: no lock and no write needed, whatever other runners do.
    if (dryRun || steps.length === 0) {
      emit({ type: 'plan', service, direction: 'up', count: steps.length, steps })
      if (!dryRun) emit({ type: 'done', service, direction: 'up', applied: 0, currentVersion: first.state.currentVersion })
      return { service, direction: 'up', dryRun, plan: steps, results: [], currentVersion: first.state.currentVersion, warnings }
    }

    return locked(opts.signal, async (work, t, lock) => {
      // Another runner may have applied some while we waited for the lock.
      const { state } = await readState(work, t, source.migrations)
      const steps = stepsFor(planUp(state, opts))
      emit({ type: 'plan', service, direction: 'up', count: steps.length, steps })
      const results = await runSteps(runContext(work, t, lock, opts.signal), steps).catch((e: unknown) => {
        if (e instanceof InterruptedError) e.currentVersion = Math.max(state.currentVersion, ...(e.completed ?? []).map((r) => r.version))
        throw e
      })
      // A skipped step was applied by another runner: it counts as applied too.
      const currentVersion = Math.max(state.currentVersion, ...results.map((r) => r.version))
      emit({ type: 'done', service, direction: 'up', applied: count(results, 'applied'), currentVersion })
      return { service, direction: 'up' as const, dryRun: false, plan: steps, results, currentVersion, warnings }
    })
  }

  async function down(opts: DownOptions & { dryRun?: boolean; signal?: AbortSignal } = {}): Promise<RunResult> {
    const dryRun = opts.dryRun ?? options.dryRun ?? false
    checkTarget(opts)
    const source = await load()
    emit({ type: 'start', service, direction: 'down', dryRun })
    const sql = await db()

    const plan = async (state: State) => {
      const files = planDown(state, source.migrations, opts)
      const warnings = files
        .filter((f) => state.modified.some((m) => m.version === f.version))
        .map((f) => `${f.up.file} changed since it was applied; its down file may not match what is in the database`)
      const contents = await Promise.all(files.map(async (f) => (await readSource(f.down!)).content))
      const steps = prepareAll(files, (f) => prepare(sql, f, 'down', contents[files.indexOf(f)]!, f.down!.file))
      // A syntax error in the 8th down of `down --to 40` stops it before the first rollback.
      await checkSyntax(steps)
      return { steps, warnings }
    }

    if (dryRun) {
      const { state } = await readState(sql, await tables(), source.migrations)
      const { steps, warnings } = await plan(state)
      for (const w of warnings) emit({ type: 'warning', service, message: w })
      emit({ type: 'plan', service, direction: 'down', count: steps.length, steps })
      return { service, direction: 'down', dryRun, plan: steps, results: [], currentVersion: state.currentVersion, warnings }
    }

    return locked(opts.signal, async (work, t, lock) => {
      const { state } = await readState(work, t, source.migrations)
      const { steps, warnings } = await plan(state)
      for (const w of warnings) emit({ type: 'warning', service, message: w })
      emit({ type: 'plan', service, direction: 'down', count: steps.length, steps })
      const results = await runSteps(runContext(work, t, lock, opts.signal), steps).catch((e: unknown) => {
        if (e instanceof InterruptedError) {
          const gone = new Set((e.completed ?? []).map((r) => r.version))
          const applied = state.entries.filter((x) => x.state !== 'pending' && !gone.has(x.version)).map((x) => x.version)
          e.currentVersion = Math.max(0, ...applied)
        }
        throw e
      })
      const after = await readState(work, t, source.migrations)
      emit({ type: 'done', service, direction: 'down', applied: count(results, 'rolled-back'), currentVersion: after.state.currentVersion })
      return { service, direction: 'down' as const, dryRun: false, plan: steps, results, currentVersion: after.state.currentVersion, warnings }
    })
  }

  async function status(): Promise<StatusResult> {
    const source = await load()
    const sql = await db()
    const { state } = await readState(sql, await tables(), source.migrations)
    return {
      service,
      currentVersion: state.currentVersion,
      pending: state.pending.length,
      migrations: state.entries,
      invalidIndexes: await invalidIndexes(sql, concurrentIndexNames(source.migrations.map((m) => m.up.content))),
    }
  }

  async function statusAll(): Promise<ServiceRow[]> {
    const sql = await db()
    const t = await tables()
    const exist = await tablesState(sql, t)
    return exist.versions && exist.records ? readServices(sql, t) : []
  }

  async function verify(): Promise<VerifyResult> {
    const source = await load(false)
    const findings: Finding[] = source.problems.map((p) => ({ kind: 'bad-name', severity: 'error', file: p.file, message: p.message }))
    for (const w of source.warnings) findings.push({ kind: 'bad-name', severity: 'warning', file: w.file, message: w.message })
    const sql = await db()
    const { state, duplicates } = await readState(sql, await tables(), source.migrations)
    for (const e of state.modified) {
      findings.push({
        kind: 'modified',
        severity: 'error',
        version: e.version,
        file: fileOf(source, e.version),
        message: `${e.name} changed since it was applied (recorded checksum ${e.checksum.slice(0, 12)}, file ${e.fileChecksum?.slice(0, 12)}); revert the edit or accept it with repair`,
      })
    }
    for (const e of state.missing) {
      findings.push({ kind: 'missing-file', severity: 'error', version: e.version, message: `${e.name} is applied but its file is gone` })
    }
    for (const f of state.outOfOrder) {
      findings.push({
        kind: 'out-of-order',
        severity: 'error',
        version: f.version,
        file: f.up.file,
        message: `${f.name} is pending but older than the current version ${state.currentVersion}`,
      })
    }
    for (const f of source.migrations) {
      if (!f.down) findings.push({ kind: 'missing-down', severity: 'warning', version: f.version, file: f.up.file, message: `${f.name} has no down file` })
    }
    for (const name of await invalidIndexes(sql, concurrentIndexNames(source.migrations.map((m) => m.up.content)))) {
      findings.push({
        kind: 'invalid-index',
        severity: 'error',
        message: `index ${name} is INVALID (a CREATE INDEX CONCURRENTLY failed); the next up drops and rebuilds it`,
      })
    }
    for (const v of duplicates) {
      findings.push({ kind: 'duplicate-record', severity: 'warning', version: v, message: `version ${v} is recorded more than once in migration_records` })
    }
    return { service, ok: !findings.some((f) => f.severity === 'error'), findings }
  }

  async function generate(description: string): Promise<GenerateResult> {
    const slug = slugify(description)
    if (!slug) throw new ConfigError(`description ${JSON.stringify(description)} has no letters or digits to make a file name from`)
    await mkdir(dir, { recursive: true })
    const source = await load(false, false)
    const last = source.migrations.reduce((max, m) => Math.max(max, m.version), 0)
    const version = last + 1
    // The directory's own width, as lint expects it (source/name.ts).
    const width = versionWidth(source.migrations.map((m) => m.name.slice(0, m.name.indexOf('_'))))
    const stem = `${String(version).padStart(width, '0')}_${slug}`
    // Follow the directory's convention when every file uses the underscore form.
    const underscore = source.migrations.length > 0 && source.migrations.every((m) => m.up.file.endsWith('_up.sql'))
    const [upName, downName] = underscore ? [`${stem}_up.sql`, `${stem}_down.sql`] : [`${stem}.up.sql`, `${stem}.down.sql`]
    const upPath = join(dir, upName)
    const downPath = join(dir, downName)
    try {
      await writeFile(upPath, `-- ${description}\n`, { flag: 'wx' })
      await writeFile(downPath, `-- Undo: ${description}\n`, { flag: 'wx' })
    } catch (e) {
      throw new MigrateError('GENERATE_FAILED', `cannot create ${(e as { path?: string }).path ?? upPath}: ${(e as Error).message}`)
    }
    return { version, up: upPath, down: downPath }
  }

  /**
   * Records (or removes) versions. With `dryRun`: no lock, no write, not
   * even the bookkeeping tables; the result says what would be recorded.
   */
  async function markVersions(versions: number[], pending: boolean, dryRun: boolean): Promise<MarkResult> {
    const source = await load()
    const byVersion = new Map(source.migrations.map((m) => [m.version, m]))
    if (!pending) await checkVersionColumns(await db(), await tables(), versions.map((version) => ({ version, file: byVersion.get(version)?.up.file })))
    const apply = async (conn: Sql | ReservedSql, t: Tracking, write: boolean): Promise<MarkResult> => {
      const { state } = await readState(conn, t, source.migrations)
      const applied = new Set(state.entries.filter((e) => e.state !== 'pending').map((e) => e.version))
      const marked: MarkResult['marked'] = []
      for (const v of versions) {
        if (pending) {
          if (!applied.has(v)) continue
          if (write) await runBookkeeping(conn as ReservedSql, '', recordDownSql(t, service, v))
          marked.push({ version: v, name: state.entries.find((e) => e.version === v)!.name, state: 'pending' })
        } else {
          const f = byVersion.get(v)
          if (!f) throw new ConfigError(`no migration file has version ${v} in ${dir}`, 'TARGET_INVALID')
          if (applied.has(v)) continue
          const outcome = write ? await runBookkeeping(conn as ReservedSql, guardSql(t, service, v, 'up'), recordUpSql(t, service, f)) : 'done'
          if (outcome === 'done') marked.push({ version: v, name: f.name, state: 'applied' })
        }
      }
      if (!write) {
        // What the version would be: the highest applied one after the change.
        const after = new Set(applied)
        for (const m of marked) m.state === 'applied' ? after.add(m.version) : after.delete(m.version)
        return { service, dryRun: true, marked, currentVersion: Math.max(0, ...after) }
      }
      const after = await readState(conn, t, source.migrations)
      return { service, dryRun: false, marked, currentVersion: after.state.currentVersion }
    }
    if (dryRun) return apply(await db(), await tables(), false)
    return locked(undefined, (work, t) => apply(work, t, true))
  }

  async function markTo(to: number, opts: { dryRun?: boolean } = {}): Promise<MarkResult> {
    const source = await load()
    return markVersions(source.migrations.filter((m) => m.version <= to).map((m) => m.version), false, opts.dryRun ?? options.dryRun ?? false)
  }

  async function markFromGolangMigrate(opts: { dryRun?: boolean; force?: boolean } = {}): Promise<MarkResult> {
    const sql = await db()
    const gm = await readGolangMigrate(sql)
    if (!gm) throw new MigrateError('QUERY_FAILED', 'no golang-migrate table schema_migrations in this database')
    if (gm.dirty) {
      throw new MigrateError(
        'INTEGRITY',
        `golang-migrate's schema_migrations is dirty at version ${gm.version}: fix that migration by hand and clear the dirty flag first`,
        { exitCode: 3 },
      )
    }
    const source = await load()
    // An empty table: golang-migrate applied nothing (version 0 is a real version).
    if (gm.version === null) {
      const { state } = await readState(sql, await tables(), source.migrations)
      return { service, dryRun: opts.dryRun ?? options.dryRun ?? false, marked: [], currentVersion: state.currentVersion }
    }
    // The recorded version must be one of these files: anything else means
    // another directory, a renumbered set or files not pulled yet, and
    // marking up to it would record the wrong history.
    const versions = source.migrations.map((m) => m.version)
    if (!opts.force && !versions.includes(gm.version)) {
      const below = source.migrations.filter((m) => m.version < gm.version!).at(-1)
      const above = source.migrations.find((m) => m.version > gm.version!)
      const near = [below && `${below.up.file} below`, above && `${above.up.file} above`].filter(Boolean).join(', ')
      const why = above ? 'no migration file has that version' : 'it lies above every migration file'
      throw new MigrateError(
        'INTEGRITY',
        `golang-migrate's schema_migrations records version ${gm.version}, but ${why} in ${dir}` +
          `${near ? ` (nearest: ${near})` : ' (the directory has no migrations)'}; ` +
          'check that this is the right directory, or mark up to the nearest file below it with --force',
        { exitCode: 3 },
      )
    }
    return markTo(gm.version, opts)
  }

  /** Accepts the files' current checksums; with `dryRun` only lists what would change. */
  async function repair(opts: { dryRun?: boolean } = {}) {
    const source = await load()
    const dryRun = opts.dryRun ?? options.dryRun ?? false
    const apply = async (conn: Sql | ReservedSql, t: Tracking, write: boolean) => {
      const { state } = await readState(conn, t, source.migrations)
      const repaired = []
      for (const e of state.modified) {
        if (write) await runBookkeeping(conn as ReservedSql, '', repairSql(t, service, e.version, e.fileChecksum!))
        repaired.push({ version: e.version, name: e.name, from: e.checksum, to: e.fileChecksum! })
      }
      return { service, dryRun: !write, repaired }
    }
    if (dryRun) return apply(await db(), await tables(), false)
    return locked(undefined, (work, t) => apply(work, t, true))
  }

  return {
    service,
    dir,
    up,
    down,
    status,
    statusAll,
    verify,
    lint: (opts = {}) => lintTarget({ dir }, { useTransactions: options.useTransactions, ...opts }),
    generate,
    mark: (version, opts = {}) => markVersions([version], opts.pending ?? false, opts.dryRun ?? options.dryRun ?? false),
    markTo,
    markFromGolangMigrate,
    repair,
    async close() {
      if (sqlPromise && !options.sql) {
        const sql = await sqlPromise.catch(() => undefined)
        await sql?.end({ timeout: 5 })
      }
      sqlPromise = undefined
      trackingPromise = undefined
    },
  }
}

function modifiedWarnings(state: State): string[] {
  return state.modified.map(
    (e) => `migration ${e.name} was modified after it was applied (checksum ${e.checksum.slice(0, 12)} recorded, ${e.fileChecksum?.slice(0, 12)} now); see verify and repair`,
  )
}

function count(results: MigrationResult[], status: MigrationResult['status']): number {
  return results.filter((r) => r.status === status).length
}

function fileOf(source: Source, version: number): string | undefined {
  return source.migrations.find((m) => m.version === version)?.up.file
}

/** The library logger gets the same lines as the CLI, without the prefix. */
function logLine(logger: NonNullable<MigratorOptions['logger']>, e: MigrateEvent): void {
  const line = eventLine(e)
  if (!line) return
  if (e.type === 'warning') (logger.warn ?? logger.info).call(logger, line)
  else logger.info(line)
}

/** Per pool and service, the tail of the queue of runs waiting for their turn. */
const queues = new WeakMap<object, Map<string, Promise<unknown>>>()

function serialize<T>(pool: object, service: string, run: () => Promise<T>): Promise<T> {
  let byService = queues.get(pool)
  if (!byService) queues.set(pool, (byService = new Map()))
  const previous = byService.get(service) ?? Promise.resolve()
  const result = previous.catch(() => {}).then(run)
  const tail = result.catch(() => {})
  byService.set(service, tail)
  void tail.then(() => {
    if (byService!.get(service) === tail) byService!.delete(service)
  })
  return result
}

/** The run's connection is gone (lost, or given up after a stall). */
function isLost(e: unknown): boolean {
  const code = (e as { code?: string })?.code
  return connectionLost(e) || code === 'CONNECTION_LOST' || code === 'CONNECTION_STALLED'
}

/** The lock wait's pause, cut short by an abort (nothing ran yet: nothing to undo). */
function abortableSleep(signal: AbortSignal): (ms: number) => Promise<void> {
  return (ms) =>
    new Promise<void>((resolve, reject) => {
      const stop = () => {
        clearTimeout(timer)
        reject(Object.assign(new InterruptedError('interrupted while waiting for the migration lock'), { completed: [] }))
      }
      if (signal.aborted) return stop()
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', stop)
        resolve()
      }, ms)
      signal.addEventListener('abort', stop, { once: true })
    })
}

/** Rejects when `promise` has not settled within `ms`. */
function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms}ms`)), ms)
  })
  // The raced promise may still reject later (its connection ended by close()): never unhandled.
  promise.catch(() => {})
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer))
}
