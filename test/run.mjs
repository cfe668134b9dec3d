#!/usr/bin/env node
// Test runner for link-migrate (`npm test`).
//
//  1. Unless TEST_DATABASE_URL is set, starts a throwaway PostgreSQL cluster
//     (initdb in a temp dir, 127.0.0.1 on a free port, scram-sha-256 for TCP,
//     trust on the unix socket) and always tears it down again.
//  2. Builds the CLI (`npm run build`) unless build.config.ts is missing or
//     TEST_SKIP_BUILD=1.
//  3. Runs every test/**/*.test.ts (optionally filtered by substrings given as
//     arguments: `npm test -- scan`) in its own `node --import tsx` process,
//     TEST_JOBS (default 2) at a time, each bounded by TEST_FILE_TIMEOUT
//     seconds (default 600).
//  4. Prints `N passed, N failed[, N skipped]` as the very last line; exits 0
//     only when nothing failed and at least one test passed.

import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TEST_DIR = path.join(ROOT, 'test');
const IS_ROOT = typeof process.getuid === 'function' && process.getuid() === 0;

const FILE_TIMEOUT_S = positiveNumber('TEST_FILE_TIMEOUT', 600);
const EXIT_GRACE_S = positiveNumber('TEST_EXIT_GRACE', 15);
const JOBS = Math.max(1, Math.floor(positiveNumber('TEST_JOBS', 2)));
const BUILD_TIMEOUT_S = 600;

const totals = { passed: 0, failed: 0, skipped: 0 };
/** @type {{ file: string; reason: string }[]} */
const failures = [];
/** @type {Set<import('node:child_process').ChildProcess>} */
const running = new Set();
/** @type {{ tmp: string; data: string; pgBin: string; pid: number | null } | null} */
let cluster = null;
let finished = false;

// ---------------------------------------------------------------- utilities

function positiveNumber(name, dflt) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`run.mjs: ${name}=${JSON.stringify(raw)} is not a positive number`);
    process.exit(2);
  }
  return n;
}

const ANSI = /\x1b\[[0-9;?]*[ -\/]*[@-~]|\x1b[@-Z\\-_]/g;
const stripAnsi = (s) => s.replace(ANSI, '');

const log = (msg = '') => process.stdout.write(msg + '\n');
const seconds = (ms) => (ms / 1000).toFixed(1) + 's';

function totalsLine() {
  let line = `${totals.passed} passed, ${totals.failed} failed`;
  if (totals.skipped > 0) line += `, ${totals.skipped} skipped`;
  return line;
}

function killGroup(child, signal = 'SIGKILL') {
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
 * Spawns a command and collects its combined output.
 * @returns {Promise<{ code: number | null; signal: string | null; output: string; timedOut: boolean }>}
 */
function run(cmd, args, { env = process.env, cwd = ROOT, timeoutMs = 120_000 } = {}) {
  return new Promise((resolve) => {
    let output = '';
    let timedOut = false;
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    running.add(child);
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code: null, signal: null, output: output + `\n${cmd}: ${err.message}\n`, timedOut });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code, signal, output, timedOut });
    });
  });
}

// ------------------------------------------------------------- PostgreSQL

function findPgBin() {
  const candidates = [process.env.TEST_PG_BIN, '/usr/lib/postgresql/15/bin'];
  for (const dir of candidates) {
    if (dir && fs.existsSync(path.join(dir, 'initdb'))) return dir;
  }
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && fs.existsSync(path.join(dir, 'initdb'))) return dir;
  }
  throw new Error(
    'PostgreSQL server binaries (initdb, pg_ctl) not found: install postgresql-15, set TEST_PG_BIN, ' +
      'or set TEST_DATABASE_URL to use an existing server',
  );
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

