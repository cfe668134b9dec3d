// End-to-end: `up` and `down` of the built CLI (dist/link-migrate.cjs), run
// as a user runs it; exit code, whole output lines and the database state.
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  appendTo,
  assertExit,
  assertLines,
  checksumOf,
  copyFixture,
  lines,
  prefixed,
  publicRelations,
  re,
  records,
  recorder,
  relationExists,
  schemaVersion,
  serviceDir,
  snapshot,
  trackingExists,
} from './support.js';
import { databases } from '../helpers/db.js';

const test = suite('cli: up and down');
const dbs = databases('cli_cmd');
const { run, assertNoSecrets } = recorder();

test.after(async () => {
  await dbs.dropAll();
});

const AI = ['001_enable_pgcrypto', '002_create_prompts', '003_create_model_runs', '004_create_embeddings', '005_add_cancelled_run_status', '006_create_run_reporting'];
const P = (ls: string[]) => prefixed('ai-svc', ls);
const S = (ls: string[]) => prefixed('svc', ls);

/** Three small migrations; 002's down is given, 003 has its down too. */
const SMALL = {
  '001_a.up.sql': 'create table a (id int);\n',
  '001_a.down.sql': 'drop table a;\n',
  '002_b.up.sql': 'create table b (id int);\n',
  '002_b.down.sql': 'drop table b;\n',
  '003_c.up.sql': 'create table c (id int);\n',
  '003_c.down.sql': 'drop table c;\n',
};

// ------------------------------------------------------------------ up

test('up applies every migration in order with the old tool\'s log lines, and records each', async () => {
  const db = await dbs.fresh();
  const { dir } = await copyFixture('ai-svc');
  const r = await run(['up', '--dir', dir], { env: { DATABASE_URL: db.url } });
  assertExit(r, 0);
  assertLines(
    r.stdout,
    P([
      'Starting migration up for service: ai-svc',
      'Found 6 pending migrations',
      ...AI.map((n) => `Successfully applied migration ${n}`),
      'All migrations completed successfully',
    ]),
  );
  assert.is(r.stderr, '');
  assert.equal(await records(db.sql, 'ai-svc'), AI.map((n) => `${Number.parseInt(n, 10)} ${n}`));
  assert.is(await schemaVersion(db.sql, 'ai-svc'), '6 006_create_run_reporting');
  for (const t of ['ai_prompts', 'ai_model_runs', 'ai_embeddings', 'ai_model_run_daily_stats']) assert.ok(await relationExists(db.sql, t), t);
  // Checksums are SPEC 3's: sha256 of the up file.
  const rows = await db.sql<{ name: string; checksum: string }[]>`select name, checksum from migration_records order by version`;
  for (const row of rows) assert.is(row.checksum, await checksumOf(path.join(dir, `${row.name}_up.sql`)), row.name);
  // In order: applied_at never decreases with the version.
  const times = await db.sql<{ ok: boolean }[]>`
    select bool_and(applied_at >= coalesce(prev, applied_at)) as ok
    from (select applied_at, lag(applied_at) over (order by version) as prev from migration_records) x`;
  assert.is(times[0]!.ok, true);
});

test('a second up is a no-op: exit 0, "Found 0 pending migrations", nothing written', async () => {
  const db = await dbs.fresh();
  const { dir } = await copyFixture('ai-svc');
  assertExit(await run(['up', '--dir', dir], { env: { DATABASE_URL: db.url } }), 0);
  const before = await snapshot(db.sql);
  const r = await run(['up', '--dir', dir], { env: { DATABASE_URL: db.url } });
  assertExit(r, 0);
  assertLines(r.stdout, P(['Starting migration up for service: ai-svc', 'Found 0 pending migrations', 'All migrations completed successfully']));
  assert.is(r.stderr, '');
  assert.is(await snapshot(db.sql), before);
});

