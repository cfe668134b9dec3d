/**
 * What every engine operation shares: the options checked once, the
 * connection (opened lazily, every wait on it bounded), the bookkeeping
 * tables, the event stream, and reading the directory and the recorded state.
 */
import type { ReservedSql, Sql } from 'postgres'
import { type ConnectionConfig } from '../config/connection.js'
import { resolveConnection } from '../config/resolve.js'
import { checkService, isGenericService, serviceFromDir } from '../config/target.js'
import { computeState, isRecorded, type State } from '../core/plan.js'
import { eventLine } from '../core/messages.js'
import { connectWith, targetOf } from '../db/connect.js'
import { bounded, STALL_MARGIN_MS } from '../db/deadline.js'
import { readMarkers } from '../db/progress.js'
import { readApplied, resolveTrackingSchema, servicesWithChecksums, tablesState, tracking, type Tracking } from '../db/tracking.js'
import { ConfigError, ConnectError } from '../errors.js'
import { assertUsable, scan } from '../source/scan.js'
import type { MigrateEvent, Source } from '../types.js'
import type { MigratorOptions } from './types.js'

const DEFAULT_TIMEOUT_MS = 10 * 60_000

export class Context {
  readonly service: string
  readonly dir: string
  readonly timeoutMs: number
  /**
   * A silent network: every wait on the server is bounded on the client by
   * the migration timeout plus a margin (db/deadline.ts); past it our pool is
   * closed, so nothing keeps waiting on a socket that will never answer. A
   * caller's pool is the caller's: only the wait ends.
   */
  readonly stallMs: number
  sqlPromise: Promise<Sql> | undefined
  trackingPromise: Promise<Tracking> | undefined
  /** Connections of our own pool that closed (the lock's or the work's): counted to notice a lost lock. */
  closes = 0
  private serviceChecked: Promise<void> | undefined
  /** Ends the tries of a pool still being opened (see {@link ahead}). */
  private opening: AbortController | undefined
  /** What --wait reports while {@link ahead} runs before the output says so; undefined: not held. */
  private held: MigrateEvent[] | undefined

  /** Validates options at once (throws ConfigError); connects lazily. */
  constructor(readonly options: MigratorOptions) {
    this.service = options.service !== undefined ? checkService(options.service, 'service') : serviceFromDir(options.dir)
    this.dir = options.dir
    this.timeoutMs = options.migrationTimeout ?? DEFAULT_TIMEOUT_MS
    if (options.trackingSchema !== undefined && options.trackingSchema.length === 0) {
      throw new ConfigError('trackingSchema is empty')
    }
    // PostgreSQL cuts longer names to 63 bytes (with only a NOTICE): the tables would land in another schema.
    if (options.trackingSchema !== undefined && Buffer.byteLength(options.trackingSchema) > 63) {
      throw new ConfigError(`trackingSchema is ${Buffer.byteLength(options.trackingSchema)} bytes long; PostgreSQL names are at most 63 bytes`)
    }
    this.stallMs = this.timeoutMs + STALL_MARGIN_MS
  }

  /** Resolved on first use, so `generate` never trips over a bad DB_PORT. */
  connectionConfig(): ConnectionConfig {
    return this.options.connection ?? resolveConnection({ databaseUrl: this.options.url, env: this.options.env ?? process.env })
  }

  readonly emit = (e: MigrateEvent): void => {
    if (this.held && e.type === 'connect-wait') {
      this.held.push(e)
      return
    }
    this.options.onEvent?.(e)
    if (this.options.logger) logLine(this.options.logger, e)
  }

  db(): Promise<Sql> {
    return this.dbWith('', (sql) => sql`select 1`).then((r) => r.sql)
  }

  /**
   * db() with `first` as the first query: on a new pool it proves the login
   * (no `select 1` of its own: a no-op `up` is one round trip after login,
   * issue 20). `first` must fail only when the connection does.
   */
  async dbWith<T>(doing: string, first: (sql: Sql) => Promise<T>): Promise<{ sql: Sql; first?: T }> {
    if (this.sqlPromise || this.options.sql) {
      const sql = await (this.sqlPromise ??= Promise.resolve(this.options.sql!))
      return { sql, first: doing ? await this.net(sql, doing, first(sql)) : undefined }
    }
    let result: T | undefined
    const opening = (this.opening = new AbortController())
    this.sqlPromise = Promise.resolve().then(async () => {
      const config = this.connectionConfig()
      const opened = await connectWith(
        config,
        {
          waitMs: this.options.waitForDatabase,
          onWait: (reason, elapsedMs) => this.emit({ type: 'connect-wait', target: config.display, reason, elapsedMs }),
          onClose: () => this.closes++,
          // No type fetch: one round trip less on every connection (issue 20).
          types: false,
          signal: opening.signal,
        },
        first,
      )
      result = opened.first
      return opened.sql
    })
    return { sql: await this.sqlPromise, first: result }
  }