async function startPostgres() {
  const pgBin = findPgBin();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lm-pg-'));
  cluster = { tmp, data: path.join(tmp, 'data'), pgBin, pid: null };
  const sockDir = path.join(tmp, 'sock');
  fs.mkdirSync(sockDir);
  const password = `p@ss:w/rd%${randomBytes(6).toString('hex')}#?`;
  const pwFile = path.join(tmp, 'pwfile');
  fs.writeFileSync(pwFile, password + '\n', { mode: 0o600 });
  if (IS_ROOT) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    for (const p of [tmp, sockDir, pwFile]) fs.chownSync(p, uid, gid);
  }

  const init = pgCommand(pgBin, 'initdb', [
    '-D', cluster.data,
    '-U', 'postgres',
    `--pwfile=${pwFile}`,
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
    '--encoding=UTF8',
    '--locale=C',
    '--no-sync',
    '--no-instructions',
  ]);
  const t0 = Date.now();
  const r = await run(init.cmd, init.args, { cwd: tmp, timeoutMs: 120_000 });
  fs.rmSync(pwFile, { force: true });
  if (r.code !== 0) throw new Error(`initdb failed (exit ${r.code}):\n${r.output}`);

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
  fs.appendFileSync(
    path.join(cluster.data, 'postgresql.conf'),
    [
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
    ].join('\n'),
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
    const s = await run(start.cmd, start.args, { cwd: tmp, timeoutMs: 90_000 });
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

  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  await waitForLogin(url, 30_000);
  log(`PostgreSQL ${pgBin.match(/postgresql\/(\d+)/)?.[1] ?? ''} started on 127.0.0.1:${port} in ${seconds(Date.now() - t0)} (data: ${cluster.data})`);
  return {
    TEST_DATABASE_URL: url,
    TEST_PG_PASSWORD: password,
    TEST_PG_BIN: pgBin,
    TEST_PG_DATA: cluster.data,
    TEST_PG_SOCKET_DIR: sockDir,
    TEST_PG_PORT: String(port),
  };
}

/** A real login and `select 1` (not a TCP probe), retried until deadline. */
async function waitForLogin(url, timeoutMs) {
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

function redact(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparsable url>';
  }
}

/** Synchronous so it also works from signal handlers and process 'exit'. */
function stopPostgres() {
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
    process.stderr.write(`run.mjs: could not remove ${c.tmp}: ${err}\n`);
  }
}

// ------------------------------------------------------------------ build

// The bundle and the compiled binary: CLI tests run against both (SPEC 10).
const BUILD_SCRIPT = process.env.TEST_BUILD_SCRIPT || 'build:all';
const BINARY = path.join(ROOT, 'dist', 'link-migrate-linux-x64');

async function build() {
  if (process.env.TEST_SKIP_BUILD === '1') {
    log('build: skipped (TEST_SKIP_BUILD=1)');
    return true;
  }
  if (!fs.existsSync(path.join(ROOT, 'build.config.ts'))) {
    log('WARNING: build.config.ts does not exist yet: skipping `npm run build` (CLI tests will use whatever is in dist/)');
    return true;
  }
  const npmCli = process.env.npm_execpath;
  const [cmd, args] =
    npmCli && /\.c?js$/.test(npmCli) ? [process.execPath, [npmCli, 'run', BUILD_SCRIPT]] : ['npm', ['run', BUILD_SCRIPT]];
  const t0 = Date.now();
  const r = await run(cmd, args, {
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
    timeoutMs: BUILD_TIMEOUT_S * 1000,
  });
  if (r.code === 0) {
    log(`build: ok (${seconds(Date.now() - t0)})`);
    return true;
  }
  log(`=== npm run ${BUILD_SCRIPT} ===`);
  log(stripAnsi(r.output).trimEnd());
  log(`--- FAIL npm run ${BUILD_SCRIPT} (${r.timedOut ? `timed out after ${BUILD_TIMEOUT_S}s` : `exit ${r.code ?? r.signal}`})`);
  return false;
}

// ------------------------------------------------------------------ tests