test('up --to V stops at V; a later up applies the rest', async () => {
  const db = await dbs.fresh();
  const { dir } = await copyFixture('ai-svc');
  const r = await run(['up', '--dir', dir, '--to', '2'], { env: { DATABASE_URL: db.url } });
  assertExit(r, 0);
  assertLines(
    r.stdout,
    P([
      'Starting migration up for service: ai-svc',
      'Found 2 pending migrations',
      'Successfully applied migration 001_enable_pgcrypto',
      'Successfully applied migration 002_create_prompts',
      'All migrations completed successfully',
    ]),
  );
  assert.equal(await records(db.sql, 'ai-svc'), ['1 001_enable_pgcrypto', '2 002_create_prompts']);
  assert.is(await schemaVersion(db.sql, 'ai-svc'), '2 002_create_prompts');
  assert.ok(await relationExists(db.sql, 'ai_prompts'));
  assert.not.ok(await relationExists(db.sql, 'ai_model_runs'));
  const rest = await run(['up', '--dir', dir], { env: { DATABASE_URL: db.url } });
  assertExit(rest, 0);
  assert.ok(lines(rest.stdout).includes('[ai-svc-migrations] Found 4 pending migrations'));
  assert.is(await schemaVersion(db.sql, 'ai-svc'), '6 006_create_run_reporting');
});

test('up --steps N applies at most N', async () => {
  const db = await dbs.fresh();
  const { dir } = await copyFixture('ai-svc');
  const r = await run(['up', '--dir', dir, '--steps', '2'], { env: { DATABASE_URL: db.url } });
  assertExit(r, 0);
  assertLines(
    r.stdout,
    P([
      'Starting migration up for service: ai-svc',
      'Found 2 pending migrations',
      'Successfully applied migration 001_enable_pgcrypto',
      'Successfully applied migration 002_create_prompts',
      'All migrations completed successfully',
    ]),
  );
  const one = await run(['up', '--dir', dir, '--steps', '1'], { env: { DATABASE_URL: db.url } });
  assertExit(one, 0);
  assertLines(
    one.stdout,
    P([
      'Starting migration up for service: ai-svc',
      'Found 1 pending migrations',
      'Successfully applied migration 003_create_model_runs',
      'All migrations completed successfully',
    ]),
  );
  assert.equal(await records(db.sql, 'ai-svc'), ['1 001_enable_pgcrypto', '2 002_create_prompts', '3 003_create_model_runs']);
  assert.is(await schemaVersion(db.sql, 'ai-svc'), '3 003_create_model_runs');
});

test('up --dry-run prints the plan and leaves a fresh database exactly as it was (no bookkeeping tables either)', async () => {
  const db = await dbs.fresh();
  const { dir } = await copyFixture('ai-svc');
  const before = await snapshot(db.sql);
  assert.equal(await publicRelations(db.sql), []);
  const r = await run(['up', '--dir', dir, '--dry-run'], { env: { DATABASE_URL: db.url } });
  assertExit(r, 0);
  const plan = await Promise.all(
    AI.map(async (n) => `Would apply migration ${n} (${n}_up.sql, transactional, checksum ${await checksumOf(path.join(dir, `${n}_up.sql`))})`),
  );
  assertLines(
    r.stdout,
    P(['Starting migration up for service: ai-svc (dry run)', 'Found 6 pending migrations', ...plan, 'Dry run: nothing was changed']),
  );
  assert.is(r.stderr, '');
  assert.is(await snapshot(db.sql), before);
  assert.equal(await publicRelations(db.sql), []);
  const [ext] = await db.sql<{ n: number }[]>`select count(*)::int as n from pg_extension where extname = 'pgcrypto'`;
  assert.is(ext!.n, 0);
  const [tables] = await db.sql<{ n: number }[]>`
    select count(*)::int as n from information_schema.tables where table_schema not in ('pg_catalog', 'information_schema')`;
  assert.is(tables!.n, 0);
});

