/**
 * The server engine: a scratch database on the configured server, created
 * for one check and dropped after it, also when the check is aborted
 * (Ctrl-C: the CLI aborts the signal, and the abort drops the database at
 * once, ending whatever was running in it).
 *
 * Its name, `link_migrate_check_<service>_<8 hex>`, cannot collide with a
 * real database (nobody names one so) nor with a concurrent check. Its
 * comment records when it was made. A check killed with SIGKILL cannot drop
 * its database: the next check on that server drops the scratch databases
 * that no session uses and that are older than {@link STALE_AFTER_MS}.
 */
import { randomBytes } from 'node:crypto'
import type { ReservedSql, Sql } from 'postgres'
import type { ConnectionConfig } from '../config/connection.js'
import { connect, describeTarget } from '../db/connect.js'
import { runStatements, runTransactional } from '../db/execute.js'
import { ident } from '../db/tracking.js'
import { MigrateError } from '../errors.js'
import { versionNumber, type CheckEngine } from './engine.js'
import { CATALOG_SETTINGS, type CatalogQuery } from './snapshot.js'
import type { EngineTimings } from './types.js'

export const SCRATCH_PREFIX = 'link_migrate_check_'

/** A scratch database older than this, that no session uses, was left by a killed check. */
export const STALE_AFTER_MS = 60 * 60 * 1000

/** The comment a scratch database carries: `link-migrate check scratch database, created <ISO time>`. */
const COMMENT_PREFIX = 'link-migrate check scratch database, created '

export interface ServerOptions {
  connection: ConnectionConfig
  service: string
  /** Retry the first connection this long (`--wait`). */
  waitMs?: number
  /** Aborting drops the scratch database immediately. */
  signal?: AbortSignal
  /** Told the names of stale scratch databases it dropped (left by killed checks). */
  onStaleDropped?: (names: string[]) => void
}

export interface ServerEngine extends CheckEngine {
  readonly kind: 'server'
  readonly scratchDatabase: string
  /** The connection to the configured database (drift reads the live schema through it). */
  readonly admin: Sql
}

/** `link_migrate_check_discovery_svc_1a2b3c4d`: at most 63 bytes, lower case, [a-z0-9_]. */
export function scratchName(service: string): string {
  const slug = service
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 63 - SCRATCH_PREFIX.length - 9)
  return `${SCRATCH_PREFIX}${slug || 'service'}_${randomBytes(4).toString('hex')}`
}

/**
 * Connects, creates the scratch database (from template0: empty, whatever
 * template1 holds) and opens one session in it. Throws ConnectError, or a
 * MigrateError (QUERY_FAILED) when the database cannot be created.
 */
export async function startServer(opts: ServerOptions): Promise<ServerEngine> {
  const t0 = performance.now()
  const admin = await connect(opts.connection, { waitMs: opts.waitMs, max: 2 })
  const tConnected = performance.now()
  const name = scratchName(opts.service)
  let created = false
  let creating: Promise<unknown> | undefined
  let work: Sql | undefined
  let conn: ReservedSql | undefined
  let closed: Promise<void> | undefined

  const [{ v, now }] = (await admin`select current_setting('server_version') as v, now() as now`) as unknown as [{ v: string; now: Date }]
  const serverVersion = versionNumber(v)
  const serverMajor = parseInt(serverVersion, 10)
  const stale = await dropStale(admin, now).catch(() => [] as string[])
  if (stale.length > 0) opts.onStaleDropped?.(stale)

  const close = (): Promise<void> =>
    (closed ??= (async () => {
      // Aborted while CREATE DATABASE runs: wait for it, then drop what it made.
      await creating?.catch(() => {})
      conn?.release()
      await work?.end({ timeout: 0 }).catch(() => {})
      if (created) await dropDatabase(admin, name, serverMajor).catch(() => {})
      await admin.end({ timeout: 5 }).catch(() => {})
    })())
  const onAbort = () => void close()

  try {
    if (opts.signal?.aborted) throw opts.signal.reason
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    try {
      await (creating = admin.unsafe(`create database ${ident(name)} template template0`).then(() => (created = true)))
    } catch (e) {
      throw new MigrateError(
        'QUERY_FAILED',
        `check could not create its scratch database on ${describeTarget(opts.connection)}: ${(e as Error).message}` +
          ' (the user needs CREATEDB; or run check without a database to use the embedded engine)',
        { cause: e },
      )
    }
    // When it was made, by the server's clock: what a later check judges its age by.
    await admin.unsafe(`comment on database ${ident(name)} is '${COMMENT_PREFIX}${now.toISOString()}'`).catch(() => {})
    if (opts.signal?.aborted) throw opts.signal.reason
    const tCreated = performance.now()
    work = await connect({ ...opts.connection, database: name }, { max: 1 })
    conn = await work.reserve()
    const timings: EngineTimings = {
      totalMs: round(performance.now() - t0),
      connectMs: round(tConnected - t0),
      createMs: round(tCreated - tConnected),
    }
    const session = conn
    return {
      kind: 'server',
      serverVersion,
      serverMajor,
      scratchDatabase: name,
      admin,
      timings,
      catalog: catalogOn(session, 'begin'),
      async run(step, runOpts = {}) {
        if (step.transactional) {
          await runTransactional(session, {
            file: step.file,
            prefix: '',
            body: step.sql,
            suffix: '',
            timeoutMs: runOpts.timeoutMs,
            lockTimeoutMs: step.lockTimeoutMs,
          })
        } else {
          await runStatements(session, {
            file: step.file,
            content: step.sql,
            statements: step.statements ?? [],
            lockTimeoutMs: step.lockTimeoutMs,
            timeoutMs: runOpts.timeoutMs,
          })
        }
      },
      limitation: () => undefined,
      trace: {
        exec: async (sql) => void (await session.unsafe(sql)),
        query: async (sql) => (await session.unsafe(sql)) as unknown as Record<string, unknown>[],
      },
      async close() {
        opts.signal?.removeEventListener('abort', onAbort)
        await close()
      },
    }
  } catch (e) {
    opts.signal?.removeEventListener('abort', onAbort)
    await close()
    // Opened after an abort had already closed everything else.
    await work?.end({ timeout: 0 }).catch(() => {})
    throw e
  }
}

