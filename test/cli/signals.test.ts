// End-to-end: SIGINT/SIGTERM during up and down (Ctrl-C, `docker stop`, a
// rolling deploy). The running migration is cancelled on the server and
// rolled back, the lock released, one line says what happened, exit 130/143.
// Every wait is on an event (the statement showing in pg_stat_activity),
// bounded; never on a sleep.
import type { ChildProcess } from 'node:child_process';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnCli } from '../helpers/cli.js';
import { assertJsonOutput } from '../helpers/json-output.js';
import { eventually } from '../helpers/wait.js';
import { databases, type FreshDatabase } from '../helpers/db.js';
import { lines, records, relationExists, schemaVersion, serviceDir } from './support.js';

const test = suite('cli: signals during up and down');
const dbs = databases('cli_sig');

test.after(async () => {
  await dbs.dropAll();
});

interface Running {
  child: ChildProcess;
  exited: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

function start(args: string[], env: Record<string, string>): Running {
  const child = spawnCli(args, { env });
  child.stdin?.end();
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((res) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      res({ code, stdout, stderr });
    }),
  );
  return { child, exited };
}

/** Waits (bounded) until a statement matching `like` runs in the database. */
async function running(db: FreshDatabase, like: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const rows = await db.sql`select 1 from pg_stat_activity where datname = current_database() and query like ${like} and pid <> pg_backend_pid()`;
    if (rows.length > 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.unreachable(`no statement like ${like} started within 30 s`);
}

async function advisoryLocks(db: FreshDatabase): Promise<number> {
  const [r] = await db.sql<{ n: number }[]>`select count(*)::int as n from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())`;
  return r!.n;
}

const FILES = {
  '001_a.up.sql': 'create table a (id int);\n',
  '001_a.down.sql': 'drop table a;\n',
  '002_b.up.sql': 'create table b (id int);\n',
  '002_b.down.sql': 'drop table b;\n',
  '003_slow.up.sql': 'create table slow (id int);\nselect pg_sleep(120);\n',
  '003_slow.down.sql': 'drop table slow;\n',
};

for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
  test(`${signal} during up: the running migration is cancelled and rolled back, one line, exit ${code}`, async () => {
    const db = await dbs.fresh();
    const { dir } = await serviceDir('svc', FILES);
    const run = start(['up', '--dir', dir], { DATABASE_URL: db.url });
    await running(db, '%pg_sleep(120)%');
    run.child.kill(signal);
    const r = await run.exited;
    assert.is(r.code, code, r.stdout + r.stderr);
    assert.is(
      lines(r.stdout).at(-1),
      `[svc-migrations] Interrupted (${signal}): 003_slow rolled back; 001_a, 002_b applied; current version 2`,
      r.stdout,
    );
    assert.is(lines(r.stdout).filter((l) => l.includes('Interrupted')).length, 1);
    assert.is(r.stderr, '');
    // The server did not commit it afterwards: nothing of 003, the lock is gone.
    assert.equal(await records(db.sql, 'svc'), ['1 001_a', '2 002_b']);
    assert.is(await schemaVersion(db.sql, 'svc'), '2 002_b');
    assert.not.ok(await relationExists(db.sql, 'slow'));
    assert.is(await advisoryLocks(db), 0);
  });
}

test('SIGTERM during up --json: an error line, then the result line with what stays applied, exit 143', async () => {
  const db = await dbs.fresh();
  const { dir } = await serviceDir('svc', FILES);
  const args = ['up', '--dir', dir, '--json'];
  const run = start(args, { DATABASE_URL: db.url });
  await running(db, '%pg_sleep(120)%');
  run.child.kill('SIGTERM');
  const r = await run.exited;
  assert.is(r.code, 143, r.stdout + r.stderr);
  assertJsonOutput(args, { ...r, signal: null });
  const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const [error, result] = events.slice(-2);
  assert.equal((error!.error as { code: string }).code, 'INTERRUPTED');
  assert.equal(
    { ...result, results: (result!.results as { name: string }[]).map((x) => x.name), error: (result!.error as { code: string }).code },
    {
      schemaVersion: 1,
      type: 'result',
      ok: false,
      exitCode: 143,
      service: 'svc',
      direction: 'up',
      dryRun: false,
      results: ['001_a', '002_b'],
      currentVersion: 2,
      warnings: [],
      signal: 'SIGTERM',
      error: 'INTERRUPTED',
    },
  );
  assert.match(r.stderr, /Interrupted \(SIGTERM\): 003_slow rolled back/);
  assert.equal(await records(db.sql, 'svc'), ['1 001_a', '2 002_b']);
});