test('up --dry-run --verbose also prints each file\'s SQL; on a migrated database it changes nothing', async () => {
  const db = await dbs.fresh();
  const { dir } = await copyFixture('ai-svc');
  assertExit(await run(['up', '--dir', dir, '--to', '4'], { env: { DATABASE_URL: db.url } }), 0);
  const before = await snapshot(db.sql);
  const r = await run(['up', '--dir', dir, '--dry-run', '--verbose'], { env: { DATABASE_URL: db.url } });
  assertExit(r, 0);
  const out = lines(r.stdout);
  for (const n of AI.slice(4)) {
    const file = path.join(dir, `${n}_up.sql`);
    const i = out.indexOf(`[ai-svc-migrations] Would apply migration ${n} (${n}_up.sql, transactional, checksum ${await checksumOf(file)})`);
    assert.ok(i >= 0, `plan line of ${n} in:\n${r.stdout}`);
    const sqlLines = (await readFile(file, 'utf8')).replace(/\s+$/, '').split('\n').map((l) => l.trimEnd());
    // The SQL follows its plan line, every line of it, in order, indented.
    const next = out.findIndex((l, j) => j > i && /^\[ai-svc-migrations\] (Would apply|Dry run)/.test(l));
    const shown = out
      .slice(i + 1, next)
      .filter((l) => l.startsWith('[ai-svc-migrations]     '))
      .map((l) => l.slice('[ai-svc-migrations]     '.length).trimEnd());
    assert.equal(shown, sqlLines);
  }
  assert.ok(out.includes('[ai-svc-migrations] Found 2 pending migrations'));
  assert.ok(!out.some((l) => l.includes('001_enable_pgcrypto')), 'applied migrations are not in the plan');
  assert.is(await snapshot(db.sql), before);
});

test('a failing migration: exit 1, file:line:col: message; earlier ones stay applied, nothing of the failing one', async () => {
  const db = await dbs.fresh();
  const { dir } = await serviceDir('svc', {
    ...SMALL,
    // A run-time error (a syntax error stops the run before anything: test/core/sets.test.ts).
    '002_b.up.sql': 'create table b (id int);\n\ninsert into nope values (1);\n',
  });
  const r = await run(['up', '--dir', dir], { env: { DATABASE_URL: db.url } });
  assertExit(r, 1);
  assertLines(r.stdout, S(['Starting migration up for service: svc', 'Found 3 pending migrations', 'Successfully applied migration 001_a']));
  const err = lines(r.stderr);
  assert.is(err[0], '[svc-migrations] Error: 002_b.up.sql:3:13: relation "nope" does not exist', r.stderr);
  assert.ok(!err.some((l) => /Successfully|completed successfully/.test(l)));
  assert.ok(await relationExists(db.sql, 'a'));
  assert.not.ok(await relationExists(db.sql, 'b'), 'the failing file is rolled back entirely');
  assert.not.ok(await relationExists(db.sql, 'c'), 'nothing after the failure runs');
  assert.equal(await records(db.sql, 'svc'), ['1 001_a']);
  assert.is(await schemaVersion(db.sql, 'svc'), '1 001_a');

  // Fixed file: the next up continues from there.
  await writeFile(path.join(dir, '002_b.up.sql'), 'create table b (id int);\n');
  const again = await run(['up', '--dir', dir], { env: { DATABASE_URL: db.url } });
  assertExit(again, 0);
  assert.equal(await records(db.sql, 'svc'), ['1 001_a', '2 002_b', '3 003_c']);
});

