/**
 * PGlite's files for the embedded engine, wherever they are: inlined in the
 * one-file CLI (decoded here), or beside `@electric-sql/pglite` in
 * node_modules (the library). Also the data-directory snapshot cache that
 * saves initdb on later runs, and the extension tarballs PGlite reads from
 * disk.
 *
 * The cache lives in `<os.tmpdir()>/link-migrate-<uid>/`, created 0700 and
 * used only when it is a real directory owned by this user and closed to
 * others: PGlite loads what it finds there (a planted tarball would run in
 * the engine), so a directory anyone else could write to is never read.
 */
import { createHash } from 'node:crypto'
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir, userInfo } from 'node:os'
import { dirname, join } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import { MigrateError } from '../errors.js'
import { inlinedAssets, type InlinedAssets } from './inlined.js'

/** Extensions whose objects live in another extension's tarball. */
const TARBALL_OF: Record<string, string> = { moddatetime: 'spi', autoinc: 'spi', insert_username: 'spi', refint: 'spi' }
/** Extensions that need another one installed first (`CREATE EXTENSION ... CASCADE`). */
const REQUIRES: Record<string, string[]> = { earthdistance: ['cube'] }

export interface PgliteFiles {
  /** `@electric-sql/pglite` version. */
  version: string
  source: 'inlined' | 'package'
  /** Compiled modules and the file-system bundle; absent: PGlite loads its own. */
  pgliteWasmModule?: WebAssembly.Module
  initdbWasmModule?: WebAssembly.Module
  fsBundle?: Blob
  /** Extension names this engine can install. */
  extensions: string[]
  /** Path of the `.tar.gz` that installs `name`, written to disk first when inlined. */
  tarball(name: string): string
  /** Removes temporary files (tarballs written outside the cache). */
  cleanup(): void
  decodeMs: number
  compileMs: number
}

/**
 * Loads (inlined) or locates (package) PGlite's files. Throws when the
 * package is not installed and nothing is inlined.
 */
export async function pgliteFiles(): Promise<PgliteFiles> {
  const t0 = performance.now()
  const inlined = inlinedAssets()
  if (inlined === null) {
    throw new MigrateError(
      'CONNECT_FAILED',
      "this copy of link-migrate has lost its embedded engine (the PGlite files at the end of the file are gone: was it minified or cut?); " +
        'reinstall it, or run check on a server with --database-url',
    )
  }
  return inlined ? fromInlined(inlined, t0) : fromPackage()
}

async function fromInlined(a: InlinedAssets, t0: number): Promise<PgliteFiles> {
  const wasm = a.file('pglite.wasm')
  const initdb = a.file('initdb.wasm')
  const data = a.file('pglite.data')
  if (!wasm || !initdb || !data) throw new MigrateError('CONNECT_FAILED', 'this copy of link-migrate misses part of its embedded engine; reinstall it')
  const t1 = performance.now()
  const [pgliteWasmModule, initdbWasmModule] = await Promise.all([WebAssembly.compile(wasm), WebAssembly.compile(initdb)])
  const t2 = performance.now()
  const tarballs = a.extensions
  let tempDir: string | undefined
  return {
    version: a.version,
    source: 'inlined',
    pgliteWasmModule,
    initdbWasmModule,
    fsBundle: new Blob([data]),
    extensions: extensionNames(tarballs),
    tarball(name) {
      const base = TARBALL_OF[name] ?? name
      // Inlined as brotli of the tar (smaller than PGlite's gzip); PGlite reads gzip.
      const bytes = gzipSync(a.file(`ext/${base}.tar`)!, { level: 1 })
      // PGlite reads extension bundles from a file path (node:fs) only.
      // Named by content, so a cached file is the one we would write.
      const digest = createHash('sha256').update(bytes).digest('hex').slice(0, 16)
      const dir = cacheDir() ?? (tempDir ??= privateTempDir())
      const file = join(dir, `pglite-ext-${base}-${digest}.tar.gz`)
      if (!existsSync(file) || statSync(file).size !== bytes.length) writeAtomically(file, bytes)
      return file
    },
    cleanup() {
      if (tempDir) rmSync(tempDir, { recursive: true, force: true })
    },
    decodeMs: t1 - t0,
    compileMs: t2 - t1,
  }
}

