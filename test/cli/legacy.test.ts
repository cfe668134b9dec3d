// End-to-end: the old Go tool's invocation (`./migrate -action=up -dry-run
// -service=discovery-svc`) works unchanged, also with the binary copied or
// symlinked under the name `migrate`.
import { spawn } from 'node:child_process';
import { chmod, copyFile, readdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { binPath, cliCommand, cliEnv, type CliResult } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';
import {
  assertExit,
  assertLines,
  copyFixture,
  lines,
  prefixed,
  records,
  recorder,
  relationExists,
  schemaVersion,
  snapshot,
  trackingExists,
} from './support.js';
import { databases } from '../helpers/db.js';

const test = suite('cli: legacy -action form');
const dbs = databases('cli_legacy');
const { run, all, assertNoSecrets } = recorder();

test.after(async () => {
  await dbs.dropAll();
});

/** discovery-svc 001-006 (007 uses CREATE INDEX CONCURRENTLY), laid out as backend/discovery-svc/migrations. */
const DISC = [
  '001_enable_uuid_ossp',
  '002_create_providers',
  '003_create_listings',
  '004_add_availability_columns',
  '005_2.10.0_schema',
  '006_add_listing_search_document',
];
const P = (ls: string[]) => prefixed('discovery-svc', ls);
const UP_LINES = P([
  'Starting migration up for service: discovery-svc',
  'Found 6 pending migrations',
  ...DISC.map((n) => `Successfully applied migration ${n}`),
  'All migrations completed successfully',
]);

test('-action=up -service=X -dir=D applies like `up`, with the old log lines', async () => {
  const db = await dbs.fresh();
  const { root } = await copyFixture('discovery-svc', 6);
  const r = await run(['-action=up', '-service=discovery-svc', '-dir=discovery-svc/migrations'], { cwd: root, env: { DATABASE_URL: db.url } });
  assertExit(r, 0);
  assertLines(r.stdout, UP_LINES);
  assert.is(r.stderr, '');
  assert.equal(await records(db.sql, 'discovery-svc'), DISC.map((n) => `${Number.parseInt(n, 10)} ${n}`));
  assert.is(await schemaVersion(db.sql, 'discovery-svc'), '6 006_add_listing_search_document');
  assert.ok(await relationExists(db.sql, 'listings'));
});

test('from the monorepo root, -action=up -service=X finds X/migrations without -dir', async () => {
  const db = await dbs.fresh();
  const { root } = await copyFixture('discovery-svc', 6);
  const r = await run(['-action=up', '-service=discovery-svc'], { cwd: root, env: { DATABASE_URL: db.url } });
  assertExit(r, 0);
  assertLines(r.stdout, UP_LINES);
});

test('-action=up -dry-run (and -dry-run before -action) plans without writing', async () => {
  const db = await dbs.fresh();
  const { root } = await copyFixture('discovery-svc', 6);
  const before = await snapshot(db.sql);
  for (const args of [
    ['-action=up', '-dry-run', '-service=discovery-svc'],
    ['-dry-run', '-action=up', '-service=discovery-svc'],
    ['-action', 'up', '-dry-run=true', '-service', 'discovery-svc'],
    ['--action=up', '--dry-run', '--service=discovery-svc'],
  ]) {
    const r = await run(args, { cwd: root, env: { DATABASE_URL: db.url } });
    assertExit(r, 0);
    const out = lines(r.stdout);
    assert.is(out[0], '[discovery-svc-migrations] Starting migration up for service: discovery-svc (dry run)', args.join(' '));
    assert.is(out[1], '[discovery-svc-migrations] Found 6 pending migrations');
    assert.is(out.filter((l) => l.includes('Would apply migration')).length, 6);
    assert.is(out[out.length - 1], '[discovery-svc-migrations] Dry run: nothing was changed');
    assert.is(await snapshot(db.sql), before);
    assert.not.ok(await trackingExists(db.sql));
  }
  // Go's -flag=false turns the flag off: this one really applies.
  const real = await run(['-action=up', '-dry-run=false', '-service=discovery-svc'], { cwd: root, env: { DATABASE_URL: db.url } });
  assertExit(real, 0);
  assertLines(real.stdout, UP_LINES);
});

test('-action status / -action=status with a space or =, one or two dashes', async () => {
  const db = await dbs.fresh();
  const { root } = await copyFixture('discovery-svc', 6);
  assertExit(await run(['up', '--service', 'discovery-svc', '--to', '2'], { cwd: root, env: { DATABASE_URL: db.url } }), 0);
  const modern = await run(['status', '--service', 'discovery-svc'], { cwd: root, env: { DATABASE_URL: db.url } });
  assertExit(modern, 0);
  assert.ok(lines(modern.stdout).includes('Current version: 2'), modern.stdout);
  for (const args of [
    ['-action', 'status', '-service', 'discovery-svc'],
    ['-action=status', '-service=discovery-svc'],
    ['--action', 'status', '--service', 'discovery-svc'],
    ['--action=status', '-service', 'discovery-svc', '-dir', 'discovery-svc/migrations'],
  ]) {
    const r = await run(args, { cwd: root, env: { DATABASE_URL: db.url } });
    assertExit(r, 0);
    assert.is(r.stdout, modern.stdout, args.join(' '));
    assert.is(r.stderr, '');
  }
});

test('--action=down rolls back one; -action=down -dry-run plans it', async () => {
  const db = await dbs.fresh();
  const { root } = await copyFixture('discovery-svc', 6);
  assertExit(await run(['-action=up', '-service=discovery-svc'], { cwd: root, env: { DATABASE_URL: db.url } }), 0);
  const before = await snapshot(db.sql);
  const dry = await run(['-action=down', '-dry-run', '-service=discovery-svc'], { cwd: root, env: { DATABASE_URL: db.url } });
  assertExit(dry, 0);
  assert.ok(lines(dry.stdout).some((l) => l.startsWith('[discovery-svc-migrations] Would roll back migration 006_add_listing_search_document (')), dry.stdout);
  assert.is(await snapshot(db.sql), before);
  const r = await run(['--action=down', '-service=discovery-svc'], { cwd: root, env: { DATABASE_URL: db.url } });
  assertExit(r, 0);
  assertLines(
    r.stdout,
    P([
      'Starting migration down for service: discovery-svc',
      'Found 1 migrations to roll back',
      'Successfully rolled back migration 006_add_listing_search_document',
      'All migrations completed successfully',
    ]),
  );
  assert.is(await schemaVersion(db.sql, 'discovery-svc'), '5 005_2.10.0_schema');
});

test('-action=generate -description="add x" creates the next pair', async () => {
  const { root, dir } = await copyFixture('discovery-svc', 6);
  const r = await run(['-action=generate', '-service=discovery-svc', '-description=add read receipts'], { cwd: root });
  assertExit(r, 0);
  assertLines(r.stdout, [path.join(dir, '007_add_read_receipts.up.sql'), path.join(dir, '007_add_read_receipts.down.sql')]);
  const again = await run(['-action', 'generate', '-service', 'discovery-svc', '-description', 'add x'], { cwd: root });
  assertExit(again, 0);
  assertLines(again.stdout, [path.join(dir, '008_add_x.up.sql'), path.join(dir, '008_add_x.down.sql')]);
  assert.equal((await readdir(dir)).filter((f) => /^00[78]_/.test(f)).sort(), [
    '007_add_read_receipts.down.sql',
    '007_add_read_receipts.up.sql',
    '008_add_x.down.sql',
    '008_add_x.up.sql',
  ]);
});

test('-help and -action=up -help print usage with the exit codes, exit 0', async () => {
  for (const args of [['-help'], ['--help'], ['-h'], ['-action=up', '-help']]) {
    const r = await run(args);
    assertExit(r, 0);
    assert.match(r.stdout, /Usage/);
    assert.match(r.stdout, /Exit codes/);
    assert.match(r.stdout, /--dir/);
  }
  const legacy = await run(['-help']);
  assert.match(legacy.stdout, /-action=/, 'the legacy form is documented');
});

test('an unknown -action: exit 2 naming it', async () => {
  const db = await dbs.fresh();
  const r = await run(['-action=migrate', '-service=x'], { env: { DATABASE_URL: db.url } });
  assertExit(r, 2);
  assertLines(r.stderr, [/(\[x-migrations\] )?Error: .*"migrate".*/]);
  assert.not.ok(await trackingExists(db.sql));
});

/** Runs a copy of the CLI under another file name (JS bundles through node, binaries directly). */
function runAs(bin: string, args: string[], cwd: string, env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const jsBundle = /\.(c|m)?js$/.test(binPath());
    const { command, args: argv } = jsBundle ? { command: process.execPath, args: [bin, ...args] } : cliCommand(args, bin);
    const child = spawn(command, argv, { cwd, env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const res = { code, stdout, stderr, signal, timedOut: false };
      all.push({ ...res, args: [bin, ...args] });
      resolve(res);
    });
  });
}