test('an out-of-order pending migration stops up (exit 1, both versions named, nothing applied)', async () => {
  const db = await dbs.fresh();
  const { '002_b.up.sql': b, '002_b.down.sql': bd, ...rest } = SMALL;
  const { dir } = await serviceDir('svc', rest);
  assertExit(await run(['up', '--dir', dir], { env: { DATABASE_URL: db.url } }), 0);
  await writeFile(path.join(dir, '002_b.up.sql'), b);
  await writeFile(path.join(dir, '002_b.down.sql'), bd);
  const before = await snapshot(db.sql);
  const r = await run(['up', '--dir', dir], { env: { DATABASE_URL: db.url } });
  assertExit(r, 1);
  const err = lines(r.stderr);
  assert.ok(err.length >= 1, r.stderr);
  // Names the pending migration (002_b / version 2) and the current version 3.
  assert.match(err[0]!, /^\[svc-migrations\] Error: .*(002_b|version 2\b).*\b3\b/);
  assert.match(err[0]!, /002_b/);
  assert.match(err[0]!, /--allow-out-of-order/);
  assert.not.ok(r.stdout.includes('Successfully applied'));
  assert.is(await snapshot(db.sql), before);

  const ok = await run(['up', '--dir', dir, '--allow-out-of-order'], { env: { DATABASE_URL: db.url } });
  assertExit(ok, 0);
  assertLines(
    ok.stdout,
    S(['Starting migration up for service: svc', 'Found 1 pending migrations', 'Successfully applied migration 002_b', 'All migrations completed successfully']),
  );
  assert.equal(await records(db.sql, 'svc'), ['1 001_a', '2 002_b', '3 003_c']);
  assert.ok(await relationExists(db.sql, 'b'));
  // The current version stays the highest applied one.
  assert.is(await schemaVersion(db.sql, 'svc'), '3 003_c');
});

test('an applied file that changed: up warns and goes on; up --strict exits 3 and applies nothing', async () => {
  const db = await dbs.fresh();
  const { '003_c.up.sql': c, '003_c.down.sql': cd, ...first } = SMALL;
  const { dir } = await serviceDir('svc', first);
  assertExit(await run(['up', '--dir', dir], { env: { DATABASE_URL: db.url } }), 0);
  await appendTo(path.join(dir, '002_b.up.sql'), '-- an edit after it was applied\n');
  await writeFile(path.join(dir, '003_c.up.sql'), c);
  await writeFile(path.join(dir, '003_c.down.sql'), cd);

  const before = await snapshot(db.sql);
  const strict = await run(['up', '--dir', dir, '--strict'], { env: { DATABASE_URL: db.url } });
  assertExit(strict, 3);
  assert.match(strict.stderr, /^\[svc-migrations\] Error: .*--strict.*$/m);
  assert.match(strict.stderr + strict.stdout, /002_b/);
  assert.not.ok(strict.stdout.includes('Successfully applied'));
  assert.is(await snapshot(db.sql), before);
  assert.not.ok(await relationExists(db.sql, 'c'));

  const r = await run(['up', '--dir', dir], { env: { DATABASE_URL: db.url } });
  assertExit(r, 0);
  assertLines(r.stdout, [
    '[svc-migrations] Starting migration up for service: svc',
    new RegExp(`${re('[svc-migrations] Warning: ')}.*\\b002_b\\b.*(modified|changed).*`),
    '[svc-migrations] Found 1 pending migrations',
    '[svc-migrations] Successfully applied migration 003_c',
    '[svc-migrations] All migrations completed successfully',
  ]);
  assert.equal(await records(db.sql, 'svc'), ['1 001_a', '2 002_b', '3 003_c']);
});

// ---------------------------------------------------------------- down

test('down rolls back the latest migration only, and sets schema_versions to the next lower one', async () => {
  const db = await dbs.fresh();
  const { dir } = await copyFixture('ai-svc');
  assertExit(await run(['up', '--dir', dir], { env: { DATABASE_URL: db.url } }), 0);
  const r = await run(['down', '--dir', dir], { env: { DATABASE_URL: db.url } });
  assertExit(r, 0);
  assertLines(
    r.stdout,
    P([
      'Starting migration down for service: ai-svc',
      'Found 1 migrations to roll back',
      'Successfully rolled back migration 006_create_run_reporting',
      'All migrations completed successfully',
    ]),
  );
  assert.is(r.stderr, '');
  assert.not.ok(await relationExists(db.sql, 'ai_model_run_daily_stats'));
  assert.ok(await relationExists(db.sql, 'ai_embeddings'));
  assert.equal(await records(db.sql, 'ai-svc'), AI.slice(0, 5).map((n) => `${Number.parseInt(n, 10)} ${n}`));
  assert.is(await schemaVersion(db.sql, 'ai-svc'), '5 005_add_cancelled_run_status');
});