/**
 * Catalog queries on one session, in a transaction of their own with
 * CATALOG_SETTINGS (`set local`: nothing leaks into the migrations' session).
 * The server plans each query with its own statistics: no LOOKUP (snapshot.ts)
 * settings here (with hash joins off, its plan for a scoped read took seconds).
 * `begin read only` for a live database.
 */
export function catalogOn(conn: ReservedSql, begin: 'begin' | 'begin read only'): CatalogQuery {
  return async (text, params) => {
    await conn.unsafe(`${begin}; ${CATALOG_SETTINGS}`)
    try {
      const rows = (await conn.unsafe(text, params as never[])) as unknown as Record<string, unknown>[]
      await conn.unsafe('commit')
      return rows
    } catch (e) {
      await conn.unsafe('rollback').catch(() => {})
      throw e
    }
  }
}

/**
 * Drops the scratch databases a killed check left: named with the prefix,
 * made (per their comment) more than STALE_AFTER_MS before `now`, with no
 * session in them, and owned by this user (or this user is a superuser).
 * Without FORCE, so a database someone connects to meanwhile stays.
 * Returns the names dropped; a database that cannot be dropped is left.
 */
async function dropStale(admin: Sql, now: Date): Promise<string[]> {
  const rows = (await admin`
    select d.datname as name, shobj_description(d.oid, 'pg_database') as comment
      from pg_database d
     where d.datname like ${SCRATCH_PREFIX.replace(/_/g, '\\_') + '%'}
       -- Only a client counts as using it: an autovacuum worker may visit any database.
       and not exists (select 1 from pg_stat_activity a where a.datname = d.datname and a.backend_type = 'client backend')
       and (pg_has_role(d.datdba, 'USAGE') or (select rolsuper from pg_roles where rolname = current_user))
  `) as unknown as { name: string; comment: string | null }[]
  const dropped: string[] = []
  for (const { name, comment } of rows) {
    const made = comment?.startsWith(COMMENT_PREFIX) ? Date.parse(comment.slice(COMMENT_PREFIX.length)) : NaN
    if (!(now.getTime() - made > STALE_AFTER_MS)) continue
    // An autovacuum worker in it makes DROP fail for a moment (55006): try a few times, bounded.
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await admin.unsafe(`drop database if exists ${ident(name)}`)
        dropped.push(name)
        break
      } catch (e) {
        // In use by a client by now, or not ours to drop: leave it.
        if ((e as { code?: string }).code !== '55006' || attempt === 4) break
        const [row] = await admin`select exists (select 1 from pg_stat_activity where datname = ${name} and backend_type = 'client backend') as used`
        if (row?.used) break
        await new Promise((r) => setTimeout(r, 200))
      }
    }
  }
  return dropped
}

/** DROP DATABASE ... WITH (FORCE) (13+) ends sessions still in it; before 13 they are terminated first. */
async function dropDatabase(admin: Sql, name: string, serverMajor: number): Promise<void> {
  if (serverMajor >= 13) {
    await admin.unsafe(`drop database if exists ${ident(name)} with (force)`)
    return
  }
  await admin`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${name} and pid <> pg_backend_pid()`
  await admin.unsafe(`drop database if exists ${ident(name)}`)
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10
}
