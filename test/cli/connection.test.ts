// End-to-end: where the CLI connects (--database-url > DATABASE_URL > DB_* >
// PG*), how it reports a connection it cannot make, --wait, and that the
// password never reaches any output.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { databases, type FreshDatabase } from '../helpers/db.js';
import {
  assertExit,
  deadPort,
  envFromUrl,
  lines,
  password,
  recorder,
  relationExists,
  serviceDir,
  show,
  snapshot,
} from './support.js';

const test = suite('cli: connection');
const dbs = databases('cli_conn');
const { run, assertNoSecrets } = recorder();

let A: FreshDatabase;
let B: FreshDatabase;
let dir: string;

const FILES = {
  '001_a.up.sql': 'create table a (id int);\n',
  '001_a.down.sql': 'drop table a;\n',
  '002_b.up.sql': 'create table b (id int);\n',
  '002_b.down.sql': 'drop table b;\n',
  '003_c.up.sql': 'create table c (id int);\n',
};

test.before(async () => {
  ({ dir } = await serviceDir('svc', FILES));
  [A, B] = await Promise.all([dbs.fresh(), dbs.fresh()]);
  // A is at version 1, B at version 2: status tells them apart.
  assertExit(await run(['mark', '1', '--dir', dir], { env: { DATABASE_URL: A.url } }), 0);
  assertExit(await run(['mark', '--to', '2', '--dir', dir], { env: { DATABASE_URL: B.url } }), 0);
});

test.after(async () => {
  await dbs.dropAll();
});

/** The current version the CLI saw: 1 means database A, 2 means B. */
async function versionSeen(args: string[], env: Record<string, string | undefined>): Promise<number> {
  const r = await run(['status', '--dir', dir, '--json', ...args], { env });
  if (r.code !== 0) assert.unreachable(show(r));
  return (JSON.parse(r.stdout) as { currentVersion: number }).currentVersion;
}

test('--database-url wins over DATABASE_URL', async () => {
  assert.is(await versionSeen(['--database-url', B.url], { DATABASE_URL: A.url }), 2);
  assert.is(await versionSeen([`--database-url=${A.url}`], { DATABASE_URL: B.url }), 1);
  // The flag also wins over DB_* and PG*.
  assert.is(await versionSeen(['--database-url', B.url], { ...envFromUrl(A.url, 'DB'), ...envFromUrl(A.url, 'PG') }), 2);
});

test('DATABASE_URL wins over DB_* and PG*', async () => {
  assert.is(await versionSeen([], { DATABASE_URL: A.url, ...envFromUrl(B.url, 'DB') }), 1);
  assert.is(await versionSeen([], { DATABASE_URL: B.url, ...envFromUrl(A.url, 'PG') }), 2);
});

test('DB_* wins over PG*; PG* alone works', async () => {
  assert.is(await versionSeen([], { ...envFromUrl(A.url, 'DB'), ...envFromUrl(B.url, 'PG') }), 1);
  assert.is(await versionSeen([], { ...envFromUrl(B.url, 'DB'), ...envFromUrl(A.url, 'PG') }), 2);
  assert.is(await versionSeen([], envFromUrl(B.url, 'PG')), 2);
  assert.is(await versionSeen([], envFromUrl(A.url, 'DB')), 1);
});

test('up writes to the database the precedence picks, and only there', async () => {
  const [x, y] = await Promise.all([dbs.fresh(), dbs.fresh()]);
  const r = await run(['up', '--dir', dir, '--to', '1', '--database-url', y.url], { env: { DATABASE_URL: x.url, ...envFromUrl(x.url, 'DB') } });
  assertExit(r, 0);
  assert.ok(await relationExists(y.sql, 'a'));
  assert.not.ok(await relationExists(x.sql, 'a'));
  assert.not.ok(await relationExists(x.sql, 'migration_records'));
});

function wrongPasswordUrl(db: FreshDatabase, pw: string): string {
  const u = new URL(db.url);
  u.password = encodeURIComponent(pw);
  return u.toString();
}

test('a wrong password: exit 1 naming host, port, database and user and the server\'s reason, never the password', async () => {
  const u = new URL(A.url);
  const wrong = 'Wr0ng:Secret@Pass/word%';
  const r = await run(['status', '--dir', dir], { env: { DATABASE_URL: wrongPasswordUrl(A, wrong) } });
  assertExit(r, 1);
  assert.is(r.stdout, '');
  const err = lines(r.stderr);
  assert.is(err.length >= 1, true);
  const first = err[0]!;
  assert.match(first, /^\[svc-migrations\] Error: /);
  for (const part of [u.hostname, u.port, A.name, 'postgres', 'password authentication failed']) {
    assert.ok(first.includes(part), `${JSON.stringify(part)} in: ${first}`);
  }
  for (const leak of [wrong, encodeURIComponent(wrong), password()]) assert.not.ok(r.stderr.includes(leak), `leaked ${leak}`);

  // Through DB_PASSWORD as well, and with --verbose.
  const env = { ...envFromUrl(A.url, 'DB'), DB_PASSWORD: wrong };
  const v = await run(['up', '--dir', dir, '--verbose'], { env });
  assertExit(v, 1);
  assert.match(v.stderr, /password authentication failed/);
  for (const leak of [wrong, encodeURIComponent(wrong)]) assert.not.ok((v.stdout + v.stderr).includes(leak), `leaked ${leak}`);
});