test('the same binary copied or symlinked as `migrate` behaves identically', async () => {
  const bins = await tmpDir('lm-bin-');
  const copied = path.join(bins, 'migrate');
  await copyFile(binPath(), copied);
  await chmod(copied, 0o755);
  const linkDir = await tmpDir('lm-bin-');
  const linked = path.join(linkDir, 'migrate');
  await symlink(binPath(), linked);

  for (const bin of [copied, linked]) {
    const [ref, db] = await Promise.all([dbs.fresh(), dbs.fresh()]);
    const { root } = await copyFixture('discovery-svc', 6);
    const want = await run(['up', '--service', 'discovery-svc'], { cwd: root, env: { DATABASE_URL: ref.url } });
    assertExit(want, 0);
    const got = await runAs(bin, ['-action=up', '-service=discovery-svc'], root, { DATABASE_URL: db.url });
    assertExit(got, 0);
    assert.equal(lines(got.stdout), lines(want.stdout));
    assert.is(got.stderr, want.stderr);
    assert.equal(await records(db.sql, 'discovery-svc'), await records(ref.sql, 'discovery-svc'));

    const status = await runAs(bin, ['-action=status', '-service=discovery-svc', '--json'], root, { DATABASE_URL: db.url });
    assertExit(status, 0);
    assert.is((JSON.parse(status.stdout) as { currentVersion: number }).currentVersion, 6);
    const bad = await runAs(bin, ['-action=up', '-service=discovery-svc', '-frobnicate'], root, { DATABASE_URL: db.url });
    assertExit(bad, 2);
    const ver = await runAs(bin, ['--version'], root, {});
    assertExit(ver, 0);
    assert.is(ver.stdout, (await run(['--version'])).stdout);
    const help = await runAs(bin, ['-help'], root, {});
    assertExit(help, 0);
    assert.match(help.stdout, /Exit codes/);
  }
});

test('no password in any output of this file', () => {
  assertNoSecrets();
});

test.run();
