/**
 * The embedded engine: PostgreSQL (PGlite, WebAssembly) in this process,
 * so `check` needs no server. PGlite is imported here only, and this module
 * only by `check`: nothing else pays for it.
 *
 * PGlite runs one session, in memory; a query runs to its end before
 * anything else happens in this process (so --timeout cannot cancel one
 * here, and there is nothing to clean up when interrupted).
 */
import { pathToFileURL } from 'node:url'
import { MigrateError } from '../errors.js'
import { statementError, toQueryError } from '../db/error.js'
import type { PlanStep } from '../types.js'
import { dataDirSnapshotPath, pgliteFiles, readDataDirSnapshot, withRequired, writeDataDirSnapshot } from '../assets/pglite.js'
import { versionNumber, type CheckEngine } from './engine.js'
import { catalogSettings, type CatalogQuery } from './snapshot.js'
import type { TraceSession } from './trace.js'
import type { EngineTimings } from './types.js'

export interface EmbeddedOptions {
  /** Extensions the migrations create: their bundles are loaded (others cost nothing). */
  extensions: string[]
  /** Keep a snapshot of a fresh data directory for later runs (default true). */
  cache?: boolean
}

export interface EmbeddedEngine extends CheckEngine {
  readonly kind: 'embedded'
  /** Extensions this engine can create (plus plpgsql, always there). */
  readonly available: ReadonlySet<string>
  /** `PGlite 0.5.16` */
  readonly label: string
}

/** Minimal shape of the PGlite instance we use (its types stay out of our .d.ts). */
interface Pg {
  exec(sql: string): Promise<unknown>
  query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>
  transaction<T>(fn: (tx: Pg) => Promise<T>): Promise<T>
  dumpDataDir(compression?: 'none' | 'gzip' | 'auto'): Promise<Blob>
  close(): Promise<void>
}

/**
 * Starts PGlite from the cached data directory when there is one, else with
 * initdb (then caches it). Throws when PGlite cannot start.
 */
export async function startEmbedded(opts: EmbeddedOptions): Promise<EmbeddedEngine> {
  const t0 = performance.now()
  const [{ PGlite }, files] = await Promise.all([import('@electric-sql/pglite'), pgliteFiles()]).catch(pgliteMissing)
  const wanted = withRequired(opts.extensions.filter((n) => files.extensions.includes(n)))
  // One entry per tarball: PGlite unpacks each into its file system.
  const extensions: Record<string, { name: string; setup: () => Promise<{ bundlePath: URL }> }> = {}
  const seen = new Set<string>()
  for (const name of wanted) {
    const path = files.tarball(name)
    if (seen.has(path)) continue
    seen.add(path)
    extensions[`ext_${name.replace(/[^A-Za-z0-9_]/g, '_')}`] = { name, setup: async () => ({ bundlePath: pathToFileURL(path) }) }
  }
  const base = {
    ...(files.pgliteWasmModule ? { pgliteWasmModule: files.pgliteWasmModule } : {}),
    ...(files.initdbWasmModule ? { initdbWasmModule: files.initdbWasmModule } : {}),
    ...(files.fsBundle ? { fsBundle: files.fsBundle } : {}),
    extensions,
    // A throwaway cluster: never wait for the (in-memory) disk.
    relaxedDurability: true,
    // 1 MB WAL segments instead of 16: the data directory (and its cached
    // snapshot, which every start unpacks) is 10 MB smaller, ~50 ms faster.
    initDbStartParams: ['--wal-segsize=1'],
  }

  const snapshotPath = opts.cache === false ? undefined : dataDirSnapshotPath(files.version)
  const tBoot = performance.now()
  let loadDataDir = readDataDirSnapshot(snapshotPath)
  let pg: Pg
  try {
    pg = (await PGlite.create({ ...base, ...(loadDataDir ? { loadDataDir } : {}) })) as unknown as Pg
  } catch (e) {
    if (!loadDataDir) throw e
    // A cached data directory PGlite refuses: start clean, and replace it below.
    loadDataDir = undefined
    pg = (await PGlite.create(base)) as unknown as Pg
  }
  const tBooted = performance.now()
  let cacheWriteMs: number | undefined
  if (!loadDataDir && snapshotPath) {
    // Before anything runs in it: the cache holds a fresh cluster.
    const dump = await pg.dumpDataDir('none')
    writeDataDirSnapshot(snapshotPath, new Uint8Array(await dump.arrayBuffer()))
    cacheWriteMs = performance.now() - tBooted
  }
  const [row] = (await pg.query<{ v: string }>("select current_setting('server_version') as v")).rows
  const serverVersion = versionNumber(row?.v ?? '')

  const timings: EngineTimings = {
    totalMs: round(performance.now() - t0),
    decodeMs: round(files.decodeMs),
    compileMs: round(files.compileMs),
    bootMs: round(tBooted - tBoot),
    dataDir: loadDataDir ? 'cache' : 'initdb',
    ...(cacheWriteMs !== undefined ? { cacheWriteMs: round(cacheWriteMs) } : {}),
  }

  let closed: Promise<void> | undefined
  return {
    kind: 'embedded',
    label: `PGlite ${files.version}`,
    serverVersion,
    serverMajor: parseInt(serverVersion, 10),
    timings,
    available: new Set(['plpgsql', ...files.extensions]),
    catalog: preparedCatalog(pg),
    run: async (step) => {
      const notes: string[] = []
      const exec = (text: string) => execCreatingRoles(pg, text, notes)
      await (step.transactional ? runTransactional(pg, exec, step) : runStatements(exec, step))
      return notes
    },
    limitation,
    // (VACUUM updates pg_class's statistics in place: nothing a snapshot reads)
    tidy: () => pg.exec(`vacuum ${TIDIED.join(', ')}`).then(
      () => {},
      () => {},
    ),
    trace: traceSessionOf(pg),
    close() {
      return (closed ??= pg
        .close()
        .catch(() => {})
        .finally(() => files.cleanup()))
    },
  }
}