test('down --steps 2 rolls back two, newest first', async () => {
  const db = await dbs.fresh();
  const { dir } = await copyFixture('ai-svc');
  assertExit(await run(['up', '--dir', dir], { env: { DATABASE_URL: db.url } }), 0);
  // More than one step asks first; with no terminal to ask on it needs --yes.
  const before = await snapshot(db.sql);
  for (const args of [['--steps', '2'], ['--to', '0'], ['--to', '5']]) {
    const refused = await run(['down', '--dir', dir, ...args], { env: { DATABASE_URL: db.url } });
    assertExit(refused, 2);
    assert.is(refused.stdout, '');
    assertLines(refused.stderr, [/\[ai-svc-migrations\] Error: down --(steps 2 rolls back 2 migrations|to \d rolls back every migration above version \d): add --yes to confirm \(there is no terminal to ask on\)/]);
  }
  assert.is(await snapshot(db.sql), before);
  // A dry run and a single step never ask.
  assertExit(await run(['down', '--dir', dir, '--to', '0', '--dry-run'], { env: { DATABASE_URL: db.url } }), 0);
  const r = await run(['down', '--dir', dir, '--steps', '2', '--yes'], { env: { DATABASE_URL: db.url } });
  assertExit(r, 0);
  assertLines(
    r.stdout,
    P([
      'Starting migration down for service: ai-svc',
      'Found 2 migrations to roll back',
      'Successfully rolled back migration 006_create_run_reporting',
      'Successfully rolled back migration 005_add_cancelled_run_status',
      'All migrations completed successfully',
    ]),
  );
  assert.equal(await records(db.sql, 'ai-svc'), AI.slice(0, 4).map((n) => `${Number.parseInt(n, 10)} ${n}`));
  assert.is(await schemaVersion(db.sql, 'ai-svc'), '4 004_create_embeddings');
});

test('down --to 0 rolls back everything: the schema is back to empty and the schema_versions row is gone', async () => {
  const db = await dbs.fresh();
  const { dir } = await copyFixture('ai-svc');
  assertExit(await run(['up', '--dir', dir], { env: { DATABASE_URL: db.url } }), 0);
  const r = await run(['down', '--dir', dir, '--to', '0', '--yes'], { env: { DATABASE_URL: db.url } });
  assertExit(r, 0);
  assertLines(
    r.stdout,
    P([
      'Starting migration down for service: ai-svc',
      'Found 6 migrations to roll back',
      ...[...AI].reverse().map((n) => `Successfully rolled back migration ${n}`),
      'All migrations completed successfully',
    ]),
  );
  assert.equal(await records(db.sql, 'ai-svc'), []);
  assert.is(await schemaVersion(db.sql, 'ai-svc'), null);
  const left = (await publicRelations(db.sql)).filter((n) => !/^(migration_records|schema_versions)/.test(n));
  assert.equal(left, []);
  const [ext] = await db.sql<{ n: number }[]>`select count(*)::int as n from pg_extension where extname = 'pgcrypto'`;
  assert.is(ext!.n, 0);

  const none = await run(['down', '--dir', dir], { env: { DATABASE_URL: db.url } });
  assertExit(none, 0);
  assert.ok(lines(none.stdout).includes('[ai-svc-migrations] Found 0 migrations to roll back'), none.stdout);
});

test('down sets schema_versions to the next lower *applied* version (skipping a gap)', async () => {
  const db = await dbs.fresh();
  const { dir } = await serviceDir('svc', SMALL);
  assertExit(await run(['up', '--dir', dir, '--to', '1'], { env: { DATABASE_URL: db.url } }), 0);
  assertExit(await run(['mark', '3', '--dir', dir], { env: { DATABASE_URL: db.url } }), 0);
  await db.sql`create table c (id int)`; // what 003 would have done
  assert.equal(await records(db.sql, 'svc'), ['1 001_a', '3 003_c']);
  const r = await run(['down', '--dir', dir], { env: { DATABASE_URL: db.url } });
  assertExit(r, 0);
  assert.ok(lines(r.stdout).includes('[svc-migrations] Successfully rolled back migration 003_c'), r.stdout);
  assert.equal(await records(db.sql, 'svc'), ['1 001_a']);
  assert.is(await schemaVersion(db.sql, 'svc'), '1 001_a');
});

