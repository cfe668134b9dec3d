// Servers that a guarantee test starts for itself, never the shared test
// server: a private PostgreSQL cluster (for restarts and SSL) and PgBouncer.
// Everything listens on 127.0.0.1 only and is stopped by stop(), and at the
// latest when the test process exits. Not a test file itself.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import postgres from 'postgres'

export const IS_ROOT = typeof process.getuid === 'function' && process.getuid() === 0

/** uid/gid of the `postgres` OS user (we run PostgreSQL and PgBouncer as it when we are root). */
export function postgresUser(): { uid: number; gid: number } {
  return {
    uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()),
  }
}

/** A command line run as the `postgres` user when we are root. */
function asPostgres(exe: string, args: string[]): { cmd: string; args: string[] } {
  return IS_ROOT ? { cmd: 'runuser', args: ['-u', 'postgres', '--', exe, ...args] } : { cmd: exe, args }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address()
      const port = typeof a === 'object' && a ? a.port : 0
      srv.close(() => resolve(port))
    })
  })
}

export function pgBin(): string {
  for (const dir of [process.env.TEST_PG_BIN, '/usr/lib/postgresql/15/bin']) {
    if (dir && fs.existsSync(path.join(dir, 'initdb'))) return dir
  }
  throw new Error('PostgreSQL server binaries not found (set TEST_PG_BIN)')
}

/** Makes `p` (and the files given) owned by postgres when we are root. */
export function giveToPostgres(...paths: string[]): void {
  if (!IS_ROOT) return
  const { uid, gid } = postgresUser()
  for (const p of paths) fs.chownSync(p, uid, gid)
}

const stoppers = new Set<() => void>()
let exitHooked = false
function onExit(stop: () => void): void {
  stoppers.add(stop)
  if (exitHooked) return
  exitHooked = true
  process.on('exit', () => {
    for (const s of stoppers) {
      try {
        s()
      } catch {
        /* best effort */
      }
    }
  })
}

export interface Cluster {
  url: string
  password: string
  port: number
  host: '127.0.0.1'
  sockDir: string
  data: string
  /** pg_ctl restart -m <mode>, waiting until it accepts logins again. */
  restart(mode?: 'fast' | 'immediate'): Promise<void>
  /** pg_ctl reload (postgresql.conf, pg_hba.conf and the SSL files are read again). */
  reload(): Promise<void>
  /** Stops the server and removes its directory (idempotent, synchronous). */
  stop(): void
  /** Server log so far, for failure messages. */
  log(): string
}

export interface ClusterOptions {
  /** Extra postgresql.conf lines. */
  conf?: string[]
  /** pg_hba.conf lines for TCP (default: scram-sha-256 from 127.0.0.1). */
  hba?: string[]
  /** Files copied into the data directory before the start (name -> content), mode 0600, owned by postgres. */
  files?: Record<string, string | Buffer>
  /** Log in over TLS to see that it is up (for an hba with hostssl only). */
  tls?: boolean
}

/** Runs a PostgreSQL tool of `bin` as the postgres user, in `tmp`. */
function toolRunner(bin: string, tmp: string): (tool: string, args: string[], timeout?: number) => { status: number | null; stdout: string; stderr: string } {
  return (tool, args, timeout = 90_000) => {
    const c = asPostgres(path.join(bin, tool), args)
    return spawnSync(c.cmd, c.args, { cwd: tmp, encoding: 'utf8', timeout })
  }
}

/** Stops the server of `data` (immediate) and removes `tmp`, once; also at process exit. */
function stopper(run: ReturnType<typeof toolRunner>, data: string, tmp: string): () => void {
  let stopped = false
  const stop = () => {
    if (stopped) return
    stopped = true
    stoppers.delete(stop)
    if (fs.existsSync(path.join(data, 'postmaster.pid'))) run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-t', '30', 'stop'], 40_000)
    fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 3 })
  }
  onExit(stop)
  return stop
}

/**
 * A private PostgreSQL cluster: initdb in a temp dir (as the postgres user
 * when root), scram-sha-256 over TCP with a random password with special
 * characters, trust on its own unix socket, tuned for speed.
 */