test('a database that does not exist: exit 1 with the server\'s reason', async () => {
  const u = new URL(A.url);
  u.pathname = '/lm_no_such_database';
  const r = await run(['status', '--dir', dir], { env: { DATABASE_URL: u.toString() } });
  assertExit(r, 1);
  assert.match(lines(r.stderr)[0]!, /^\[svc-migrations\] Error: .*lm_no_such_database.*does not exist/);
});

test('nothing listening: exit 1 "connection refused" naming host and port', async () => {
  const port = await deadPort();
  const u = new URL(A.url);
  u.port = String(port);
  const r = await run(['up', '--dir', dir], { env: { DATABASE_URL: u.toString() } });
  assertExit(r, 1);
  // Fails at the first attempt without --wait: no retry was announced (not a clock: a busy machine is slow).
  assert.not.match(r.stdout + r.stderr, /waiting|waited/i);
  const err = lines(r.stderr);
  assert.match(err[0]!, /^\[svc-migrations\] Error: .*connection refused/);
  assert.ok(err[0]!.includes(`127.0.0.1:${port}`) || (err[0]!.includes('127.0.0.1') && err[0]!.includes(String(port))), err[0]);
  assert.not.match(r.stdout, /Successfully/);
});

test('--wait 3 against a port where nothing listens: exit 1 after about 3 s, saying it waited', async () => {
  const port = await deadPort();
  const u = new URL(A.url);
  u.port = String(port);
  const t0 = Date.now();
  // The bound only turns a wait that never ends into a failure.
  const r = await run(['status', '--dir', dir, '--wait', '3'], { env: { DATABASE_URL: u.toString() }, timeoutMs: 60_000 });
  const elapsed = Date.now() - t0;
  assertExit(r, 1);
  // A lower bound only: load makes a run slower, never faster.
  assert.ok(elapsed >= 2_500, `waited ${elapsed} ms`);
  const all = r.stdout + r.stderr;
  assert.match(all, /wait/i);
  assert.match(lines(r.stderr).find((l) => l.includes('Error:')) ?? '', /connection refused.*(waited|after) \d+(\.\d+)?\s?s/);
  // Progress lines say what it waits for (redacted URL), never the password.
  assert.ok(all.includes(`127.0.0.1:${port}`), all);
});

test('--verbose prints the redacted URL postgres://postgres:***@127.0.0.1:PORT/db', async () => {
  const u = new URL(A.url);
  const r = await run(['status', '--dir', dir, '--verbose'], { env: { DATABASE_URL: A.url } });
  assertExit(r, 0);
  const want = `[svc-migrations] Using database postgres://postgres:***@127.0.0.1:${u.port}/${A.name}`;
  assert.ok(lines(r.stdout + r.stderr).includes(want), `${want} in:\n${r.stdout}${r.stderr}`);
  // Same display whichever way the settings came.
  const d = await run(['status', '--dir', dir, '--verbose'], { env: envFromUrl(A.url, 'DB') });
  assertExit(d, 0);
  assert.match(d.stdout + d.stderr, /Using database postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\//);
});

test('the password stays out of verbose, JSON and failure output, even when the server echoes it back', async () => {
  const db = await dbs.fresh();
  const pw = password().replace(/'/g, "''");
  const leaky = await serviceDir('leaky', {
    '001_a.up.sql': 'create table a (id int);\n',
    // The server's error quotes the value: invalid input syntax for type integer: "<password>".
    '002_b.up.sql': `select '${pw}'::int;\n`,
  });
  const env = { DATABASE_URL: db.url };
  for (const extra of [[], ['--verbose'], ['--json'], ['--json', '--verbose'], ['--dry-run', '--verbose'], ['--format', 'github']]) {
    const r = await run(['up', '--dir', leaky.dir, ...extra], { env });
    assert.ok(r.code === 0 || r.code === 1, show(r));
  }
  const s = await run(['status', '--dir', leaky.dir, '--verbose', '--json'], { env });
  assertExit(s, 0);
  const v = await run(['verify', '--dir', leaky.dir, '--verbose'], { env });
  assert.ok(v.code === 0 || v.code === 3, show(v));
  // And with the settings in DB_* / PG* variables.
  for (const style of ['DB', 'PG'] as const) {
    const r = await run(['up', '--dir', leaky.dir, '--verbose'], { env: envFromUrl(db.url, style) });
    assertExit(r, 1);
  }
  // Sanity: the failing file did not apply and nothing else was broken.
  assert.ok(await relationExists(db.sql, 'a'));
  assert.is(typeof (await snapshot(db.sql)), 'string');
});

test('no password in any output of this file', () => {
  assertNoSecrets();
});

test.run();