function findTests(filters) {
  const out = [];
  const walk = (dir) => {
    for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
      if (ent.name === 'node_modules' || ent.name.startsWith('.')) continue;
      const full = path.join(dir, ent.name);
      if (ent.isDirectory()) walk(full);
      else if (ent.isFile() && ent.name.endsWith('.test.ts')) out.push(path.relative(ROOT, full).split(path.sep).join('/'));
    }
  };
  walk(TEST_DIR);
  out.sort();
  return filters.length ? out.filter((f) => filters.some((s) => f.includes(s))) : out;
}

/** Parses uvu's closing summary (the last one printed). */
function parseSummary(text) {
  const last = (label) => {
    const re = new RegExp(`^\\s*${label}:\\s+(\\d+)\\s*$`, 'gm');
    let m;
    let v = null;
    while ((m = re.exec(text))) v = Number(m[1]);
    return v;
  };
  const total = last('Total');
  const passed = last('Passed');
  if (total === null || passed === null) return null;
  return { total, passed, skipped: last('Skipped') ?? 0 };
}

function runTestFile(file, env, label = file) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    let output = '';
    let timedOut = false;
    let hung = false;
    let graceTimer = null;
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // own process group: a timeout also kills the CLI processes it spawned
    });
    running.add(child);
    const onData = (d) => {
      output += d;
      // uvu prints its summary when every suite has run; a process that is
      // still alive long after that is held open by a leaked handle.
      if (!graceTimer && /Duration:\s/.test(stripAnsi(output))) {
        graceTimer = setTimeout(() => {
          hung = true;
          killGroup(child);
        }, EXIT_GRACE_S * 1000);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, FILE_TIMEOUT_S * 1000);
    let closeFallback = null;
    child.on('exit', () => {
      // Leftover grandchildren (e.g. a CLI a test forgot to kill) would keep
      // the pipes open and 'close' would never come.
      killGroup(child);
      closeFallback = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        child.emit('close', child.exitCode, child.signalCode);
      }, 5000);
    });
    let done = false;
    const finish = (code, signal, spawnErr) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (graceTimer) clearTimeout(graceTimer);
      if (closeFallback) clearTimeout(closeFallback);
      running.delete(child);
      resolve({ file: label, code, signal, output: stripAnsi(output), timedOut, hung, spawnErr, ms: Date.now() - t0 });
    };
    child.on('error', (err) => finish(null, null, err));
    child.on('close', (code, signal) => finish(code, signal, null));
  });
}