export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const bin = pgBin()
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lm-private-pg-'))
  const data = path.join(tmp, 'data')
  const sockDir = path.join(tmp, 'sock')
  fs.mkdirSync(sockDir)
  const password = `pr1v@te:${randomBytes(4).toString('hex')}/%#?`
  const pwFile = path.join(tmp, 'pw')
  fs.writeFileSync(pwFile, password + '\n', { mode: 0o600 })
  giveToPostgres(tmp, sockDir, pwFile)
  const run = toolRunner(bin, tmp)
  const init = run('initdb', ['-D', data, '-U', 'postgres', `--pwfile=${pwFile}`, '--auth-local=trust', '--auth-host=scram-sha-256', '--encoding=UTF8', '--locale=C', '--no-sync', '--no-instructions'])
  fs.rmSync(pwFile, { force: true })
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stdout}${init.stderr}`)
  const hba = opts.hba ?? ['host all all 127.0.0.1/32 scram-sha-256']
  fs.writeFileSync(path.join(data, 'pg_hba.conf'), ['local all all trust', ...hba, ''].join('\n'))
  for (const [name, content] of Object.entries(opts.files ?? {})) {
    const f = path.join(data, name)
    fs.writeFileSync(f, content, { mode: 0o600 })
    giveToPostgres(f)
  }
  const port = await freePort()
  fs.appendFileSync(
    path.join(data, 'postgresql.conf'),
    [
      '',
      "listen_addresses = '127.0.0.1'",
      `port = ${port}`,
      `unix_socket_directories = '${sockDir}'`,
      'fsync = off',
      'synchronous_commit = off',
      'full_page_writes = off',
      'max_connections = 100',
      "lc_messages = 'C'",
      "timezone = 'UTC'",
      ...(opts.conf ?? []),
      '',
    ].join('\n'),
  )
  const logFile = path.join(tmp, 'postgres.log')
  const pgctl = (args: string[]) => run('pg_ctl', ['-D', data, '-l', logFile, '-w', '-t', '60', ...args])
  const started = pgctl(['start'])
  const readLog = () => {
    try {
      return fs.readFileSync(logFile, 'utf8')
    } catch {
      return ''
    }
  }
  if (started.status !== 0) {
    fs.rmSync(tmp, { recursive: true, force: true })
    throw new Error(`pg_ctl start failed: ${started.stdout}${started.stderr}\n${readLog()}`)
  }
  const stop = stopper(run, data, tmp)
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`
  const cluster: Cluster = {
    url,
    password,
    port,
    host: '127.0.0.1',
    sockDir,
    data,
    log: readLog,
    stop,
    async reload() {
      const r = run('pg_ctl', ['-D', data, 'reload'])
      if (r.status !== 0) throw new Error(`pg_ctl reload failed: ${r.stdout}${r.stderr}`)
      await new Promise((res) => setTimeout(res, 500))
    },
    async restart(mode = 'fast') {
      const r = pgctl(['restart', '-m', mode])
      if (r.status !== 0) throw new Error(`pg_ctl restart failed: ${r.stdout}${r.stderr}\n${readLog()}`)
      await waitForLogin(url, 30_000, opts.tls ? 'require' : undefined)
    },
  }
  try {
    await waitForLogin(url, 30_000, opts.tls ? 'require' : undefined)
  } catch (e) {
    stop()
    throw e
  }
  return cluster
}

/** A hot standby of a private cluster: streaming from it, read-only, on its own port. */
export interface Standby {
  url: string
  port: number
  stop(): void
  log(): string
}

/**
 * A hot standby of `primary` (started with `local replication all trust` in
 * its hba): pg_basebackup -R over the primary's unix socket with a fast
 * checkpoint, then started on a free port. Same password as the primary.
 */
export async function startStandby(primary: Cluster): Promise<Standby> {
  const bin = pgBin()
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lm-standby-pg-'))
  giveToPostgres(tmp)
  const data = path.join(tmp, 'data')
  const logFile = path.join(tmp, 'postgres.log')
  const run = toolRunner(bin, tmp)
  const backup = run('pg_basebackup', ['-D', data, '-R', '-h', primary.sockDir, '-p', String(primary.port), '-U', 'postgres', '-X', 'stream', '-c', 'fast', '--no-sync'])
  if (backup.status !== 0) {
    fs.rmSync(tmp, { recursive: true, force: true })
    throw new Error(`pg_basebackup failed: ${backup.stdout}${backup.stderr}`)
  }
  const port = await freePort()
  fs.appendFileSync(path.join(data, 'postgresql.conf'), `\n# the standby\nport = ${port}\nhot_standby = on\n`)
  const readLog = () => {
    try {
      return fs.readFileSync(logFile, 'utf8')
    } catch {
      return ''
    }
  }
  const started = run('pg_ctl', ['-D', data, '-l', logFile, '-w', '-t', '60', 'start'])
  const stop = stopper(run, data, tmp)
  if (started.status !== 0) {
    const why = `pg_ctl start (standby) failed: ${started.stdout}${started.stderr}\n${readLog()}`
    stop()
    throw new Error(why)
  }
  const url = `postgres://postgres:${encodeURIComponent(primary.password)}@127.0.0.1:${port}/postgres`
  try {
    await waitForLogin(url, 30_000)
  } catch (e) {
    stop()
    throw e
  }
  return { url, port, stop, log: readLog }
}

