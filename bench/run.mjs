#!/usr/bin/env node
// `npm run bench`: how fast link-migrate is, next to a floor measured in the
// same run (issue 9). Not part of `npm test`.
//
//  1. Builds the bundle and the binary (`npm run build:all`) unless
//     BENCH_SKIP_BUILD=1.
//  2. Starts a throwaway PostgreSQL (test/support/pg.mjs, settings 'defaults':
//     initdb defaults, fsync on, trust auth; only where it listens changes),
//     unless BENCH_DATABASE_URL is set (a superuser: it creates and drops
//     databases named bench_*).
//  3. Writes the workloads into a temp dir (bench/workloads.mjs: W1 and W4 are
//     the peer harness's files) and measures, round-robin over the tools, each
//     figure as the median of BENCH_REPS runs (default 5), every `up` on a
//     fresh database, CHECKPOINT before every timed command:
//       S   `--version`, fresh process: bundle, binary, `node -e 0` (median of BENCH_STARTUP_RUNS, 20)
//       W1  1,000 migrations (table + index): `up` from empty
//       W3  with W1 applied: no-op `up`, `status`, `down` of one
//       W4  10,000 tiny migrations: `up` from empty
//       L   `lint --dir` of W1's 1,000 migrations, and of 10,000 such  } only if `--help`
//                                                                   } lists the command
//       C   `check --dir fixtures/discovery-svc/migrations` }
//           and `check --dir` of W1 with 1,000 and 10,000 migrations, one run
//           each, embedded and --engine postgres: wall, ms per 1,000 files
//           (BENCH_CHECK_SIZES, "1000,10000")
//       SC  no-op `up` and `status` with 100 / 1,000 / 10,000 / 100,000 applied
//           (tiny migrations): time, peak RSS, ms per 1,000 files
//       F   fleet: `up --targets` over BENCH_FLEET_DBS (200) databases x 20
//           migrations at --parallel 1, 8 and 32 (BENCH_FLEET_REPS runs, 3):
//           the ratio parallel 8 / parallel 1 and peak RSS at --parallel 32
//     The floor is bench/floor.mjs (a copy of ../shared/bench/floor/floor.mjs):
//     postgres.js, one simple-protocol query per migration.
//     dbmate (Go) runs beside them: npm @dbmate/linux-x64, a devDependency of
//     bench/package.json only (installed into bench/node_modules with `npm ci`
//     on the first run; BENCH_DBMATE to point elsewhere). If it cannot be
//     installed, the issue's 0.037 s is shown as a reference instead.
//  4. Prints a Markdown table (figure, ratio to the floor, goal, verdict) and
//     writes bench/results/<date>.json and bench/results/latest.md.
//
// Knobs: BENCH_REPS (5), BENCH_STARTUP_RUNS (20), BENCH_TIMEOUT (120 s per
// command), BENCH_W4_TIMEOUT (300 s per W4 run), BENCH_MAX_MINUTES (30: past
// it the remaining measurements are skipped), BENCH_ONLY (e.g. "S,W1,W3":
// a subset of S W1 W3 W4 L C SC F), BENCH_FLEET_DBS (200), BENCH_FLEET_REPS (3), BENCH_SKIP_BUILD=1, BENCH_DATABASE_URL,
// BENCH_PG_BIN, BENCH_DBMATE, BENCH_KEEP_TMP=1, BENCH_TMPDIR (the temp dir's parent), BENCH_QUIET_WAIT (60: seconds
// to wait before each section for CPU pressure under 20 %; 0 = never wait).

import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { startPostgres, stopPostgres, waitForLogin, redact } from '../test/support/pg.mjs';
import { writeWorkload, firstN, dbmateLayout } from './workloads.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST_BUNDLE = path.join(ROOT, 'dist', 'link-migrate.cjs');
const DIST_BINARY = path.join(ROOT, 'dist', 'link-migrate-linux-x64');
// The files measured: copies of dist/ taken right after the build, so a
// rebuild of dist/ during the run (another `npm test`) cannot swap them.
let BUNDLE = DIST_BUNDLE;
let BINARY = DIST_BINARY;
const FLOOR = path.join(ROOT, 'bench', 'floor.mjs');
const RESULTS = path.join(ROOT, 'bench', 'results');
const NODE = process.execPath;

function num(name, dflt, min = 1) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) {
    console.error(`bench: ${name}=${JSON.stringify(raw)} must be a number >= ${min}`);
    process.exit(2);
  }
  return n;
}
const REPS = Math.floor(num('BENCH_REPS', 5));
const STARTUP_RUNS = Math.floor(num('BENCH_STARTUP_RUNS', 20));
const TIMEOUT_S = num('BENCH_TIMEOUT', 120);
const W4_TIMEOUT_S = num('BENCH_W4_TIMEOUT', 300);
const MAX_MS = num('BENCH_MAX_MINUTES', 30) * 60_000;
const SECTIONS = ['S', 'W1', 'W3', 'W4', 'L', 'C', 'SC', 'F'];
const FLEET_DBS = Math.floor(num('BENCH_FLEET_DBS', 200));
const FLEET_REPS = Math.floor(num('BENCH_FLEET_REPS', 3));
const ONLY = new Set((process.env.BENCH_ONLY || SECTIONS.join(',')).split(/[,\s]+/).filter(Boolean).map((s) => s.toUpperCase()));
for (const s of ONLY) {
  if (!SECTIONS.includes(s)) {
    console.error(`bench: BENCH_ONLY: unknown section ${s} (known: ${SECTIONS.join(' ')})`);
    process.exit(2);
  }
}
const BENCH_DIR = path.join(ROOT, 'bench');
const DBMATE = process.env.BENCH_DBMATE || path.join(BENCH_DIR, 'node_modules', '@dbmate', 'linux-x64', 'bin', 'dbmate');
const GNU_TIME = detectGnuTime();
const DBMATE_REFERENCE_S = 0.037; // issue 9: dbmate no-op up on 1,000 applied, measured by ../shared/bench

const QUIET_WAIT_S = num('BENCH_QUIET_WAIT', 60, 0);

const T0 = Date.now();
const log = (msg) => process.stderr.write(`[bench ${((Date.now() - T0) / 1000).toFixed(0).padStart(4)}s] ${msg}\n`);
const overBudget = () => Date.now() - T0 > MAX_MS;

function detectGnuTime() {
  try {
    const r = spawnSync('/usr/bin/time', ['--version'], { encoding: 'utf8', timeout: 5000 });
    return /GNU Time/i.test(`${r.stdout}${r.stderr}`) ? '/usr/bin/time' : null;
  } catch {
    return null;
  }
}