test('SIGTERM during down: the down is cancelled, the migration stays applied, exit 143', async () => {
  const db = await dbs.fresh();
  const { dir } = await serviceDir('svc', {
    ...FILES,
    '003_slow.up.sql': 'create table slow (id int);\n',
    '003_slow.down.sql': 'drop table slow;\nselect pg_sleep(120);\n',
  });
  const up = start(['up', '--dir', dir], { DATABASE_URL: db.url });
  assert.is((await up.exited).code, 0);
  const run = start(['down', '--dir', dir], { DATABASE_URL: db.url });
  await running(db, '%pg_sleep(120)%');
  run.child.kill('SIGTERM');
  const r = await run.exited;
  assert.is(r.code, 143, r.stdout + r.stderr);
  assert.is(
    lines(r.stdout).at(-1),
    '[svc-migrations] Interrupted (SIGTERM): down of 003_slow cancelled (003_slow stays applied); nothing rolled back; current version 3',
  );
  assert.equal(await records(db.sql, 'svc'), ['1 001_a', '2 002_b', '3 003_slow']);
  assert.ok(await relationExists(db.sql, 'slow'), 'the down was rolled back');
  assert.is(await advisoryLocks(db), 0);
});

test('a file without a transaction stops after its current statement and says which ran; a second signal exits at once', async () => {
  const db = await dbs.fresh();
  const { dir } = await serviceDir('svc', {
    '001_notx.up.sql':
      '-- link-migrate:no-transaction\ncreate table if not exists one (id int);\nselect pg_advisory_xact_lock(4242);\ncreate table if not exists two (id int);\n',
    '001_notx.down.sql': 'drop table two;\ndrop table one;\n',
  });
  // The second statement waits behind a lock the test holds: the signal arrives while it runs,
  // however slow the machine, and the test lets it finish only once the CLI said it stops.
  const held = await db.sql.reserve();
  await held`select pg_advisory_lock(4242)`;
  const run = start(['up', '--dir', dir], { DATABASE_URL: db.url });
  await running(db, '%pg_advisory_xact_lock(4242)%');
  let said = false;
  run.child.stdout?.on('data', (d: string) => (said ||= d.includes('Received SIGTERM: stopping')));
  run.child.kill('SIGTERM');
  await eventually(() => said, 'the "Received SIGTERM: stopping" line');
  await held`select pg_advisory_unlock(4242)`;
  held.release();
  const r = await run.exited;
  assert.is(r.code, 143, r.stdout + r.stderr);
  assert.is(
    lines(r.stdout).at(-1),
    '[svc-migrations] Interrupted (SIGTERM): 001_notx stopped after 2 statements (no transaction: they stay; not recorded, the next up runs the file again); nothing applied; current version 0',
  );
  assert.ok(await relationExists(db.sql, 'one'));
  assert.not.ok(await relationExists(db.sql, 'two'), 'the statement after the signal did not run');
  assert.equal(await records(db.sql, 'svc'), []);

  // The first signal waits for the statement; the second one does not.
  const { dir: slow } = await serviceDir('svc2', {
    '001_notx.up.sql': '-- link-migrate:no-transaction\nselect pg_sleep(120);\n',
  });
  const again = start(['up', '--dir', slow], { DATABASE_URL: db.url });
  await running(db, '%pg_sleep(120)%');
  // Signals of one kind sent at once may arrive as one: repeat until it exits.
  const repeat = setInterval(() => again.child.kill('SIGTERM'), 100);
  const r2 = await again.exited.finally(() => clearInterval(repeat));
  assert.is(r2.code, 143, r2.stdout + r2.stderr);
  // It did not wait for the statement: that is still running on the server.
  await running(db, '%pg_sleep(120)%');
  assert.equal(await records(db.sql, 'svc2'), []);
});

test.run();