function report(res) {
  const summary = parseSummary(res.output);
  let failed = summary ? Math.max(0, summary.total - summary.passed) : 0;
  const passed = summary ? summary.passed : 0;
  const skipped = summary ? summary.skipped : 0;
  const reasons = [];
  if (failed > 0) reasons.push(`${failed} failed`);
  if (res.spawnErr) reasons.push(`could not start: ${res.spawnErr.message}`);
  if (res.timedOut) reasons.push(`killed after ${FILE_TIMEOUT_S}s (TEST_FILE_TIMEOUT)`);
  else if (res.hung) reasons.push(`did not exit within ${EXIT_GRACE_S}s after its tests finished (leaked connection, timer or child process?)`);
  else if (!res.spawnErr && res.code !== 0) reasons.push(`exit ${res.code ?? res.signal}`);
  if (!summary && !res.timedOut && !res.spawnErr) reasons.push('no uvu summary');
  if (reasons.length && failed === 0) failed = 1;

  totals.passed += passed;
  totals.failed += failed;
  totals.skipped += skipped;
  if (reasons.length) failures.push({ file: res.file, reason: reasons.join('; ') });

  log(`\n=== ${res.file} ===`);
  const body = res.output.replace(/\s+$/, '');
  if (body) log(body);
  const counts = `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
  log(`--- ${reasons.length ? 'FAIL' : 'PASS'} ${res.file}: ${counts} (${seconds(res.ms)})${reasons.length ? ' - ' + reasons.join('; ') : ''}`);
}

async function runAll(jobs) {
  const queue = [...jobs];
  const worker = async () => {
    while (queue.length && !finished) {
      const job = queue.shift();
      if (job === undefined) break;
      const res = await runTestFile(job.file, job.env, job.label);
      if (!finished) report(res);
    }
  };
  await Promise.all(Array.from({ length: Math.min(JOBS, jobs.length) }, worker));
}

// ------------------------------------------------------------ life cycle

function teardown() {
  for (const child of running) killGroup(child);
  running.clear();
  stopPostgres();
}

function finish(exitCode) {
  if (finished) return;
  finished = true;
  teardown();
  if (failures.length) {
    log('\nFailed:');
    for (const f of failures) log(`  ${f.file}: ${f.reason}`);
  }
  log(totalsLine());
  process.exit(exitCode);
}

for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]]) {
  process.on(sig, () => {
    if (finished) return;
    log(`\nrun.mjs: ${sig}: stopping`);
    failures.push({ file: '(run)', reason: `interrupted by ${sig}` });
    totals.failed += 1;
    finish(code);
  });
}
process.on('exit', () => {
  // Last resort (e.g. process.exit from elsewhere): never leave a server running.
  teardown();
});
process.on('uncaughtException', (err) => {
  log(`\nrun.mjs: ${err && err.stack ? err.stack : err}`);
  failures.push({ file: '(run)', reason: 'runner crashed' });
  totals.failed += 1;
  finish(1);
});
process.on('unhandledRejection', (err) => {
  throw err;
});

async function main() {
  const filters = process.argv.slice(2).filter((a) => a !== '--');
  const files = findTests(filters);

  const external = process.env.TEST_DATABASE_URL;
  const dbPromise = external
    ? (async () => {
        await waitForLogin(external, 10_000);
        log(`using TEST_DATABASE_URL=${redact(external)}`);
        /** @type {Record<string, string>} */
        const extra = {};
        if (!process.env.TEST_PG_PASSWORD) {
          try {
            extra.TEST_PG_PASSWORD = decodeURIComponent(new URL(external).password);
          } catch {
            /* leave unset */
          }
        }
        if (!process.env.TEST_PG_BIN && fs.existsSync('/usr/lib/postgresql/15/bin')) {
          extra.TEST_PG_BIN = '/usr/lib/postgresql/15/bin';
        }
        return extra;
      })()
    : startPostgres();
  // Build while the cluster starts; both must be done before the tests.
  const [dbEnv, built] = await Promise.all([dbPromise, build()]);
  if (!built) {
    failures.push({ file: 'npm run build', reason: 'build failed' });
    totals.failed += 1;
  }

  if (files.length === 0) {
    log(filters.length ? `no test file matches ${filters.map((f) => JSON.stringify(f)).join(' or ')}` : 'no test files found');
    finish(1);
    return;
  }

  const env = { ...process.env, ...dbEnv, FORCE_COLOR: '0', NO_COLOR: '1' };
  const jobs = files.map((file) => ({ file, env, label: file }));
  // The CLI suite runs a second time against the compiled binary, unless the
  // caller already chose the executable (LINK_MIGRATE_BIN).
  if (!process.env.LINK_MIGRATE_BIN && fs.existsSync(BINARY)) {
    for (const file of files.filter((f) => f.split(path.sep).join('/').includes('test/cli/'))) {
      jobs.push({ file, env: { ...env, LINK_MIGRATE_BIN: BINARY }, label: `${file} [binary]` });
    }
  }
  log(`running ${jobs.length} test run(s), ${JOBS} at a time`);
  await runAll(jobs);
  finish(totals.failed === 0 && totals.passed > 0 ? 0 : 1);
}

main().catch((err) => {
  log(`\nrun.mjs: ${err instanceof Error ? err.message : String(err)}`);
  failures.push({ file: '(run)', reason: 'setup failed' });
  totals.failed += 1;
  finish(1);
});