/** CPU pressure (share of the last 10 s in which some task waited for a CPU), or null without PSI. */
function cpuPressure() {
  try {
    const m = /some avg10=([\d.]+)/.exec(fs.readFileSync('/proc/pressure/cpu', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** The machine as a section starts: load average and CPU pressure. */
const sectionLoad = {};

/**
 * On a shared machine other processes skew every figure: before a section,
 * wait up to BENCH_QUIET_WAIT seconds (60) for CPU pressure under 20 % (or the
 * 1-minute load average under the number of cores, without PSI). Bounded: it
 * then goes on regardless; the load seen is reported with the results.
 */
async function quiet(section) {
  const cores = os.cpus().length;
  const busy = () => {
    const p = cpuPressure();
    return p !== null ? p >= 20 : os.loadavg()[0] >= cores;
  };
  const t = Date.now();
  while (busy() && Date.now() - t < QUIET_WAIT_S * 1000) await new Promise((r) => setTimeout(r, 2000));
  const waited = (Date.now() - t) / 1000;
  sectionLoad[section] = { loadavg: os.loadavg().map((x) => +x.toFixed(2)), cpu_pressure_avg10: cpuPressure(), waited_s: +waited.toFixed(1), still_busy: busy() };
  if (waited >= 2) log(`${section}: waited ${waited.toFixed(0)} s for a quieter machine${sectionLoad[section].still_busy ? ' (still busy: going on)' : ''}`);
}

// ------------------------------------------------------------ state

let tmpDir = null;
let admin = null;
let baseUrl = null;
let serverInfo = '';
const createdDbs = new Set();
let checkpointOk = true;
let cleaningUp = null;
let interrupted = false;
/** @type {Set<import('node:child_process').ChildProcess>} measured processes still running */
const children = new Set();

/** @type {any[]} every figure, in table order */
const figures = [];

// ------------------------------------------------------------ processes

/**
 * Runs one command, timed with the monotonic clock from spawn to exit. With
 * rss, peak RSS (KB) comes from GNU time's %M (the largest process in the
 * tree: here the tool itself), else from polling /proc/<pid>/status VmHWM.
 */
function measure(cmd, args, { env, timeoutS = TIMEOUT_S, rss = true, logFile }) {
  return new Promise((resolve) => {
    const out = fs.openSync(logFile, 'w');
    const rssFile = `${logFile}.rss`;
    fs.rmSync(rssFile, { force: true });
    const useTime = rss && GNU_TIME;
    const [c, a] = useTime ? [GNU_TIME, ['-f', '%M %U %S', '-o', rssFile, cmd, ...args]] : [cmd, args];
    let timedOut = false;
    let polledKb = 0;
    let poll = null;
    const t0 = process.hrtime.bigint();
    const child = spawn(c, a, { env, cwd: tmpDir, stdio: ['ignore', out, out], detached: true });
    children.add(child);
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, timeoutS * 1000);
    if (rss && !GNU_TIME && child.pid) {
      const readHwm = () => {
        try {
          const m = /VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
          if (m) polledKb = Math.max(polledKb, Number(m[1]));
        } catch {
          /* exited */
        }
      };
      poll = setInterval(readHwm, 2);
    }
    const done = (code, signal, err) => {
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      children.delete(child);
      clearTimeout(timer);
      if (poll) clearInterval(poll);
      fs.closeSync(out);
      let rssKb = null;
      let cpu = null;
      if (useTime) {
        try {
          // "Command exited with non-zero status N" may come first
          const lines = fs.readFileSync(rssFile, 'utf8').trim().split('\n');
          const [m, u, sy] = lines[lines.length - 1].trim().split(/\s+/).map(Number);
          if (Number.isFinite(m) && m > 0) rssKb = m;
          if (Number.isFinite(u) && Number.isFinite(sy)) cpu = u + sy;
        } catch {
          /* none */
        }
      } else if (rss) rssKb = polledKb || null;
      let output = '';
      try {
        output = fs.readFileSync(logFile, 'utf8');
      } catch {
        /* none */
      }
      if (err) output += `\n${cmd}: ${err.message}`;
      resolve({ wall, rssKb, cpu, code: err ? null : code, signal, timedOut, output });
    };
    child.on('error', (err) => done(null, null, err));
    child.on('exit', (code, signal) => done(code, signal, null));
  });
}

function runSync(cmd, args, opts = {}) {
  return spawnSync(cmd, args, { encoding: 'utf8', timeout: 600_000, ...opts });
}

// ------------------------------------------------------------ databases

function dbUrl(name, { sslDisable = false } = {}) {
  const u = new URL(baseUrl);
  u.pathname = '/' + name;
  if (sslDisable && !u.searchParams.has('sslmode')) u.searchParams.set('sslmode', 'disable');
  return u.toString();
}

async function freshDb(name) {
  await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.unsafe(`CREATE DATABASE "${name}"`);
  createdDbs.add(name);
}

async function dropDb(name) {
  await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  createdDbs.delete(name);
}

async function checkpoint() {
  if (!checkpointOk) return;
  try {
    await admin.unsafe('CHECKPOINT');
  } catch (err) {
    checkpointOk = false;
    log(`warning: CHECKPOINT failed (${err.message}); measuring without it`);
  }
}

async function query(db, text) {
  const sql = postgres(dbUrl(db), { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    return await sql.unsafe(text);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function appliedCount(tool, db) {
  try {
    const rows = await query(db, tool.countSql);
    return Number(rows[0].n);
  } catch {
    return 0;
  }
}

// ------------------------------------------------------------ tools

const baseEnv = (() => {
  const e = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
  for (const k of Object.keys(e)) if (/^(DB_|PG|MIGRATE_)/.test(k) || k === 'DATABASE_URL') delete e[k];
  // Node parses this CA bundle at every start (this machine's shell sets it:
  // `node -e 0` 62 ms of CPU with it, 23 ms without): it would hide the
  // start-up cost every Node tool is measured on. Bun and dbmate ignore it.
  delete e.NODE_EXTRA_CA_CERTS;
  return e;
})();

const LM_COUNT = "select count(*)::int as n from migration_records where service = 'bench'";
const lmArgs = (verb, dir) => [verb, '--service', 'bench', '--dir', dir, ...(verb === 'status' ? [] : ['--quiet'])];

/** name -> { label, available, argv(verb, dir), env(db), countSql, layout } */
const TOOLS = {
  floor: {
    label: 'floor (node)',
    available: () => true,
    argv: (verb, dir) => [NODE, [FLOOR, verb, dir]],
    env: (db) => ({ ...baseEnv, DATABASE_URL: dbUrl(db) }),
    countSql: 'select count(*)::int as n from bench_migrations',
    layout: 'canonical',
  },
  bundle: {
    label: 'link-migrate bundle',
    available: () => fs.existsSync(BUNDLE),
    argv: (verb, dir) => [NODE, [BUNDLE, ...lmArgs(verb, dir)]],
    env: (db) => ({ ...baseEnv, DATABASE_URL: dbUrl(db) }),
    countSql: LM_COUNT,
    layout: 'canonical',
  },
  binary: {
    label: 'link-migrate binary',
    available: () => fs.existsSync(BINARY),
    argv: (verb, dir) => [BINARY, lmArgs(verb, dir)],
    env: (db) => ({ ...baseEnv, DATABASE_URL: dbUrl(db) }),
    countSql: LM_COUNT,
    layout: 'canonical',
  },
  dbmate: {
    label: 'dbmate (Go)',
    available: () => isExecutable(DBMATE),
    argv: (verb, dir) => [DBMATE, ['--no-dump-schema', '--migrations-dir', dir, { up: 'up', status: 'status', down: 'rollback' }[verb]]],
    env: (db) => ({ ...baseEnv, DATABASE_URL: dbUrl(db, { sslDisable: true }) }),
    countSql: 'select count(*)::int as n from schema_migrations',
    layout: 'dbmate',
  },
};

function isExecutable(p) {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

// ------------------------------------------------------------ statistics

const median = (xs) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** A figure: the runs of one tool on one measure. */
function figure(section, measure, tool, extra = {}) {
  const f = { section, measure, tool, label: TOOLS[tool]?.label ?? tool, runs: [], status: 'ok', note: '', ...extra };
  figures.push(f);
  return f;
}

function summarize(f) {
  const ok = f.runs.filter((r) => r.status === 'ok');
  const walls = ok.map((r) => r.wall);
  const rss = ok.map((r) => r.rssKb).filter((v) => v != null);
  f.median_s = median(walls);
  f.min_s = walls.length ? Math.min(...walls) : null;
  f.max_s = walls.length ? Math.max(...walls) : null;
  f.rss_mb = rss.length ? median(rss) / 1024 : null;
  f.rss_max_mb = rss.length ? Math.max(...rss) / 1024 : null;
  const cpu = ok.map((r) => r.cpu).filter((v) => v != null);
  f.cpu_s = cpu.length ? median(cpu) : null;
  f.n_ok = ok.length;
  if (!ok.length && f.status === 'ok') f.status = f.runs.length ? 'fail' : 'n/a';
  return f;
}

const find = (section, measure, tool) => figures.find((f) => f.section === section && f.measure === measure && f.tool === tool);

// ------------------------------------------------------------ one run

/** Runs tool verb on db, checks the bookkeeping count, records the run in f. */
async function timed(f, tool, verb, dir, db, { expect, check, timeoutS = TIMEOUT_S, rep }) {
  const t = TOOLS[tool];
  const [cmd, args] = t.argv(verb, dir);
  await checkpoint();
  const logFile = path.join(tmpDir, 'logs', `${f.section}-${f.measure}-${tool}-${rep}.log`.replace(/[^\w.-]+/g, '_'));
  const r = await measure(cmd, args, { env: t.env(db), timeoutS, logFile });
  let status = 'ok';
  let note = '';
  if (r.timedOut) {
    status = 'timeout';
    note = `killed after ${timeoutS} s`;
    if (expect !== undefined) note += ` with ${await appliedCount(t, db)} applied`;
  } else if (r.code !== 0) {
    status = 'fail';
    note = `exit ${r.code ?? r.signal}: ${lastLines(r.output)}`;
  } else if (expect !== undefined) {
    const n = await appliedCount(t, db);
    if (n !== expect) {
      status = 'verify-failed';
      note = `bookkeeping counts ${n}, expected ${expect}`;
    } else if (check) {
      const rows = await query(db, check).catch((e) => [{ ok: e.message }]);
      const v = Object.values(rows[0] ?? {})[0];
      if (v !== true) {
        status = 'verify-failed';
        note = `schema check: ${v}`;
      }
    }
  }
  const run = { rep, wall: r.wall, rssKb: r.rssKb, cpu: r.cpu, code: r.code, status, note };
  f.runs.push(run);
  if (status !== 'ok') {
    f.status = status;
    f.note = note;
    log(`${f.section} ${f.measure} ${tool} rep ${rep}: ${status}: ${note}`);
  }
  return run;
}

function lastLines(text, n = 3) {
  return text.trim().split('\n').slice(-n).join(' | ').slice(0, 400);
}

/** Untimed: makes db hold exactly `count` migrations of dir applied by tool. */
async function ensureApplied(tool, dir, db, count) {
  const t = TOOLS[tool];
  if (createdDbs.has(db) && (await appliedCount(t, db)) === count) return true;
  await freshDb(db);
  const [cmd, args] = t.argv('up', dir);
  const r = await measure(cmd, args, { env: t.env(db), timeoutS: W4_TIMEOUT_S * 2, rss: false, logFile: path.join(tmpDir, 'logs', `prepare-${db}.log`) });
  const n = await appliedCount(t, db);
  if (r.code !== 0 || n !== count) {
    log(`prepare ${db} with ${tool}: failed (exit ${r.code}, ${n}/${count} applied): ${lastLines(r.output)}`);
    return false;
  }
  return true;
}

/**
 * Untimed, for the scale figures: db holds `count` migrations of dir as
 * applied by tool, fast. The first SEED_REAL are applied by the tool's own
 * `up` (its tables, its rows); the rest are inserted into its bookkeeping
 * table as that `up` would have recorded them (name and checksum derived
 * from the real rows, checked against them). Applying 100,000 migrations
 * one commit at a time takes minutes that measure nothing the scale
 * figures look at: a no-op `up` and `status` only read the rows.
 */
const SEED_REAL = 100;
async function seedApplied(tool, dir, db, count) {
  if (count <= SEED_REAL) return ensureApplied(tool, dir, db, count);
  const stems = fs.readdirSync(dir).filter((f) => f.endsWith('.up.sql')).map((f) => f.slice(0, -'.up.sql'.length)).sort();
  if (stems.length !== count) throw new Error(`${dir}: ${stems.length} up files, expected ${count}`);
  const first = path.join(tmpDir, `seed-${db}`);
  firstN(dir, first, SEED_REAL);
  if (!(await ensureApplied(tool, first, db, SEED_REAL))) return false;
  const sha = (stem) => createHash('sha256').update(fs.readFileSync(path.join(dir, `${stem}.up.sql`), 'utf8').replace(/\r\n/g, '\n')).digest('hex');
  const version = (stem) => parseInt(stem, 10);
  const slug = (stem) => stem.replace(/^\d+_/, '');
  const sql = postgres(dbUrl(db), { max: 1, onnotice: () => {} });
  try {
    const last = stems[SEED_REAL - 1];
    if (tool === 'floor') {
      const [row] = await sql`select name from bench_migrations where version = ${version(last)}`;
      if (row?.name !== last) throw new Error(`floor's row ${version(last)} is named ${row?.name}, not ${last}`);
      const rest = stems.slice(SEED_REAL);
      for (let i = 0; i < rest.length; i += 10_000) {
        const part = rest.slice(i, i + 10_000);
        await sql`insert into bench_migrations (version, name) select * from unnest(${part.map(version)}::int[], ${part}::text[])`;
      }
    } else {
      const [row] = await sql`select name, checksum from migration_records where service = 'bench' and version = ${version(last)}`;
      const name = row?.name === last ? (s) => s : row?.name === slug(last) ? slug : null;
      if (!name || row.checksum !== sha(last)) throw new Error(`link-migrate's row ${version(last)} (${JSON.stringify(row)}) is not what the seed would write`);
      const rest = stems.slice(SEED_REAL);
      for (let i = 0; i < rest.length; i += 10_000) {
        const part = rest.slice(i, i + 10_000);
        await sql`insert into migration_records (service, version, name, checksum)
          select 'bench', * from unnest(${part.map(version)}::bigint[], ${part.map(name)}::text[], ${part.map(sha)}::text[])`;
      }
      await sql`update schema_versions set version = ${version(stems.at(-1))}, description = ${name(stems.at(-1))} where service = 'bench'`;
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
  const n = await appliedCount(TOOLS[tool], db);
  if (n !== count) log(`seed ${db}: ${n}/${count} recorded`);
  return n === count;
}

/** Untimed: `up` on db as it is (after a `down`), else from scratch. */
async function reapply(tool, dir, db, count) {
  const t = TOOLS[tool];
  const [cmd, args] = t.argv('up', dir);
  await measure(cmd, args, { env: t.env(db), timeoutS: TIMEOUT_S, rss: false, logFile: path.join(tmpDir, 'logs', `reapply-${db}.log`) });
  if ((await appliedCount(t, db)) === count) return true;
  return ensureApplied(tool, dir, db, count);
}

// ------------------------------------------------------------ sections

async function sectionStartup() {
  log(`S: --version, ${STARTUP_RUNS} fresh processes each`);
  const cands = [
    ['node', 'node -e 0', NODE, ['-e', '0']],
    ['bundle', 'link-migrate bundle', NODE, [BUNDLE, '--version']],
    ['binary', 'link-migrate binary', BINARY, ['--version']],
  ];
  if (TOOLS.dbmate.available()) cands.push(['dbmate', 'dbmate (Go)', DBMATE, ['--version']]);
  const figs = cands.map(([tool, label]) => figure('S', '--version', tool, { label }));
  cands.forEach(([tool], i) => {
    if (tool === 'binary' && !fs.existsSync(BINARY)) figs[i].status = 'n/a (binary not built)';
  });
  // one warm-up of each (page cache), then round-robin
  for (const [, , cmd, args] of cands) if (fs.existsSync(cmd)) await measure(cmd, args, { env: baseEnv, rss: false, logFile: path.join(tmpDir, 'logs', 'warmup.log') });
  for (let i = 0; i < STARTUP_RUNS; i++) {
    for (const [k, [tool, , cmd, args]] of cands.entries()) {
      if (figs[k].status !== 'ok' && !figs[k].runs.length) continue;
      const r = await measure(cmd, args, { env: baseEnv, rss: false, timeoutS: 30, logFile: path.join(tmpDir, 'logs', `S-${tool}.log`) });
      figs[k].runs.push({ rep: i + 1, wall: r.wall, rssKb: null, code: r.code, status: r.code === 0 ? 'ok' : 'fail', note: r.code === 0 ? '' : lastLines(r.output) });
    }
  }
  figs.forEach(summarize);
}

/** `up` from empty, each run on a fresh database; keeps the last good database per tool. */
async function sectionUp(section, wl, tools, timeoutS) {
  log(`${section}: up of ${wl.count} migrations from empty, ${REPS} runs each (${tools.join(', ')})`);
  const figs = Object.fromEntries(tools.map((t) => [t, figure(section, 'up', t)]));
  const kept = {};
  for (let rep = 1; rep <= REPS; rep++) {
    for (const tool of tools) {
      const f = figs[tool];
      if (f.runs.some((r) => r.status === 'timeout')) continue; // bounded: a timed-out tool is not repeated
      if (overBudget()) {
        f.note ||= 'skipped: time budget (BENCH_MAX_MINUTES) spent';
        continue;
      }
      const db = `bench_${section.toLowerCase()}_${tool}_${rep}`;
      await freshDb(db);
      const dir = wl.dirs[TOOLS[tool].layout];
      const r = await timed(f, tool, 'up', dir, db, { expect: wl.count, check: wl.check, timeoutS, rep });
      if (r.status === 'ok') {
        if (kept[tool]) await dropDb(kept[tool]);
        kept[tool] = db;
      } else await dropDb(db);
    }
    log(`${section} rep ${rep}: ${tools.map((t) => `${t} ${fmtS(figs[t].runs.at(-1)?.wall)}`).join(', ')}`);
  }
  tools.forEach((t) => summarize(figs[t]));
  return kept;
}

/** With W1 applied: no-op up, status, down of one. */
async function sectionW3(wl, tools, keptW1) {
  log(`W3: with ${wl.count} applied: no-op up, status, down of one, ${REPS} runs each`);
  // bundle and binary share one database (same bookkeeping)
  const dbOf = (tool) => (tool === 'binary' ? dbOf('bundle') : keptW1[tool] ?? `bench_w3_${tool}`);
  const ready = {};
  for (const tool of tools) {
    const owner = tool === 'binary' ? 'bundle' : tool;
    ready[tool] = await ensureApplied(owner, wl.dirs[TOOLS[owner].layout], dbOf(tool), wl.count);
    if (ready[tool]) createdDbs.add(dbOf(tool));
  }
  for (const measureName of ['no-op up', 'status', 'down 1']) {
    const figs = Object.fromEntries(tools.map((t) => [t, figure('W3', measureName, t)]));
    for (let rep = 1; rep <= REPS; rep++) {
      for (const tool of tools) {
        const f = figs[tool];
        if (!ready[tool]) {
          f.status = 'n/a';
          f.note = 'W1 could not be applied';
          continue;
        }
        if (overBudget()) {
          f.note ||= 'skipped: time budget spent';
          continue;
        }
        const db = dbOf(tool);
        const dir = wl.dirs[TOOLS[tool].layout];
        if (measureName === 'no-op up') await timed(f, tool, 'up', dir, db, { expect: wl.count, rep });
        else if (measureName === 'status') await timed(f, tool, 'status', dir, db, { rep });
        else {
          await timed(f, tool, 'down', dir, db, { expect: wl.count - 1, rep });
          const owner = tool === 'binary' ? 'bundle' : tool;
          if (!(await reapply(owner, wl.dirs[TOOLS[owner].layout], db, wl.count))) ready[tool] = false;
        }
      }
    }
    tools.forEach((t) => summarize(figs[t]));
    log(`W3 ${measureName}: ${tools.map((t) => `${t} ${fmtS(figs[t].median_s)}`).join(', ')}`);
  }
}

/** Offline commands (lint, check): only when the CLI has them. */
async function sectionOffline(section, command, dir, desc, available) {
  for (const tool of ['bundle', 'binary']) {
    const f = figure(section, `${command} (${desc})`, tool);
    if (!available) {
      f.status = 'n/a (command not built yet)';
      continue;
    }
    if (!TOOLS[tool].available()) {
      f.status = 'n/a (not built)';
      continue;
    }
    log(`${section}: ${command} --dir ${path.relative(ROOT, dir) || dir} (${tool}), ${REPS} runs`);
    const [cmd, args] = tool === 'bundle' ? [NODE, [BUNDLE, command, '--dir', dir]] : [BINARY, [command, '--dir', dir]];
    for (let rep = 1; rep <= REPS && !overBudget(); rep++) {
      const r = await measure(cmd, args, { env: baseEnv, timeoutS: TIMEOUT_S, logFile: path.join(tmpDir, 'logs', `${section}-${tool}-${rep}.log`) });
      // findings give a non-zero exit by design: only a crash, a signal or a timeout fails the run
      const ok = !r.timedOut && r.code !== null && r.code <= 4;
      f.runs.push({ rep, wall: r.wall, rssKb: r.rssKb, cpu: r.cpu, code: r.code, status: ok ? 'ok' : r.timedOut ? 'timeout' : 'fail', note: ok ? '' : lastLines(r.output) });
      if (ok && r.code !== 0) f.note = `exit ${r.code} (findings)`;
      if (!ok) {
        f.status = r.timedOut ? 'timeout' : 'fail';
        f.note = lastLines(r.output);
        break;
      }
    }
    summarize(f);
  }
}

const SCALE_SIZES = [100, 1000, 10000, 100000];

/** check --dir of W1 with 1,000 and 10,000 migrations (2 files each), one run each, embedded and --engine postgres (issue 20 goal 5). */
const CHECK_SCALE_SIZES = (process.env.BENCH_CHECK_SIZES ?? '1000,10000').split(',').map(Number).filter((n) => n > 0);

async function sectionCheckScale() {
  const engines = [['embedded', []], ['postgres', ['--engine', 'postgres']]];
  for (const n of CHECK_SCALE_SIZES) {
    const wl = writeWorkload('W1', path.join(tmpDir, `C${n}`), n);
    for (const [engine, extra] of engines) {
      const f = figure('C', `check (--dir, W1 ${n.toLocaleString('en-US')} migrations, ${engine})`, 'bundle', { size: n });
      if (!TOOLS.bundle.available() || overBudget()) {
        f.status = 'n/a';
        continue;
      }
      log(`C: check of W1 ${n} migrations (bundle, ${engine}), 1 run`);
      const r = await measure(NODE, [BUNDLE, 'check', '--dir', wl.dir, ...extra], { env: baseEnv, timeoutS: Math.max(TIMEOUT_S, n * 1.5), logFile: path.join(tmpDir, 'logs', `C-${engine}-${n}.log`) });
      const ok = !r.timedOut && r.code === 0;
      f.runs.push({ rep: 1, wall: r.wall, rssKb: r.rssKb, cpu: r.cpu, code: r.code, status: ok ? 'ok' : r.timedOut ? 'timeout' : 'fail', note: ok ? '' : lastLines(r.output) });
      summarize(f);
      // 2 files per migration
      if (ok) f.note = `${((r.wall * 1000) / ((2 * n) / 1000)).toFixed(0)} ms per 1,000 files (wall)`;
      else f.note = lastLines(r.output);
      log(`C check W1 ${n} (${engine}): ${ok ? `${fmtS(r.wall)}, ${f.note}` : f.status}`);
    }
  }
}

/** No-op up and status with 100 / 1,000 / 10,000 / 100,000 applied (tiny migrations). */
async function sectionScale() {
  const top = SCALE_SIZES.at(-1);
  const wl = writeWorkload('W4', path.join(tmpDir, 'SC'), top);
  const tools = ['floor', 'bundle', 'binary'].filter((t) => TOOLS[t].available());
  log(`SC: no-op up and status with ${SCALE_SIZES.join(' / ')} applied (${tools.join(', ')}), ${REPS} runs each`);
  const dirs = {};
  const dbs = {};
  for (const n of SCALE_SIZES) {
    dirs[n] = n === top ? wl.dir : firstN(wl.dir, path.join(tmpDir, `SC${n}`), n).dir;
    for (const owner of ['floor', 'bundle']) {
      if (overBudget()) break;
      const db = `bench_sc${n}_${owner}`;
      const t = Date.now();
      dbs[`${n}-${owner}`] = (await seedApplied(owner, dirs[n], db, n)) ? db : null;
      log(`SC: ${n.toLocaleString('en-US')} recorded for ${owner} (untimed, ${((Date.now() - t) / 1000).toFixed(0)} s)`);
    }
  }
  for (const n of SCALE_SIZES) {
    for (const [verb, name] of [['up', 'no-op up'], ['status', 'status']]) {
      const figs = Object.fromEntries(tools.map((t) => [t, figure('SC', `${name}, ${n.toLocaleString('en-US')} applied`, t, { size: n, verb })]));
      for (let rep = 1; rep <= REPS; rep++) {
        for (const tool of tools) {
          const db = dbs[`${n}-${tool === 'binary' ? 'bundle' : tool}`];
          if (!db) {
            figs[tool].status = 'n/a';
            figs[tool].note = 'could not apply the migrations';
            continue;
          }
          if (overBudget()) {
            figs[tool].note ||= 'skipped: time budget spent';
            continue;
          }
          await timed(figs[tool], tool, verb, dirs[n], db, { expect: verb === 'up' ? n : undefined, rep });
        }
      }
      tools.forEach((t) => summarize(figs[t]));
      log(`SC ${name} ${n}: ${tools.map((t) => `${t} ${fmtS(figs[t].median_s)} ${fmtMb(figs[t].rss_mb)}`).join(', ')}`);
    }
    for (const owner of ['floor', 'bundle']) if (dbs[`${n}-${owner}`]) await dropDb(dbs[`${n}-${owner}`]).catch(() => {});
  }
}

/**
 * Fleet: one `up --targets` over FLEET_DBS databases of 20 migrations each,
 * at --parallel 1, 8 and 32, round-robin; between runs every database is
 * emptied again (its tables and bookkeeping rows dropped: cheaper than
 * 200 CREATE DATABASE). After each run every database must hold 20 records.
 */
async function sectionFleet() {
  const levels = [1, 8, 32];
  const wl = writeWorkload('F', path.join(tmpDir, 'F'));
  const names = Array.from({ length: FLEET_DBS }, (_, i) => `bench_fleet_${String(i + 1).padStart(3, '0')}`);
  log(`F: up of ${wl.count} migrations on ${names.length} databases, --parallel ${levels.join(' / ')}, ${FLEET_REPS} runs each`);
  for (const n of names) await freshDb(n);
  const targets = path.join(tmpDir, 'F-targets.txt');
  fs.writeFileSync(targets, names.map((n) => `${n}=${dbUrl(n)}`).join('\n') + '\n');
  const drops = Array.from({ length: wl.count }, (_, i) => `f_t${String(i + 1).padStart(3, '0')}`).join(', ');
  const each = async (fn) => {
    for (let i = 0; i < names.length; i += 20) await Promise.all(names.slice(i, i + 20).map(fn));
  };
  const reset = () =>
    each((n) => query(n, `DROP TABLE IF EXISTS ${drops}; DO $$ BEGIN IF to_regclass('migration_records') IS NOT NULL THEN ` +
      `DELETE FROM migration_records WHERE service = 'bench'; DELETE FROM schema_versions WHERE service = 'bench'; END IF; END $$`));
  const recorded = async () => {
    const counts = [];
    await each(async (n) => {
      counts.push(await appliedCount(TOOLS.bundle, n));
    });
    return counts.reduce((a, b) => a + b, 0);
  };
  const figs = Object.fromEntries(levels.map((p) => [p, figure('F', `up --targets, --parallel ${p}`, 'bundle', { parallel: p })]));
  for (let rep = 1; rep <= FLEET_REPS; rep++) {
    for (const p of levels) {
      const f = figs[p];
      if (overBudget()) {
        f.note ||= 'skipped: time budget spent';
        continue;
      }
      await reset();
      await checkpoint();
      const r = await measure(NODE, [BUNDLE, 'up', '--service', 'bench', '--dir', wl.dir, '--targets', targets, '--parallel', String(p), '--quiet'], {
        env: baseEnv,
        timeoutS: TIMEOUT_S * 5,
        logFile: path.join(tmpDir, 'logs', `F-${p}-${rep}.log`),
      });
      const n = await recorded();
      const want = wl.count * names.length;
      const status = r.timedOut ? 'timeout' : r.code !== 0 ? 'fail' : n !== want ? 'verify-failed' : 'ok';
      const note = status === 'ok' ? '' : `exit ${r.code ?? r.signal}, ${n}/${want} recorded: ${lastLines(r.output)}`;
      f.runs.push({ rep, wall: r.wall, rssKb: r.rssKb, cpu: r.cpu, code: r.code, status, note });
      if (status !== 'ok') {
        f.status = status;
        f.note = note;
        log(`F --parallel ${p} rep ${rep}: ${status}: ${note}`);
      }
    }
    log(`F rep ${rep}: ${levels.map((p) => `--parallel ${p} ${fmtS(figs[p].runs.at(-1)?.wall)} ${fmtMb((figs[p].runs.at(-1)?.rssKb ?? 0) / 1024)}`).join(', ')}`);
  }
  levels.forEach((p) => summarize(figs[p]));
  await reset();
  for (const n of names) await dropDb(n).catch(() => {});
}

// ------------------------------------------------------------ goals

const fmtS = (s) => (s == null ? '—' : `${s.toFixed(3)} s`);
const fmtMs = (s) => (s == null ? '—' : `${(s * 1000).toFixed(1)} ms`);
const fmtMb = (mb) => (mb == null ? '—' : `${mb.toFixed(1)} MB`);
const fmtX = (r) => (r == null ? '—' : `${r.toFixed(2)}x`);
const pct = (x) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(0)}%`;

/** Ratio of each link-migrate figure to the floor's (or node -e 0's) of the same measure. */
function ratios() {
  for (const f of figures) {
    if (f.median_s == null) continue;
    const refTool = f.section === 'S' ? 'node' : f.section === 'L' || f.section === 'C' ? null : 'floor';
    const ref = refTool && find(f.section, f.measure, refTool);
    if (ref && ref.median_s) {
      f.ratio = f.median_s / ref.median_s;
      f.ratio_to = refTool === 'node' ? 'node -e 0' : 'floor';
    }
  }
}

function verdictRatio(value, ref, max, refName) {
  if (value == null || ref == null) return { met: null, text: 'not measured' };
  const r = value / ref;
  if (r <= max) return { met: true, text: `met (${fmtX(r)} of ${refName})` };
  const over = value - max * ref;
  return { met: false, text: `NOT met: ${fmtX(r)} of ${refName}, ${pct(r / max - 1)} over the goal (${fmtS(over)} too slow)` };
}

function goals() {
  const g = (f, goal, v) => {
    if (!f) return;
    f.goal = goal;
    f.verdict = v.text;
    f.met = v.met;
  };
  // no-op up, 1,000 applied
  const floorNoop = find('W3', 'no-op up', 'floor');
  const dbmateNoop = find('W3', 'no-op up', 'dbmate');
  g(find('W3', 'no-op up', 'bundle'), '<= 1.0x floor', verdictRatio(find('W3', 'no-op up', 'bundle')?.median_s, floorNoop?.median_s, 1.0, 'floor'));
  const dbRef = dbmateNoop?.median_s ?? null;
  const binNoop = find('W3', 'no-op up', 'binary');
  if (dbRef != null) g(binNoop, '<= dbmate', verdictRatio(binNoop?.median_s, dbRef, 1.0, 'dbmate (measured)'));
  else g(binNoop, `<= dbmate (issue's ${DBMATE_REFERENCE_S} s, not measured here)`, verdictRatio(binNoop?.median_s, DBMATE_REFERENCE_S, 1.0, `dbmate's reference ${DBMATE_REFERENCE_S} s`));
  // W1 / W4 up
  for (const t of ['bundle', 'binary']) {
    g(find('W1', 'up', t), '<= 1.0x floor', verdictRatio(find('W1', 'up', t)?.median_s, find('W1', 'up', 'floor')?.median_s, 1.0, 'floor'));
    g(find('W4', 'up', t), '<= 1.0x floor', verdictRatio(find('W4', 'up', t)?.median_s, find('W4', 'up', 'floor')?.median_s, 1.0, 'floor'));
  }
  // --version
  const node0 = find('S', '--version', 'node')?.median_s;
  const sb = find('S', '--version', 'bundle');
  if (sb?.median_s != null && node0 != null) {
    const d = sb.median_s - node0;
    g(sb, 'within 15 ms of node -e 0', { met: d <= 0.015, text: d <= 0.015 ? `met (+${fmtMs(d)} over node -e 0)` : `NOT met: +${fmtMs(d)} over node -e 0, ${fmtMs(d - 0.015)} over the goal` });
  }
  const sbin = find('S', '--version', 'binary');
  if (sbin?.median_s != null) {
    const v = sbin.median_s;
    g(sbin, '< 15 ms', { met: v < 0.015, text: v < 0.015 ? 'met' : `NOT met: ${fmtMs(v - 0.015)} over` });
  }
  // scale: ms and MB per 1,000 files between consecutive sizes
  for (const t of ['floor', 'bundle', 'binary']) {
    for (const name of ['no-op up', 'status']) {
      const pts = SCALE_SIZES.map((n) => find('SC', `${name}, ${n.toLocaleString('en-US')} applied`, t)).filter((p) => p && p.median_s != null);
      if (pts.length < 3) continue;
      const slope = (a, b, key) => (b[key] - a[key]) / ((b.size - a.size) / 1000); // per 1,000 files
      // CPU when every point has it: on a shared machine wall time is mostly other processes' (see README)
      const key = pts.every((p) => p.cpu_s != null) ? 'cpu_s' : 'median_s';
      const segs = pts.slice(1).map((b, i) => ({ from: pts[i].size, to: b.size, t: slope(pts[i], b, key), m: slope(pts[i], b, 'rss_mb') }));
      // linear: the cost of each further file does not grow from one segment to the next
      // (1.5x slack for noise; below 1 ms / 0.5 MB per 1,000 files counts as flat)
      const linT = segs.slice(1).every((sg, i) => sg.t <= Math.max(1.5 * segs[i].t, 0.001));
      const linM = segs.slice(1).every((sg, i) => sg.m <= Math.max(1.5 * segs[i].m, 0.5));
      const f = pts.at(-1);
      const k = (n) => (n >= 1000 ? `${n / 1000}k` : `${n}`);
      f.scale = { segments: segs };
      f.note = `per 1,000 files (${key === 'cpu_s' ? 'CPU' : 'wall'}, peak RSS): ${segs.map((sg) => `${k(sg.from)}-${k(sg.to)} ${fmtMs(sg.t)}, ${sg.m.toFixed(2)} MB`).join('; ')}`;
      if (t === 'floor') continue;
      f.goal = 'linear to 100,000 files';
      f.met = linT && linM;
      f.verdict = `${f.met ? 'met' : 'NOT met'}${linT ? '' : ' (time per file grows)'}${linM ? '' : ' (memory per file grows)'}: ${f.note}`;
    }
  }
  // fleet: --parallel 8 against --parallel 1, and memory at --parallel 32
  const f1 = find('F', 'up --targets, --parallel 1', 'bundle');
  const f8 = find('F', 'up --targets, --parallel 8', 'bundle');
  const f32 = find('F', 'up --targets, --parallel 32', 'bundle');
  if (f8) g(f8, '<= 0.3x of --parallel 1', verdictRatio(f8.median_s, f1?.median_s, 0.3, '--parallel 1'));
  if (f32) {
    const rss = f32.rss_mb;
    g(f32, 'peak RSS <= 150 MB', { met: rss == null ? null : rss <= 150, text: rss == null ? 'not measured' : rss <= 150 ? `met (${fmtMb(rss)})` : `NOT met: ${fmtMb(rss)}` });
  }
  // peak RSS of the bundle on W1 up and on the no-op up: within 5 MB of the floor's (issue 20)
  for (const [section, measureName] of [['W1', 'up'], ['W3', 'no-op up']]) {
    const fb = find(section, measureName, 'bundle');
    const ff = find(section, measureName, 'floor');
    if (!fb) continue;
    const rss = fb.rss_mb;
    const ref = ff?.rss_mb;
    const d = rss != null && ref != null ? rss - ref : null;
    const row = {
      section, measure: `peak RSS of ${measureName === 'up' ? '`up`' : 'the no-op `up`'}`, tool: 'bundle', label: 'link-migrate bundle', runs: [], status: fb.status,
      rss_mb: rss, rss_max_mb: fb.rss_max_mb, median_s: null, goal: "within 5 MB of the floor's",
      met: d == null ? null : d <= 5,
      verdict: d == null ? 'not measured' : d <= 5 ? `met (${fmtMb(rss)}, floor ${fmtMb(ref)})` : `NOT met: ${fmtMb(rss)}, floor ${fmtMb(ref)}: +${fmtMb(d)}, ${fmtMb(d - 5)} over`,
    };
    figures.splice(figures.indexOf(fb) + 1, 0, row);
  }
}

// ------------------------------------------------------------ report

const SECTION_TITLE = {
  S: 'S: `--version`, fresh process',
  W1: 'W1: 1,000 migrations (table + index), `up` from empty',
  W3: 'W1 applied (1,000)',
  W4: 'W4: 10,000 tiny migrations, `up` from empty',
  L: 'L: lint',
  C: 'C: check (embedded)',
  SC: 'Scale: tiny migrations, all applied',
  F: `F: fleet, ${FLEET_DBS} databases x 20 migrations`,
};

function table() {
  const rows = [
    '| workload | measure | tool | median | min – max | CPU | peak RSS | vs floor | goal | verdict |',
    '|---|---|---|--:|--:|--:|--:|--:|---|---|',
  ];
  for (const f of figures) {
    const isMs = f.section === 'S';
    const t = (s) => (isMs ? fmtMs(s) : fmtS(s));
    const med = f.median_s != null ? t(f.median_s) : f.status === 'ok' ? '' : f.status;
    const range = f.min_s != null && f.runs.length > 1 ? `${t(f.min_s)} – ${t(f.max_s)}` : '';
    const rss = f.rss_mb != null ? fmtMb(f.rss_mb) : '';
    const cpu = f.cpu_s != null ? t(f.cpu_s) : '';
    const ratio = f.ratio != null ? `${fmtX(f.ratio)}${f.ratio_to === 'node -e 0' ? ' of node -e 0' : ''}` : '';
    let verdict = f.verdict ?? '';
    const note = f.note && f.status !== 'ok' ? f.note : f.note && !verdict ? f.note : '';
    if (note) verdict = verdict ? `${verdict}; ${note}` : note;
    if (f.median_s != null && f.n_ok < f.runs.length) verdict += ` (${f.runs.length - f.n_ok} of ${f.runs.length} runs failed)`;
    rows.push(`| ${SECTION_TITLE[f.section] ?? f.section} | ${f.measure} | ${f.label} | ${med} | ${range} | ${cpu} | ${rss} | ${ratio} | ${f.goal ?? ''} | ${verdict.replace(/\|/g, '\\|')} |`);
  }
  return rows.join('\n');
}

function machine() {
  const sh = (c) => {
    try {
      return execFileSync('bash', ['-c', c], { encoding: 'utf8', timeout: 10_000 }).trim();
    } catch {
      return '';
    }
  };
  return {
    nproc: Number(sh('nproc')) || os.cpus().length,
    cpu: os.cpus()[0]?.model ?? '',
    memory_gib: +(os.totalmem() / 2 ** 30).toFixed(1),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    gnu_time: Boolean(GNU_TIME),
    loadavg_start: null,
    loadavg_end: null,
  };
}

function gitInfo() {
  const g = (args) => runSync('git', args, { cwd: ROOT }).stdout?.trim() ?? '';
  const dirty = g(['status', '--porcelain', '--', 'src', 'build.config.ts', 'package.json']) !== '';
  return { commit: g(['rev-parse', '--short', 'HEAD']), src_dirty: dirty };
}

// ------------------------------------------------------------ main

/** Drops the bench databases, stops the server, removes the temp dir; once (later calls wait for the first). */
function cleanup() {
  cleaningUp ??= doCleanup();
  return cleaningUp;
}

async function doCleanup() {
  for (const child of children) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  if (admin) {
    for (const db of [...createdDbs]) await dropDb(db).catch(() => {});
    await admin.end({ timeout: 5 }).catch(() => {});
  }
  stopPostgres();
  if (tmpDir && process.env.BENCH_KEEP_TMP !== '1') fs.rmSync(tmpDir, { recursive: true, force: true });
}

for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]]) {
  process.on(sig, () => {
    if (interrupted) return;
    interrupted = true;
    log(`${sig}: stopping`);
    cleanup().finally(() => process.exit(code));
    setTimeout(() => process.exit(code), 10_000).unref();
  });
}
process.on('exit', () => stopPostgres());

async function main() {
  const mach = machine();
  mach.loadavg_start = os.loadavg().map((x) => +x.toFixed(2));
  const git = gitInfo();

  // build
  if (process.env.BENCH_SKIP_BUILD === '1') log('build: skipped (BENCH_SKIP_BUILD=1)');
  else {
    log('build: npm run build:all');
    const t = Date.now();
    const r = runSync('npm', ['run', 'build:all'], { cwd: ROOT, env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } });
    if (r.status !== 0) {
      process.stderr.write(`${r.stdout}\n${r.stderr}\n`);
      throw new Error(`npm run build:all failed (exit ${r.status ?? r.signal})`);
    }
    log(`build: ok (${((Date.now() - t) / 1000).toFixed(1)} s)`);
  }
  // dbmate: bench/package.json's devDependency, installed on first use.
  if (!process.env.BENCH_DBMATE && !isExecutable(DBMATE)) {
    log('dbmate: npm ci in bench/ (@dbmate/linux-x64)');
    const r = runSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: BENCH_DIR, timeout: 300_000 });
    if (r.status !== 0) log(`dbmate: npm ci failed (exit ${r.status ?? r.signal}): ${lastLines(`${r.stdout}\n${r.stderr}`)}`);
  }
  if (!fs.existsSync(DIST_BUNDLE)) throw new Error(`${DIST_BUNDLE} missing: run npm run build`);
  // BENCH_TMPDIR=/dev/shm: the workloads (SC writes 200,000 files) on tmpfs.
  tmpDir = fs.mkdtempSync(path.join(process.env.BENCH_TMPDIR || os.tmpdir(), 'lm-bench-'));
  fs.mkdirSync(path.join(tmpDir, 'logs'));
  fs.mkdirSync(path.join(tmpDir, 'bin'));
  BUNDLE = path.join(tmpDir, 'bin', 'link-migrate.cjs');
  fs.copyFileSync(DIST_BUNDLE, BUNDLE);
  fs.chmodSync(BUNDLE, 0o755);
  BINARY = path.join(tmpDir, 'bin', 'link-migrate-linux-x64');
  if (fs.existsSync(DIST_BINARY)) {
    fs.copyFileSync(DIST_BINARY, BINARY);
    fs.chmodSync(BINARY, 0o755);
  }
  const sha = (p) => (fs.existsSync(p) ? createHash('sha256').update(fs.readFileSync(p)).digest('hex') : null);
  const version = runSync(NODE, [BUNDLE, '--version']).stdout.trim();
  const sizeMb = (p) => (fs.existsSync(p) ? +(fs.statSync(p).size / 2 ** 20).toFixed(1) : null);
  const sizes = { bundle_mb: sizeMb(BUNDLE), binary_mb: sizeMb(BINARY), bundle_sha256: sha(BUNDLE), binary_sha256: sha(BINARY) };
  const help = runSync(NODE, [BUNDLE, '--help']).stdout;
  const commands = (help.split(/\n\s*\n/).find((b) => /^Commands:/m.test(b)) ?? help).split('\n').map((l) => l.trim().split(/\s+/)[0]);
  const hasLint = commands.includes('lint');
  const hasCheck = commands.includes('check');
  if (!fs.existsSync(BINARY)) log(`warning: ${DIST_BINARY} missing: binary rows are n/a`);

  // server
  let serverMode;
  if (process.env.BENCH_DATABASE_URL) {
    baseUrl = process.env.BENCH_DATABASE_URL;
    await waitForLogin(baseUrl, 10_000);
    serverMode = `BENCH_DATABASE_URL=${redact(baseUrl)} (its own settings)`;
    log(`using ${serverMode}`);
  } else {
    const pg = await startPostgres({ settings: 'defaults', binEnv: 'BENCH_PG_BIN', who: 'bench/run.mjs', log });
    baseUrl = pg.url;
    serverMode = 'throwaway cluster (initdb defaults: fsync on, synchronous_commit on, shared_buffers 128MB; trust auth; only listen_addresses, port and unix_socket_directories set), TCP 127.0.0.1';
  }
  admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
  const [{ server_version: pgVersion }] = await admin.unsafe('show server_version');
  const settingsRows = await admin.unsafe(
    "select name, setting from pg_settings where name in ('fsync','synchronous_commit','full_page_writes','shared_buffers','max_connections','wal_level')",
  );
  const settings = Object.fromEntries(settingsRows.map((r) => [r.name, r.setting]));
  serverInfo = `PostgreSQL ${pgVersion}`;

  // workloads
  log('writing workloads');
  const w1 = writeWorkload('W1', path.join(tmpDir, 'W1'));
  const w4 = writeWorkload('W4', path.join(tmpDir, 'W4'));
  const withDbmate = TOOLS.dbmate.available();
  w1.dirs = { canonical: w1.dir, dbmate: withDbmate ? dbmateLayout(w1.dir, path.join(tmpDir, 'W1-dbmate')).dir : null };
  w4.dirs = { canonical: w4.dir, dbmate: withDbmate ? dbmateLayout(w4.dir, path.join(tmpDir, 'W4-dbmate')).dir : null };
  log(withDbmate ? `dbmate: ${DBMATE}` : `dbmate not installed (${DBMATE}): its no-op figure is the issue's ${DBMATE_REFERENCE_S} s`);
  const upTools = ['floor', 'bundle', 'binary', ...(withDbmate ? ['dbmate'] : [])].filter((t) => TOOLS[t].available());

  if (ONLY.has('S')) await quiet('S').then(sectionStartup);
  let keptW1 = {};
  if (ONLY.has('W1')) keptW1 = await quiet('W1').then(() => sectionUp('W1', w1, upTools, TIMEOUT_S));
  if (ONLY.has('W3')) await quiet('W3').then(() => sectionW3(w1, upTools, keptW1));
  for (const db of Object.values(keptW1)) await dropDb(db).catch(() => {});
  let keptW4 = {};
  if (ONLY.has('W4')) keptW4 = await quiet('W4').then(() => sectionUp('W4', w4, upTools, W4_TIMEOUT_S));
  for (const [tool, db] of Object.entries(keptW4)) if (tool !== 'floor' && tool !== 'bundle') await dropDb(db).catch(() => {});
  if (ONLY.has('L')) {
    await quiet('L').then(() => sectionOffline('L', 'lint', w1.dir, `--dir, ${w1.count.toLocaleString('en-US')} migrations`, hasLint));
    const w1x10 = writeWorkload('W1', path.join(tmpDir, 'L10k'), 10_000);
    await sectionOffline('L', 'lint', w1x10.dir, `--dir, ${w1x10.count.toLocaleString('en-US')} migrations`, hasLint);
  }
  if (ONLY.has('C')) {
    await quiet('C').then(() => sectionOffline('C', 'check', path.join(ROOT, 'fixtures', 'discovery-svc', 'migrations'), '--dir fixtures/discovery-svc/migrations', hasCheck));
    if (hasCheck) await sectionCheckScale();
  }
  for (const db of Object.values(keptW4)) await dropDb(db).catch(() => {});
  if (ONLY.has('SC')) await quiet('SC').then(() => sectionScale());
  if (ONLY.has('F')) await quiet('F').then(sectionFleet);

  if (!withDbmate && ONLY.has('W3')) {
    const at = figures.findIndex((f) => f.section === 'W3' && f.measure === 'no-op up' && f.tool === 'binary');
    figures.splice(at + 1, 0, {
      section: 'W3', measure: 'no-op up', tool: 'dbmate-ref', label: "dbmate (Go): the issue's figure, not measured here",
      runs: [], status: 'ok', median_s: DBMATE_REFERENCE_S, note: 'reference from issue 9 (../shared/bench)',
    });
  }
  ratios();
  goals();

  mach.loadavg_end = os.loadavg().map((x) => +x.toFixed(2));
  const now = new Date();
  const date = now.toISOString().slice(0, 10);
  const elapsed = (Date.now() - T0) / 1000;
  const md = [
    `Benchmark of link-migrate ${version.replace(/^link-migrate\s*/, '')} (commit ${git.commit}${git.src_dirty ? ', with uncommitted changes in src/' : ''}), ${now.toISOString().replace(/\.\d+Z$/, 'Z')}.`,
    '',
    `Files (copied from dist/ after the build and run from a temp dir): bundle ${sizes.bundle_mb} MB, binary ${sizes.binary_mb ?? '—'} MB.`,
    '',
    `Machine: ${mach.nproc} cores (${mach.cpu}), ${mach.memory_gib} GiB memory, ${mach.os}; Node ${mach.node}; ${serverInfo}: ${serverMode}; ` +
      `settings: ${Object.entries(settings).map(([k, v]) => `${k}=${v}`).join(', ')}. ` +
      `Load average at start ${mach.loadavg_start.join(' / ')}, at end ${mach.loadavg_end.join(' / ')}; ` +
      `as each section started (1-min load, CPU pressure avg10 %): ${Object.entries(sectionLoad).map(([k, v]) => `${k} ${v.loadavg[0]}${v.cpu_pressure_avg10 != null ? `, ${v.cpu_pressure_avg10}%` : ''}`).join('; ')}.`,
    '',
    `Medians of ${REPS} runs (\`--version\`: ${STARTUP_RUNS}), each \`up\` on a fresh database, CHECKPOINT before each timed command; ` +
      'wall time from spawn to exit (monotonic clock); CPU (user + system) and peak RSS of the tool\'s process from GNU time `%U %S %M`. The bundle runs as `node dist/link-migrate.cjs`, ' +
      'the floor as `node bench/floor.mjs` (one connection, per migration one simple-protocol query `BEGIN; <file>; INSERT bookkeeping; COMMIT`; ' +
      'its no-op `up` is one query that creates the table if missing and reads the applied versions). "vs floor" is the ratio to the floor\'s median in this run ' +
      `(for \`--version\`: to \`node -e 0\`). Run took ${(elapsed / 60).toFixed(1)} min.`,
    '',
    table(),
    '',
  ].join('\n');

  fs.mkdirSync(RESULTS, { recursive: true });
  const json = {
    date: now.toISOString(), link_migrate: version, git, machine: mach, server: { mode: serverMode, version: pgVersion, settings },
    sizes, section_load: sectionLoad, reps: REPS, startup_runs: STARTUP_RUNS, elapsed_s: elapsed, commands: { lint: hasLint, check: hasCheck },
    figures: figures.map(({ runs, ...f }) => ({ ...f, runs })),
  };
  const jsonFile = path.join(RESULTS, `${date}.json`);
  fs.writeFileSync(jsonFile, JSON.stringify(json, null, 2) + '\n');
  fs.writeFileSync(path.join(RESULTS, 'latest.md'), `# link-migrate benchmark: latest run\n\n\`npm run bench\` (bench/run.mjs) wrote this file.\n\n${md}`);
  process.stdout.write(md);
  log(`wrote ${path.relative(ROOT, jsonFile)} and bench/results/latest.md`);
}

main()
  .then(() => cleanup())
  .then(() => process.exit(0))
  .catch(async (err) => {
    if (interrupted) return; // the signal handler cleans up and exits
    log(`error: ${err instanceof Error ? err.stack : err}`);
    await cleanup().catch(() => {});
    process.exit(1);
  });