/** A real login and `select 1`, retried until it works or `timeoutMs` passes. */
export async function waitForLogin(url: string, timeoutMs: number, ssl?: postgres.Options<{}>['ssl']): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    const sql = postgres(url, { max: 1, connect_timeout: 5, onnotice: () => {}, ...(ssl ? { ssl } : {}) })
    try {
      await sql`select 1`
      await sql.end({ timeout: 5 })
      return
    } catch (e) {
      last = e
      await sql.end({ timeout: 1 }).catch(() => {})
      await new Promise((r) => setTimeout(r, 200))
    }
  }
  throw new Error(`no login within ${timeoutMs} ms: ${(last as Error)?.message}`)
}

// ------------------------------------------------------------------ PgBouncer

export const PGBOUNCER = '/usr/sbin/pgbouncer'

export interface Bouncer {
  port: number
  /** URL of database `db` through the pooler, with the password. */
  url(db: string): string
  stop(): Promise<void>
  log(): string
}

export interface BouncerOptions {
  mode: 'transaction' | 'session'
  /** Where PgBouncer connects: a unix-socket directory (trust) or 127.0.0.1. */
  serverHost: string
  serverPort: number
  user: string
  password: string
  poolSize?: number
  /** More [pgbouncer] settings, e.g. `server_round_robin = 1`. */
  extra?: string[]
}

/**
 * Starts PgBouncer (never the system service): our own ini in a temp dir, a
 * free loopback port, scram-sha-256 for clients with the password in a
 * userlist (PgBouncer then logs in to the server with it), run as the
 * postgres user when we are root (PgBouncer refuses to run as root).
 */
export async function startPgBouncer(o: BouncerOptions): Promise<Bouncer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lm-pgbouncer-'))
  const port = await freePort()
  const quote = (s: string) => '"' + s.replace(/"/g, '""') + '"'
  fs.writeFileSync(path.join(dir, 'userlist.txt'), `${quote(o.user)} ${quote(o.password)}\n`, { mode: 0o600 })
  const logFile = path.join(dir, 'pgbouncer.log')
  fs.writeFileSync(
    path.join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${o.serverHost} port=${o.serverPort}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = scram-sha-256',
      `auth_file = ${path.join(dir, 'userlist.txt')}`,
      `pool_mode = ${o.mode}`,
      `default_pool_size = ${o.poolSize ?? 20}`,
      'max_client_conn = 200',
      `logfile = ${logFile}`,
      `pidfile = ${path.join(dir, 'pgbouncer.pid')}`,
      'ignore_startup_parameters = extra_float_digits',
      ...(o.extra ?? []),
      '',
    ].join('\n'),
  )
  giveToPostgres(dir, path.join(dir, 'userlist.txt'), path.join(dir, 'pgbouncer.ini'))
  const c = asPostgres(PGBOUNCER, [path.join(dir, 'pgbouncer.ini')])
  const child: ChildProcess = spawn(c.cmd, c.args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout?.on('data', (d) => (out += d))
  child.stderr?.on('data', (d) => (out += d))
  const readLog = () => {
    try {
      return out + fs.readFileSync(logFile, 'utf8')
    } catch {
      return out
    }
  }
  let stopped = false
  const stopSync = () => {
    if (stopped) return
    stopped = true
    stoppers.delete(stopSync)
    // PgBouncer itself (not runuser, which may not pass the signal on): its pid file.
    try {
      const pid = Number(fs.readFileSync(path.join(dir, 'pgbouncer.pid'), 'utf8').trim())
      if (pid > 0) process.kill(pid, 'SIGTERM')
    } catch {
      /* not up or gone */
    }
    try {
      child.kill('SIGTERM')
    } catch {
      /* gone */
    }
  }
  onExit(stopSync)
  const bouncer: Bouncer = {
    port,
    url: (db) => `postgres://${encodeURIComponent(o.user)}:${encodeURIComponent(o.password)}@127.0.0.1:${port}/${encodeURIComponent(db)}`,
    log: readLog,
    async stop() {
      if (stopped) return
      const exited = new Promise<void>((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())))
      stopSync()
      const t = setTimeout(() => {
        try {
          child.kill('SIGKILL')
        } catch {
          /* gone */
        }
      }, 5000)
      await exited
      clearTimeout(t)
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
  // Up when it answers a real login (through to the server).
  const deadline = Date.now() + 15_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`pgbouncer exited at once (${child.exitCode}):\n${readLog()}`)
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.end()
        resolve(true)
      })
      s.on('error', () => resolve(false))
    })
    if (ok) break
    if (Date.now() > deadline) {
      await bouncer.stop()
      throw new Error(`pgbouncer did not listen on ${port}:\n${readLog()}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return bouncer
}