/**
 * Catalog queries as session-level prepared statements with a generic plan:
 * a snapshot is one large query taken twice per migration, and on the
 * embedded engine parsing and planning it cost as much as running it. A
 * migration that runs DEALLOCATE or DISCARD ALL only costs a new PREPARE.
 */
function preparedCatalog(pg: Pg): CatalogQuery {
  const names = new Map<string, string>()
  const attempt = (text: string, params: unknown[]) =>
    pg.transaction(async (tx) => {
      await tx.exec(`${catalogSettings(text)}; set local plan_cache_mode = force_generic_plan`)
      let name = names.get(text)
      if (name === undefined) {
        // One statement per query text (an incremental snapshot takes a few).
        name = `link_migrate_catalog_${names.size + 1}`
        await tx.exec(`${names.size === 0 ? 'deallocate all; ' : ''}prepare ${name}${params.length > 0 ? `(${params.map(() => 'text').join(', ')})` : ''} as ${text}`)
        names.set(text, name)
      }
      const args = params.map((p) => (p === null ? 'null' : `'${String(p).replace(/'/g, "''")}'`)).join(', ')
      return (await tx.query<Record<string, unknown>>(`execute ${name}${args === '' ? '' : `(${args})`}`)).rows
    })
  return async (text, params) => {
    try {
      return await attempt(text, params)
    } catch (e) {
      // 26000: the statement is gone (DEALLOCATE / DISCARD ALL in a migration).
      if ((e as { code?: string }).code !== '26000') throw e
      names.clear()
      return attempt(text, params)
    }
  }
}

/**
 * The session for `check --locks` (trace.ts): the one PGlite session. The
 * trace's read is prepared once (parsing and planning it cost half of each
 * read here); a migration's DEALLOCATE or DISCARD only costs a new PREPARE.
 */
function traceSessionOf(pg: Pg): TraceSession {
  const prepared = new Map<string, string>()
  const run = async (sql: string) => {
    let name = prepared.get(sql)
    if (name === undefined) {
      name = `link_migrate_trace_${prepared.size + 1}`
      await pg.exec(`prepare ${name} as ${sql}`)
      prepared.set(sql, name)
    }
    return (await pg.query<Record<string, unknown>>(`execute ${name}`)).rows
  }
  return {
    exec: async (sql) => void (await pg.exec(sql)),
    async query(sql) {
      try {
        return await run(sql)
      } catch (e) {
        // 26000: gone (DEALLOCATE / DISCARD ALL); 42P05: our name was taken.
        const code = (e as { code?: string }).code
        if (code !== '26000' && code !== '42P05') throw e
        prepared.clear()
        await pg.exec('deallocate all')
        return run(sql)
      }
    },
    async recover(e) {
      const role = missingRole(e)
      if (role === undefined) return undefined
      await pg.exec(`create role "${role.replace(/"/g, '""')}" nologin`)
      return roleNote(role)
    },
  }
}