test('down of a version without a down file: exit 1, a clear message, nothing changed', async () => {
  const db = await dbs.fresh();
  const { '002_b.down.sql': _gone, ...files } = SMALL;
  const { dir } = await serviceDir('svc', files);
  assertExit(await run(['up', '--dir', dir, '--to', '2'], { env: { DATABASE_URL: db.url } }), 0);
  const before = await snapshot(db.sql);
  const r = await run(['down', '--dir', dir], { env: { DATABASE_URL: db.url } });
  assertExit(r, 1);
  const err = lines(r.stderr);
  assert.match(err[0]!, /^\[svc-migrations\] Error: .*\b002_b\b.*no down file.*$/);
  assert.not.ok(r.stdout.includes('Successfully'));
  assert.is(await snapshot(db.sql), before);
  assert.ok(await relationExists(db.sql, 'b'));

  // --steps 2 would need 002's down first: also refused before anything runs.
  const two = await run(['down', '--dir', dir, '--steps', '2', '--yes'], { env: { DATABASE_URL: db.url } });
  assertExit(two, 1);
  assert.is(await snapshot(db.sql), before);
});

test('down with a missing down further back refuses before rolling back anything (--to 0)', async () => {
  const db = await dbs.fresh();
  const { '001_a.down.sql': _gone, ...files } = SMALL;
  const { dir } = await serviceDir('svc', files);
  assertExit(await run(['up', '--dir', dir], { env: { DATABASE_URL: db.url } }), 0);
  const before = await snapshot(db.sql);
  const r = await run(['down', '--dir', dir, '--to', '0', '--yes'], { env: { DATABASE_URL: db.url } });
  assertExit(r, 1);
  assert.match(r.stderr, /001_a.*no down file/);
  assert.is(await snapshot(db.sql), before, 'nothing rolled back when a down in the plan is missing');
});

test('down --dry-run prints what it would roll back and changes nothing', async () => {
  const db = await dbs.fresh();
  const { dir } = await copyFixture('ai-svc');
  assertExit(await run(['up', '--dir', dir], { env: { DATABASE_URL: db.url } }), 0);
  const before = await snapshot(db.sql);
  const r = await run(['down', '--dir', dir, '--dry-run', '--steps', '2'], { env: { DATABASE_URL: db.url } });
  assertExit(r, 0);
  // The checksum of the file each step runs: the down file's.
  const ck = (n: string) => checksumOf(path.join(dir, `${n}_down.sql`));
  assertLines(
    r.stdout,
    P([
      'Starting migration down for service: ai-svc (dry run)',
      'Found 2 migrations to roll back',
      `Would roll back migration 006_create_run_reporting (006_create_run_reporting_down.sql, transactional, checksum ${await ck('006_create_run_reporting')})`,
      `Would roll back migration 005_add_cancelled_run_status (005_add_cancelled_run_status_down.sql, transactional, checksum ${await ck('005_add_cancelled_run_status')})`,
      'Dry run: nothing was changed',
    ]),
  );
  assert.is(await snapshot(db.sql), before);
});

test('down --dry-run on a database that was never migrated creates nothing', async () => {
  const db = await dbs.fresh();
  const { dir } = await serviceDir('svc', SMALL);
  const before = await snapshot(db.sql);
  const r = await run(['down', '--dir', dir, '--dry-run'], { env: { DATABASE_URL: db.url } });
  assertExit(r, 0);
  assert.ok(lines(r.stdout).includes('[svc-migrations] Found 0 migrations to roll back'), r.stdout);
  assert.is(await snapshot(db.sql), before);
  assert.not.ok(await trackingExists(db.sql));
});