function fromPackage(): PgliteFiles {
  const require = createRequire(import.meta.url)
  const dist = dirname(require.resolve('@electric-sql/pglite'))
  const { version } = JSON.parse(readFileSync(join(dist, '..', 'package.json'), 'utf8')) as { version: string }
  const tarballs = readdirSync(dist)
    .filter((f) => f.endsWith('.tar.gz'))
    .map((f) => f.slice(0, -'.tar.gz'.length))
  return {
    version,
    source: 'package',
    extensions: extensionNames(tarballs),
    tarball: (name) => join(dist, `${TARBALL_OF[name] ?? name}.tar.gz`),
    cleanup() {},
    decodeMs: 0,
    compileMs: 0,
  }
}

/** Extension names the tarballs provide (a tarball is named after its extension, but `spi` holds four). */
function extensionNames(tarballs: string[]): string[] {
  const names = new Set(tarballs.filter((t) => t !== 'spi'))
  for (const [ext, tarball] of Object.entries(TARBALL_OF)) if (tarballs.includes(tarball)) names.add(ext)
  return [...names].sort()
}

/** `names` plus the extensions they require, in install order. */
export function withRequired(names: Iterable<string>): string[] {
  const out: string[] = []
  const visit = (n: string) => {
    if (out.includes(n)) return
    for (const r of REQUIRES[n] ?? []) visit(r)
    out.push(n)
  }
  for (const n of names) visit(n)
  return out
}

// ---------------------------------------------------------------------------
// Data-directory snapshot: a fresh cluster, dumped once after initdb and
// loaded by later runs instead of running initdb again (seconds -> ~0.3 s).

/**
 * Where the snapshot of a fresh data directory for PGlite `version` is
 * kept, or undefined when there is no safe cache directory.
 */
export function dataDirSnapshotPath(version: string, dir = cacheDir()): string | undefined {
  // v2: what we store (a gzipped tar of PGDATA as dumpDataDir gives it, made with 1 MB WAL segments).
  return dir === undefined ? undefined : join(dir, `pglite-${version}-pgdata-v2.tar.gz`)
}

/** The cached snapshot as PGlite's `loadDataDir` wants it (uncompressed: PGlite's own gunzip is slow), or undefined. */
export function readDataDirSnapshot(path: string | undefined): Blob | undefined {
  if (path === undefined || !existsSync(path)) return undefined
  try {
    return new Blob([gunzipSync(readFileSync(path))])
  } catch {
    // A truncated or foreign file: initdb instead, and it gets rewritten.
    return undefined
  }
}

/** Stores the snapshot (gzip level 1: fast; 40 MB of mostly zeros -> ~4 MB). Never throws: the cache is an optimisation. */
export function writeDataDirSnapshot(path: string, tar: Uint8Array): void {
  try {
    writeAtomically(path, gzipSync(tar, { level: 1 }))
  } catch {
    // A full or read-only disk only costs the next run an initdb.
  }
}

/**
 * `<tmpdir>/link-migrate-<uid>`, created 0700; undefined when it cannot be
 * made or is not private to this user (see the module comment).
 */
export function cacheDir(): string | undefined {
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined
  const dir = join(tmpdir(), `link-migrate-${uid ?? safeUserName()}`)
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const st = lstatSync(dir)
    if (!st.isDirectory() || st.isSymbolicLink()) return undefined
    if (uid !== undefined && (st.uid !== uid || (st.mode & 0o077) !== 0)) return undefined
    return dir
  } catch {
    return undefined
  }
}

function safeUserName(): string {
  try {
    return userInfo().username.replace(/[^A-Za-z0-9_.-]/g, '_')
  } catch {
    return 'user'
  }
}

function privateTempDir(): string {
  return mkdtempSync(join(tmpdir(), 'link-migrate-'))
}

/** Write to a temporary name, then rename: a reader never sees half a file, two writers never mix. */
function writeAtomically(path: string, bytes: Uint8Array): void {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
  writeFileSync(tmp, bytes, { mode: 0o600 })
  renameSync(tmp, path)
}