  /**
   * {@link dbWith} begun now, while the caller reads the directory: the
   * login and `first` wait on the server as the files are read (issue 20: a
   * container start's no-op `up`). Until {@link release} the connect-wait
   * events of --wait are held back, so the output reads as before: the
   * connection after the directory. A caller that stops before awaiting it
   * calls {@link abandon}.
   */
  ahead<T>(doing: string, first: (sql: Sql) => Promise<T>): Promise<{ sql: Sql; first?: T }> {
    this.held = []
    const opened = this.dbWith(doing, first)
    // Awaited later, or abandoned: never an unhandled rejection meanwhile.
    opened.catch(() => {})
    return opened
  }

  /** Emits the events {@link ahead} held back, and holds no more. */
  release(): void {
    const held = this.held ?? []
    this.held = undefined
    for (const e of held) this.emit(e)
  }

  /**
   * Gives up what {@link ahead} began (the directory was refused): its
   * events are dropped, --wait tries no more, and the pool is closed (a try
   * still in flight: once it ends), so nothing is left open.
   */
  async abandon(): Promise<void> {
    this.held = undefined
    await this.close()
  }

  tables(): Promise<Tracking> {
    return (this.trackingPromise ??= this.db().then(async (sql) =>
      tracking(this.options.trackingSchema ?? (await this.net(sql, 'finding the bookkeeping tables', resolveTrackingSchema(sql)))),
    ))
  }

  /** Ends our own pool at once (never a caller's). */
  abort(sql: Sql): () => void {
    return () => {
      if (this.options.sql || this.sqlPromise === undefined) return
      this.sqlPromise = undefined
      void sql.end({ timeout: 0 }).catch(() => {})
    }
  }

  net<T>(sql: Sql, doing: string, p: Promise<T>): Promise<T> {
    return bounded(p, this.stallMs, { target: targetOf(sql), doing }, this.abort(sql))
  }

  /**
   * Reads the directory; `strict`: refuse a directory with problems (a down
   * file whose up file is gone waits for the records: see {@link usable});
   * `guard`: refuse an uncertain derived service name first (never for generate).
   */
  async load(strict = true, guard = true): Promise<Source> {
    const source = await scan(this.dir)
    if (strict) assertUsable(source, 'later')
    if (guard) await (this.serviceChecked ??= this.checkDerivedService(source))
    return source
  }

  /** options.serviceDerived: a generic name, or files recorded under another service, is refused. */
  private async checkDerivedService(source: Source): Promise<void> {
    if (!this.options.serviceDerived) return
    // Its wait for the server, if any, is said now, before the run starts (as it always was).
    this.release()
    const { service, dir } = this
    const how = `(or MIGRATE_SERVICE=NAME)`
    const sql = await this.db()
    const others = await servicesWithChecksums(sql, await this.tables(), service, source.migrations.map((m) => m.checksum))
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

  /**
   * Refuses before anything is written (not even the bookkeeping tables) a
   * directory with a down file whose up file is gone and whose version is
   * not applied: that is decided from the records, read here without the lock.
   */
  async usableBeforeWriting(source: Source): Promise<void> {
    if (!source.problems.some((p) => p.orphanDown !== undefined)) return
    await this.readState(await this.db(), await this.tables(), source)
  }

  /**
   * The recorded state of `source`'s files: records, and the markers of
   * unfinished statement-by-statement runs. `strict`: refuse (FileError) a
   * down file whose up file is gone unless its version is applied.
   */
  async readState(sql: Sql | ReservedSql, t: Tracking, source: Source, strict = true) {
    const read = async () => {
      const exist = await tablesState(sql, t)
      const applied = await readApplied(sql, t, this.service, exist.records)
      const markers = await readMarkers(sql, t, this.service, exist.progress)
      return { state: computeState(source.migrations, applied.rows, markers), duplicates: applied.duplicates, exist }
    }
    const result = await this.net(await this.db(), 'reading the bookkeeping tables', read())
    if (strict) usable(source, result.state)
    return result
  }

  /** Ends the connection the migrator opened (not a caller's `sql`). */
  async close(): Promise<void> {
    // A login still being tried (begun by ahead(), or --wait's retries) is given up.
    this.opening?.abort(new ConnectError('the connection was given up'))
    this.opening = undefined
    if (this.sqlPromise && !this.options.sql) {
      const sql = await this.sqlPromise.catch(() => undefined)
      await sql?.end({ timeout: 5 })
    }
    this.sqlPromise = undefined
    this.trackingPromise = undefined
  }
}

/**
 * Throws FileError when the directory cannot be used with this state: a down
 * file whose up file is gone is fine when its version is applied (status
 * lists that version as "missing file"), else a problem like the others.
 */
export function usable(source: Source, state: State): void {
  assertUsable(source, new Set(state.entries.filter(isRecorded).map((e) => e.version)))
}

/** The library logger gets the same lines as the CLI, without the prefix. */
function logLine(logger: NonNullable<MigratorOptions['logger']>, e: MigrateEvent): void {
  const line = eventLine(e)
  if (!line) return
  if (e.type === 'warning') (logger.warn ?? logger.info).call(logger, line)
  else logger.info(line)
}