/** The role a failure names as missing (`role "reporting" does not exist`), or undefined. */
function missingRole(e: unknown): string | undefined {
  const err = e as { code?: string; message?: string }
  return err?.code === '42704' ? /^role "(.+)" does not exist$/.exec(err.message ?? '')?.[1] : undefined
}

function roleNote(role: string): string {
  return `created role "${role}" (NOLOGIN) in the embedded engine, which has no roles but its superuser`
}

/**
 * Runs `text`; when it fails only because a role does not exist (GRANT ...
 * TO reporting, ALTER ... OWNER TO app), creates the role (NOLOGIN) and runs
 * it again. Roles live outside any database and the embedded cluster starts
 * with none but its superuser, while the server the files are written for
 * has them; privileges and owners are not compared, so this changes nothing
 * check looks at. A transactional text was rolled back whole, so running it
 * again is exact. Each role created is noted.
 */
async function execCreatingRoles(pg: Pg, text: string, notes: string[]): Promise<void> {
  for (let tries = 0; ; tries++) {
    try {
      await pg.exec(text)
      return
    } catch (e) {
      const role = missingRole(e)
      if (role === undefined || tries >= 20) throw e
      await pg.exec('rollback').catch(() => {})
      await pg.exec(`create role "${role.replace(/"/g, '""')}" nologin`)
      notes.push(roleNote(role))
    }
  }
}

/** The catalogs every CREATE and DROP of a table writes (vacuumed by `tidy`). */
const TIDIED = ['pg_class', 'pg_attribute', 'pg_type', 'pg_depend', 'pg_index', 'pg_constraint', 'pg_attrdef', 'pg_description', 'pg_sequence', 'pg_trigger']

const HEAD = 'begin;\n'

/** The file in one transaction, as db/execute.ts sends it to a server (without bookkeeping). */
async function runTransactional(pg: Pg, exec: (text: string) => Promise<void>, step: PlanStep): Promise<void> {
  try {
    // The newline ends a trailing `--` comment; the `;` ends a last statement without one.
    await exec(HEAD + step.sql + '\n;\ncommit;\nreset all;')
  } catch (e) {
    await pg.exec('rollback').catch(() => {})
    throw toQueryError(e, { file: step.file, content: step.sql, prefixChars: HEAD.length })
  }
}

/** A no-transaction file statement by statement, each on its own, as db/execute.ts does. */
async function runStatements(exec: (text: string) => Promise<void>, step: PlanStep): Promise<void> {
  const statements = step.statements ?? []
  for (const [i, stmt] of statements.entries()) {
    try {
      await exec(stmt.text)
    } catch (e) {
      const ran = statements.slice(0, i)
      const details = ran.length
        ? [`${ran.length} statement(s) ran before this one (no transaction):`, ...ran.map((s) => `  line ${s.line}: ${oneLine(s.text)}`)]
        : []
      throw statementError(e, { file: step.file, content: step.sql, stmt, details })
    }
  }
}

/**
 * PGlite's own limits, as opposed to a broken migration: an extension or a
 * procedural language it was not built with. Only these make a migration
 * "skipped"; any other error is the migration's.
 */
function limitation(e: unknown): string | undefined {
  const cause = e instanceof MigrateError && e.cause !== undefined ? e.cause : e
  const err = cause as { code?: string; message?: string }
  const message = err?.message ?? ''
  if (err?.code === '0A000' && /^extension ".*" is not available/.test(message)) return `${message} in the embedded engine`
  if (err?.code === '42704' && /^language ".*" does not exist/.test(message)) return `${message} in the embedded engine`
  return undefined
}

function oneLine(sql: string): string {
  const flat = sql.replace(/\s+/g, ' ').trim()
  return flat.length > 100 ? flat.slice(0, 97) + '...' : flat
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10
}

/**
 * The npm package leaves PGlite (~27 MB) optional: the CLI carries its own
 * copy, a library user who wants check on the embedded engine installs it.
 */
function pgliteMissing(e: unknown): never {
  const err = e as { code?: string; message?: string }
  if ((err?.code === 'ERR_MODULE_NOT_FOUND' || err?.code === 'MODULE_NOT_FOUND') && /@electric-sql\/pglite/.test(err.message ?? '')) {
    throw new MigrateError(
      'CONNECT_FAILED',
      "check on the embedded engine needs the optional package @electric-sql/pglite: npm install @electric-sql/pglite, or give check a server (url or connection); the link-migrate CLI carries its own copy",
      { cause: e },
    )
  }
  throw e
}