test('down warns when the up file of the migration it rolls back changed since it was applied', async () => {
  const db = await dbs.fresh();
  const { dir } = await serviceDir('svc', SMALL);
  assertExit(await run(['up', '--dir', dir], { env: { DATABASE_URL: db.url } }), 0);
  await appendTo(path.join(dir, '003_c.up.sql'), '-- edited\n');
  const r = await run(['down', '--dir', dir], { env: { DATABASE_URL: db.url } });
  assertExit(r, 0);
  assert.ok(lines(r.stdout + r.stderr).some((l) => /^\[svc-migrations\] Warning: .*003_c.*/.test(l)), r.stdout + r.stderr);
  assert.not.ok(await relationExists(db.sql, 'c'));
});

test('a deleted applied file does not block up of new ones (it is reported by status/verify)', async () => {
  const db = await dbs.fresh();
  const { dir } = await serviceDir('svc', SMALL);
  assertExit(await run(['up', '--dir', dir, '--to', '2'], { env: { DATABASE_URL: db.url } }), 0);
  await rm(path.join(dir, '001_a.up.sql'));
  await rm(path.join(dir, '001_a.down.sql'));
  const r = await run(['up', '--dir', dir], { env: { DATABASE_URL: db.url } });
  assertExit(r, 0);
  assert.equal(await records(db.sql, 'svc'), ['1 001_a', '2 002_b', '3 003_c']);
});

test('ten runners of one service at once: each migration applied exactly once, every runner exits 0', async () => {
  const db = await dbs.fresh();
  const { dir } = await copyFixture('ai-svc');
  const runs = await Promise.all(Array.from({ length: 10 }, () => run(['up', '--dir', dir], { env: { DATABASE_URL: db.url } })));
  for (const r of runs) assertExit(r, 0);
  const applied = runs.flatMap((r) => lines(r.stdout).filter((l) => l.includes('Successfully applied migration')));
  assert.equal(applied.sort(), AI.map((n) => `[ai-svc-migrations] Successfully applied migration ${n}`).sort());
  assert.equal(await records(db.sql, 'ai-svc'), AI.map((n) => `${Number.parseInt(n, 10)} ${n}`));
  for (const r of runs) assert.ok(lines(r.stdout).includes('[ai-svc-migrations] All migrations completed successfully'), r.stdout);
});

test('--timeout cancels a migration that runs too long: exit 1 naming the file, rolled back, not recorded', async () => {
  const db = await dbs.fresh();
  const { dir } = await serviceDir('svc', {
    '001_a.up.sql': 'create table a (id int);\n',
    '002_slow.up.sql': 'create table slow (id int);\nselect pg_sleep(300);\n',
  });
  // pg_sleep(300) outlasts runCli's bound (killed at 120 s): an exit at all means the statement was cancelled.
  const r = await run(['up', '--dir', dir, '--timeout', '1s'], { env: { DATABASE_URL: db.url }, timeoutMs: 120_000 });
  assertExit(r, 1);
  assert.match(lines(r.stderr)[0]!, /^\[svc-migrations\] Error: 002_slow\.up\.sql.*(timeout|cancel)/i);
  assert.not.ok(await relationExists(db.sql, 'slow'));
  assert.equal(await records(db.sql, 'svc'), ['1 001_a']);
});

test('a reader that goes away (up | head -1) does not kill the run: every migration is applied, exit 0', async () => {
  const db = await dbs.fresh();
  const { dir } = await copyFixture('ai-svc');
  const { spawnCli } = await import('../helpers/cli.js');
  const child = spawnCli(['up', '--dir', dir], { env: { DATABASE_URL: db.url } });
  child.stdin?.end();
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  // Read the first line, then close the pipe as `head -1` does.
  await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
  child.stdout!.destroy();
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  assert.is(code, 0, stderr);
  assert.not.match(stderr, /EPIPE|\n\s+at /);
  assert.equal(await records(db.sql, 'ai-svc'), AI.map((n) => `${Number.parseInt(n, 10)} ${n}`));
});

test('no password in any output of this file', () => {
  assertNoSecrets();
});

test.run();
