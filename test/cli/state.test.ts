// End-to-end: status, verify, generate, mark and repair of the built CLI.
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { tmpDir } from '../helpers/tmp.js';
import {
  appendTo,
  assertExit,
  assertLines,
  checksumOf,
  copyFixture,
  lines,
  prefixed,
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

const test = suite('cli: status, verify, generate, mark, repair');
const dbs = databases('cli_state');
const { run, assertNoSecrets } = recorder();

test.after(async () => {
  await dbs.dropAll();
});

const SMALL = {
  '001_a.up.sql': 'create table a (id int);\n',
  '001_a.down.sql': 'drop table a;\n',
  '002_b.up.sql': 'create table b (id int);\n',
  '002_b.down.sql': 'drop table b;\n',
  '003_c.up.sql': 'create table c (id int);\n',
  '003_c.down.sql': 'drop table c;\n',
  '004_d.up.sql': 'create table d (id int);\n',
  '004_d.down.sql': 'drop table d;\n',
};

const TS = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`;

interface StatusJson {
  service: string;
  currentVersion: number;
  pending: number;
  migrations: { version: number; name: string; state: string; appliedAt: string | null; checksum: string | null }[];
}

/** 001 and 002 applied, 002 then edited, 003 applied then deleted, 004 pending. */
async function mixedState() {
  const db = await dbs.fresh();
  const { root, dir } = await serviceDir('svc', SMALL);
  assertExit(await run(['up', '--dir', dir, '--to', '3'], { env: { DATABASE_URL: db.url } }), 0);
  await appendTo(path.join(dir, '002_b.up.sql'), '-- edited\n');
  await rm(path.join(dir, '003_c.up.sql'));
  await rm(path.join(dir, '003_c.down.sql'));
  return { db, root, dir };
}

// -------------------------------------------------------------- status

test('status prints the service, current version, pending count and a table with every state', async () => {
  const { db, dir } = await mixedState();
  const before = await snapshot(db.sql);
  const r = await run(['status', '--dir', dir], { env: { DATABASE_URL: db.url } });
  assertExit(r, 0);
  assertLines(r.stdout, [
    'Service: svc',
    'Current version: 3',
    'Pending: 1',
    '',
    /VERSION\s+NAME\s+STATE\s+APPLIED AT/,
    new RegExp(String.raw`1\s+001_a\s+applied\s+${TS}`),
    new RegExp(String.raw`2\s+002_b\s+modified.*\s+${TS}`),
    new RegExp(String.raw`3\s+003_c\s+missing.*\s+${TS}`),
    /4\s+004_d\s+pending\s*/,
  ]);
  assert.is(r.stderr, '');
  assert.is(await snapshot(db.sql), before, 'status writes nothing');
});

test('status --json: one document with service, currentVersion, pending and migrations[{version,name,state,appliedAt,checksum}]', async () => {
  const { db, dir } = await mixedState();
  const r = await run(['status', '--dir', dir, '--json'], { env: { DATABASE_URL: db.url } });
  assertExit(r, 0);
  assert.is(r.stderr, '');
  const doc = JSON.parse(r.stdout) as StatusJson;
  assert.is(doc.service, 'svc');
  assert.is(doc.currentVersion, 3);
  assert.is(doc.pending, 1);
  const slim = doc.migrations.map(({ version, name, state }) => ({ version, name, state }));
  assert.equal(slim, [
    { version: 1, name: '001_a', state: 'applied' },
    { version: 2, name: '002_b', state: 'modified' },
    { version: 3, name: '003_c', state: 'missing' },
    { version: 4, name: '004_d', state: 'pending' },
  ]);
  const [m1, m2, m3, m4] = doc.migrations;
  for (const m of [m1, m2, m3]) assert.match(m!.appliedAt ?? '', new RegExp(`^${TS}$`));
  assert.is(m4!.appliedAt, null);
  assert.is(m1!.checksum, await checksumOf(path.join(dir, '001_a.up.sql')));
  assert.is(m4!.checksum, await checksumOf(path.join(dir, '004_d.up.sql')));
  const [rec] = await db.sql<{ checksum: string }[]>`select checksum from migration_records where version = 2`;
  // A modified migration reports a checksum (recorded or current): one of the two.
  assert.ok([rec!.checksum, await checksumOf(path.join(dir, '002_b.up.sql'))].includes(m2!.checksum ?? ''));
  assert.type(m3!.checksum, 'string');
});

test('status on a database that was never migrated: version 0, everything pending, nothing created', async () => {
  const db = await dbs.fresh();
  const { dir } = await serviceDir('svc', SMALL);
  const r = await run(['status', '--dir', dir, '--json'], { env: { DATABASE_URL: db.url } });
  assertExit(r, 0);
  const doc = JSON.parse(r.stdout) as StatusJson;
  assert.is(doc.currentVersion, 0);
  assert.is(doc.pending, 4);
  assert.ok(doc.migrations.every((m) => m.state === 'pending' && m.appliedAt === null));
  assert.not.ok(await trackingExists(db.sql));
});

test('status --exit-code: 4 while migrations are pending, 0 once none are', async () => {
  const db = await dbs.fresh();
  const { dir } = await serviceDir('svc', SMALL);
  const pending = await run(['status', '--dir', dir, '--exit-code'], { env: { DATABASE_URL: db.url } });
  assertExit(pending, 4);
  assert.ok(lines(pending.stdout).includes('Pending: 4'));
  const json = await run(['status', '--dir', dir, '--exit-code', '--json'], { env: { DATABASE_URL: db.url } });
  assertExit(json, 4);
  assert.is((JSON.parse(json.stdout) as StatusJson).pending, 4);
  assertExit(await run(['up', '--dir', dir], { env: { DATABASE_URL: db.url } }), 0);
  const none = await run(['status', '--dir', dir, '--exit-code'], { env: { DATABASE_URL: db.url } });
  assertExit(none, 0);
  assert.ok(lines(none.stdout).includes('Pending: 0'));
  // Without --exit-code pending migrations are not an error.
  await writeFile(path.join(dir, '005_e.up.sql'), 'select 1;\n');
  assertExit(await run(['status', '--dir', dir], { env: { DATABASE_URL: db.url } }), 0);
});

test('status --all lists every service recorded in the database, also with no migrations directory at all', async () => {
  const db = await dbs.fresh();
  const ai = await copyFixture('ai-svc', 3);
  const chat = await copyFixture('chat-svc', 2);
  assertExit(await run(['up', '--dir', ai.dir], { env: { DATABASE_URL: db.url } }), 0);
  assertExit(await run(['up', '--dir', chat.dir], { env: { DATABASE_URL: db.url } }), 0);
  const empty = await tmpDir('lm-cli-empty-');
  const r = await run(['status', '--all'], { cwd: empty, env: { DATABASE_URL: db.url } });
  assertExit(r, 0);
  assertLines(r.stdout, [
    /SERVICE\s+VERSION\s+MIGRATIONS\s+LAST APPLIED\s+DESCRIPTION/,
    new RegExp(String.raw`ai-svc\s+3\s+3\s+${TS}\s+003_create_model_runs`),
    new RegExp(String.raw`chat-svc\s+2\s+2\s+${TS}\s+002_create_participants`),
  ]);
  assert.is(r.stderr, '');
  const j = await run(['status', '--all', '--json'], { cwd: empty, env: { DATABASE_URL: db.url } });
  assertExit(j, 0);
  const doc = JSON.parse(j.stdout) as { services: { service: string; version: number }[] };
  assert.equal(
    doc.services.map((s) => [s.service, s.version]),
    [['ai-svc', 3], ['chat-svc', 2]],
  );
  // With a directory given, still every service.
  const withDir = await run(['status', '--all', '--dir', ai.dir], { env: { DATABASE_URL: db.url } });
  assertExit(withDir, 0);
  assert.is(withDir.stdout, r.stdout);
});

test('status --all on an empty database says so and creates nothing', async () => {
  const db = await dbs.fresh();
  const r = await run(['status', '--all'], { cwd: await tmpDir(), env: { DATABASE_URL: db.url } });
  assertExit(r, 0);
  assert.is(lines(r.stdout).length, 1);
  assert.not.ok(await trackingExists(db.sql));
});

// -------------------------------------------------------------- verify

test('verify on a clean, fully applied directory: exit 0', async () => {
  const db = await dbs.fresh();
  const { dir } = await copyFixture('ai-svc');
  assertExit(await run(['up', '--dir', dir], { env: { DATABASE_URL: db.url } }), 0);
  const r = await run(['verify', '--dir', dir], { env: { DATABASE_URL: db.url } });
  assertExit(r, 0);
  assertLines(r.stdout, prefixed('ai-svc', ['Verify passed']));
  assert.is(r.stderr, '');
  // Pending migrations in order are fine too.
  const db2 = await dbs.fresh();
  assertExit(await run(['verify', '--dir', dir], { env: { DATABASE_URL: db2.url } }), 0);
});

test('verify: a Windows checkout (CRLF, BOM) of an applied file is not a change', async () => {
  const db = await dbs.fresh();
  const { dir } = await serviceDir('svc', { '001_a.up.sql': '-- a\ncreate table a (id int);\n', '001_a.down.sql': 'drop table a;\n' });
  assertExit(await run(['up', '--dir', dir], { env: { DATABASE_URL: db.url } }), 0);
  await writeFile(path.join(dir, '001_a.up.sql'), Buffer.from('\ufeff-- a\r\ncreate table a (id int);\r\n', 'utf8'));
  const r = await run(['verify', '--dir', dir], { env: { DATABASE_URL: db.url } });
  assertExit(r, 0);
  assertLines(r.stdout, ['[svc-migrations] Verify passed']);
});

const finding = (kind: string, level: 'Error' | 'Warning', file: string, what: RegExp | string) =>
  new RegExp(`${re('[svc-migrations] ')}${level}: ${re(file)}.*${typeof what === 'string' ? re(what) : what.source}.*\\[${kind}\\]`);

test('verify: an applied file that changed -> exit 3 naming it [modified]', async () => {
  const db = await dbs.fresh();
  const { dir } = await serviceDir('svc', SMALL);
  assertExit(await run(['up', '--dir', dir], { env: { DATABASE_URL: db.url } }), 0);
  await appendTo(path.join(dir, '002_b.up.sql'), '-- edited\n');
  const r = await run(['verify', '--dir', dir], { env: { DATABASE_URL: db.url } });
  assertExit(r, 3);
  assertLines(r.stdout + r.stderr, [finding('modified', 'Error', '002_b.up.sql', '002_b'), /\[svc-migrations\] Verify failed.*/]);
});

test('verify: an applied file that was deleted -> exit 3 [missing-file]', async () => {
  const db = await dbs.fresh();
  const { dir } = await serviceDir('svc', SMALL);
  assertExit(await run(['up', '--dir', dir], { env: { DATABASE_URL: db.url } }), 0);
  await rm(path.join(dir, '003_c.up.sql'));
  await rm(path.join(dir, '003_c.down.sql'));
  const r = await run(['verify', '--dir', dir], { env: { DATABASE_URL: db.url } });
  assertExit(r, 3);
  assertLines(r.stdout + r.stderr, [/\[svc-migrations\] Error: .*003_c.*\[missing-file\]/, /\[svc-migrations\] Verify failed.*/]);
});

test('a deleted up file whose down file remains: status lists "missing file", verify exits 3 [missing-file], up and down of other versions go on; lint and verify call a down file with no applied up file orphan-down', async () => {
  const db = await dbs.fresh();
  const env = { env: { DATABASE_URL: db.url } };
  const { dir } = await serviceDir('svc', SMALL);
  assertExit(await run(['up', '--dir', dir, '--to', '3'], env), 0);
  await rm(path.join(dir, '003_c.up.sql'));

  const status = await run(['status', '--dir', dir], env);
  assertExit(status, 0);
  assertLines(status.stdout, [
    'Service: svc',
    'Current version: 3',
    'Pending: 1',
    '',
    /VERSION\s+NAME\s+STATE\s+APPLIED AT/,
    new RegExp(String.raw`1\s+001_a\s+applied\s+${TS}`),
    new RegExp(String.raw`2\s+002_b\s+applied\s+${TS}`),
    new RegExp(String.raw`3\s+003_c\s+missing file\s+${TS}`),
    /4\s+004_d\s+pending\s*/,
  ]);

  const verify = await run(['verify', '--dir', dir, '--json'], env);
  assertExit(verify, 3);
  assert.equal((JSON.parse(verify.stdout) as { findings: unknown[] }).findings, [
    {
      kind: 'missing-file',
      severity: 'error',
      version: 3,
      file: '003_c.down.sql',
      message: '003_c is applied but its up file is gone (only 003_c.down.sql is left); restore the up file, or roll it back by hand and remove the record with mark 3 --pending',
    },
  ]);

  // up of the others goes on; down of the others too.
  assertExit(await run(['up', '--dir', dir], env), 0);
  assert.equal(await records(db.sql, 'svc'), ['1 001_a', '2 002_b', '3 003_c', '4 004_d']);
  assertExit(await run(['down', '--dir', dir], env), 0);
  assert.equal(await records(db.sql, 'svc'), ['1 001_a', '2 002_b', '3 003_c']);
  // Its own down says why it cannot, and changes nothing.
  const down3 = await run(['down', '--dir', dir], env);
  assertExit(down3, 1);
  assert.match(down3.stderr, 'cannot roll back 003_c: its up file is gone from the migrations directory (restore it, or undo it by hand and remove its record with mark 3 --pending); nothing was changed');
  assert.equal(await records(db.sql, 'svc'), ['1 001_a', '2 002_b', '3 003_c']);

  // Not applied (the record removed): the same file is an orphan-down, in verify as in lint, and up refuses the directory.
  assertExit(await run(['mark', '3', '--pending', '--dir', dir], env), 0);
  const orphan = await run(['verify', '--dir', dir, '--json'], env);
  assertExit(orphan, 3);
  assert.equal(
    (JSON.parse(orphan.stdout) as { findings: { kind: string; file?: string }[] }).findings.map((f) => [f.kind, f.file]),
    [['orphan-down', '003_c.down.sql']],
  );
  const lint = await run(['lint', '--dir', dir, '--json']);
  assert.equal(
    (JSON.parse(lint.stdout) as { findings: { rule: string; severity: string; file: string }[] }).findings
      .filter((f) => f.file === '003_c.down.sql' && f.severity === 'error')
      .map((f) => f.rule),
    ['orphan-down'],
  );
  const up = await run(['up', '--dir', dir], env);
  assertExit(up, 1);
  assert.match(up.stderr, '003_c.down.sql: down migration for version 3 has no up file');
});

test('verify: a pending migration older than the current version -> exit 3 [out-of-order]', async () => {
  const db = await dbs.fresh();
  const { '002_b.up.sql': b, '002_b.down.sql': bd, ...rest } = SMALL;
  const { dir } = await serviceDir('svc', rest);
  assertExit(await run(['up', '--dir', dir], { env: { DATABASE_URL: db.url } }), 0);
  await writeFile(path.join(dir, '002_b.up.sql'), b);
  await writeFile(path.join(dir, '002_b.down.sql'), bd);
  const r = await run(['verify', '--dir', dir], { env: { DATABASE_URL: db.url } });
  assertExit(r, 3);
  assertLines(r.stdout + r.stderr, [finding('out-of-order', 'Error', '002_b.up.sql', /002_b.*\b4\b/), /\[svc-migrations\] Verify failed.*/]);
});

test('verify: a missing down file is a warning only (exit 0)', async () => {
  const db = await dbs.fresh();
  const { '004_d.down.sql': _gone, ...files } = SMALL;
  const { dir } = await serviceDir('svc', files);
  assertExit(await run(['up', '--dir', dir], { env: { DATABASE_URL: db.url } }), 0);
  const r = await run(['verify', '--dir', dir], { env: { DATABASE_URL: db.url } });
  assertExit(r, 0);
  assertLines(r.stdout + r.stderr, [finding('missing-down', 'Warning', '004_d.up.sql', '004_d'), '[svc-migrations] Verify passed']);
});

test('verify --json: one document {service, ok, findings[{kind, severity, version, file, message}]}; nothing else on stdout', async () => {
  const db = await dbs.fresh();
  const { '004_d.down.sql': _gone, ...files } = SMALL;
  const { dir } = await serviceDir('svc', files);
  assertExit(await run(['up', '--dir', dir], { env: { DATABASE_URL: db.url } }), 0);
  await appendTo(path.join(dir, '001_a.up.sql'), '-- edited\n');
  const r = await run(['verify', '--dir', dir, '--json'], { env: { DATABASE_URL: db.url } });
  assertExit(r, 3);
  const doc = JSON.parse(r.stdout) as {
    service: string;
    ok: boolean;
    findings: { kind: string; severity: string; version?: number; file?: string; message: string }[];
  };
  assert.is(doc.service, 'svc');
  assert.is(doc.ok, false);
  const slim = doc.findings.map(({ kind, severity, version, file }) => ({ kind, severity, version, file }));
  assert.equal(slim, [
    { kind: 'modified', severity: 'error', version: 1, file: '001_a.up.sql' },
    { kind: 'missing-down', severity: 'warning', version: 4, file: '004_d.up.sql' },
  ]);
  for (const f of doc.findings) assert.type(f.message, 'string');
  assert.not.match(r.stderr, /\{/);

  const clean = await dbs.fresh();
  const ok = await run(['verify', '--dir', dir, '--json'], { env: { DATABASE_URL: clean.url } });
  assertExit(ok, 0);
  assert.is((JSON.parse(ok.stdout) as { ok: boolean }).ok, true);
});

test('verify --format github prints ::error / ::warning annotations pointing at the files', async () => {
  const db = await dbs.fresh();
  const { '004_d.down.sql': _gone, ...files } = SMALL;
  const { root, dir } = await serviceDir('svc', files);
  assertExit(await run(['up', '--dir', dir], { env: { DATABASE_URL: db.url } }), 0);
  await appendTo(path.join(dir, '002_b.up.sql'), '-- edited\n');
  const r = await run(['verify', '--dir', 'svc/migrations', '--format', 'github'], { cwd: root, env: { DATABASE_URL: db.url } });
  assertExit(r, 3);
  const ann = lines(r.stdout).filter((l) => l.startsWith('::'));
  // Paths relative to the working directory (the repository root in a CI job).
  assertLines(ann.join('\n') + '\n', [
    /::error file=svc\/migrations\/002_b\.up\.sql(,line=\d+)?(,col=\d+)?::.*002_b.*/,
    /::warning file=svc\/migrations\/004_d\.up\.sql(,line=\d+)?(,col=\d+)?::.*004_d.*/,
  ]);
});

// ------------------------------------------------------------ generate

test('generate: next number after the highest, 3 digits, slug from the description, both files, paths on stdout', async () => {
  const { dir } = await serviceDir('svc', {
    '001_a.up.sql': 'select 1;\n',
    '001_a.down.sql': 'select 1;\n',
    '005_e.up.sql': 'select 5;\n',
    '005_e.down.sql': 'select 5;\n',
    '002_b.up.sql': 'select 2;\n',
  });
  const r = await run(['generate', '--dir', dir, 'Add user Avatars!']);
  assertExit(r, 0);
  const up = path.join(dir, '006_add_user_avatars.up.sql');
  const down = path.join(dir, '006_add_user_avatars.down.sql');
  assertLines(r.stdout, [up, down]);
  assert.is(r.stderr, '');
  assert.equal((await readdir(dir)).filter((f) => f.startsWith('006')).sort(), ['006_add_user_avatars.down.sql', '006_add_user_avatars.up.sql']);
  // Generated files are valid, pending migrations right away.
  assert.type(await readFile(up, 'utf8'), 'string');
});

test('generate follows the _up.sql convention of a directory that uses it, and --description works', async () => {
  const { dir } = await copyFixture('ai-svc');
  const r = await run(['generate', '--dir', dir, '--description', 'track token usage']);
  assertExit(r, 0);
  assertLines(r.stdout, [path.join(dir, '007_track_token_usage_up.sql'), path.join(dir, '007_track_token_usage_down.sql')]);
  const files = await readdir(dir);
  assert.ok(files.includes('007_track_token_usage_up.sql') && files.includes('007_track_token_usage_down.sql'));
});

test('generate in a new directory starts at 001; generate needs no database', async () => {
  const root = await tmpDir();
  const dir = path.join(root, 'fresh-svc', 'migrations');
  // A database setting that would fail: generate never connects.
  const r = await run(['generate', '--dir', dir, 'init', 'schema'], { env: { DATABASE_URL: 'postgres://u@127.0.0.1:1/none' } });
  assertExit(r, 0);
  assertLines(r.stdout, [path.join(dir, '001_init_schema.up.sql'), path.join(dir, '001_init_schema.down.sql')]);
});

test('generate creates the migrations directory it would use: ./migrations, or ./SERVICE/migrations with --service', async () => {
  const root = await tmpDir();
  const r = await run(['generate', 'init'], { cwd: root });
  assertExit(r, 0);
  assertLines(r.stdout, [path.join(root, 'migrations', '001_init.up.sql'), path.join(root, 'migrations', '001_init.down.sql')]);
  const other = await tmpDir();
  const s = await run(['generate', 'init', '--service', 'chat-svc'], { cwd: other });
  assertExit(s, 0);
  assertLines(s.stdout, [path.join(other, 'chat-svc', 'migrations', '001_init.up.sql'), path.join(other, 'chat-svc', 'migrations', '001_init.down.sql')]);
});

test('directory not found: lists the */migrations folders seen from here and the --service that picks each', async () => {
  const db = await dbs.fresh();
  const { root } = await serviceDir('chat-svc', SMALL);
  const r = await run(['status'], { cwd: root, env: { DATABASE_URL: db.url } });
  assertExit(r, 2);
  assertLines(r.stderr, [
    `Error: migrations directory not found; tried: ${path.join(root, 'migrations')}; found here: chat-svc/migrations (--service chat-svc)`,
  ]);
  assert.not.ok(await trackingExists(db.sql));
});

test('generate with no description: exit 2, no file created', async () => {
  const { dir } = await serviceDir('svc', { '001_a.up.sql': 'select 1;\n' });
  const r = await run(['generate', '--dir', dir]);
  assertExit(r, 2);
  assert.is(r.stdout, '');
  assertLines(r.stderr, [/(\[svc-migrations\] )?Error: .*description.*/]);
  assert.equal(await readdir(dir), ['001_a.up.sql']);
  const blank = await run(['generate', '--dir', dir, '--description', '   ']);
  assertExit(blank, 2);
  assert.equal(await readdir(dir), ['001_a.up.sql']);
});

// ---------------------------------------------------------------- mark

test('mark 2 records version 2 without running it; mark 2 --pending removes the record', async () => {
  const db = await dbs.fresh();
  const { dir } = await serviceDir('svc', SMALL);
  const r = await run(['mark', '2', '--dir', dir], { env: { DATABASE_URL: db.url } });
  assertExit(r, 0);
  assertLines(r.stdout, prefixed('svc', ['Marked migration 002_b as applied', 'Current version: 2']));
  assert.equal(await records(db.sql, 'svc'), ['2 002_b']);
  assert.is(await schemaVersion(db.sql, 'svc'), '2 002_b');
  assert.not.ok(await relationExists(db.sql, 'b'), 'the migration did not run');
  const [ck] = await db.sql<{ checksum: string }[]>`select checksum from migration_records`;
  assert.is(ck!.checksum, await checksumOf(path.join(dir, '002_b.up.sql')));

  const p = await run(['mark', '2', '--pending', '--dir', dir], { env: { DATABASE_URL: db.url } });
  assertExit(p, 0);
  assertLines(p.stdout, prefixed('svc', ['Marked migration 002_b as pending', 'Current version: 0']));
  assert.equal(await records(db.sql, 'svc'), []);
  assert.is(await schemaVersion(db.sql, 'svc'), null);
});

test('mark --to 3 records 1..3; mark of a version with no file is refused', async () => {
  const db = await dbs.fresh();
  const { dir } = await serviceDir('svc', SMALL);
  // --dry-run first: says what it would record, writes nothing (not even the tables).
  const dry = await run(['mark', '--to', '3', '--dry-run', '--dir', dir], { env: { DATABASE_URL: db.url } });
  assertExit(dry, 0);
  assertLines(
    dry.stdout,
    prefixed('svc', [
      'Would mark migration 001_a as applied',
      'Would mark migration 002_b as applied',
      'Would mark migration 003_c as applied',
      'Current version would be: 3',
      'Dry run: nothing was changed',
    ]),
  );
  assert.not.ok(await trackingExists(db.sql));
  const r = await run(['mark', '--to', '3', '--dir', dir], { env: { DATABASE_URL: db.url } });
  assertExit(r, 0);
  assertLines(
    r.stdout,
    prefixed('svc', ['Marked migration 001_a as applied', 'Marked migration 002_b as applied', 'Marked migration 003_c as applied', 'Current version: 3']),
  );
  assert.equal(await records(db.sql, 'svc'), ['1 001_a', '2 002_b', '3 003_c']);
  assert.is(await schemaVersion(db.sql, 'svc'), '3 003_c');
  for (const t of ['a', 'b', 'c']) assert.not.ok(await relationExists(db.sql, t));
  // up then runs only 004.
  const up = await run(['up', '--dir', dir], { env: { DATABASE_URL: db.url } });
  assertExit(up, 0);
  assert.ok(lines(up.stdout).includes('[svc-migrations] Successfully applied migration 004_d'));
  assert.ok(lines(up.stdout).includes('[svc-migrations] Found 1 pending migrations'));

  const before = await snapshot(db.sql);
  const bad = await run(['mark', '9', '--dir', dir], { env: { DATABASE_URL: db.url } });
  assert.ok(bad.code === 1 || bad.code === 2, `exit ${bad.code}`);
  assert.match(bad.stderr, /\b9\b/);
  assert.is(await snapshot(db.sql), before);
});

test('mark --from golang-migrate adopts a clean schema_migrations version', async () => {
  const db = await dbs.fresh();
  const { dir } = await serviceDir('svc', SMALL);
  await db.sql`create table schema_migrations (version bigint not null primary key, dirty boolean not null)`;
  await db.sql`insert into schema_migrations values (3, false)`;
  const r = await run(['mark', '--from', 'golang-migrate', '--dir', dir], { env: { DATABASE_URL: db.url } });
  assertExit(r, 0);
  assertLines(
    r.stdout,
    prefixed('svc', ['Marked migration 001_a as applied', 'Marked migration 002_b as applied', 'Marked migration 003_c as applied', 'Current version: 3']),
  );
  assert.equal(await records(db.sql, 'svc'), ['1 001_a', '2 002_b', '3 003_c']);
  // golang-migrate's own table is left alone.
  assert.equal([...(await db.sql`select version::int as version, dirty from schema_migrations`)], [{ version: 3, dirty: false }]);
});

test('mark --from golang-migrate refuses a dirty schema_migrations: exit 3, nothing marked', async () => {
  const db = await dbs.fresh();
  const { dir } = await serviceDir('svc', SMALL);
  await db.sql`create table schema_migrations (version bigint not null primary key, dirty boolean not null)`;
  await db.sql`insert into schema_migrations values (3, true)`;
  const before = await snapshot(db.sql);
  const r = await run(['mark', '--from', 'golang-migrate', '--dir', dir], { env: { DATABASE_URL: db.url } });
  assertExit(r, 3);
  assertLines(r.stderr, [/\[svc-migrations\] Error: .*dirty.*\b3\b.*/]);
  assert.not.match(r.stdout, /Marked/);
  assert.is(await snapshot(db.sql), before);
  assert.not.ok(await trackingExists(db.sql));
});

// -------------------------------------------------------------- repair

test('repair: after an edit verify exits 3, repair accepts the new checksum, verify exits 0', async () => {
  const db = await dbs.fresh();
  const { dir } = await serviceDir('svc', SMALL);
  assertExit(await run(['up', '--dir', dir], { env: { DATABASE_URL: db.url } }), 0);
  await appendTo(path.join(dir, '002_b.up.sql'), '-- comment added on purpose\n');
  assertExit(await run(['verify', '--dir', dir], { env: { DATABASE_URL: db.url } }), 3);
  const before = await snapshot(db.sql);
  const dry = await run(['repair', '--dry-run', '--dir', dir], { env: { DATABASE_URL: db.url } });
  assertExit(dry, 0);
  assertLines(dry.stdout, [/\[svc-migrations\] Would repair checksum of 002_b: [0-9a-f]+ -> [0-9a-f]+/, '[svc-migrations] Dry run: nothing was changed']);
  assert.is(await snapshot(db.sql), before);
  const r = await run(['repair', '--dir', dir], { env: { DATABASE_URL: db.url } });
  assertExit(r, 0);
  assertLines(r.stdout, [/\[svc-migrations\] Repaired checksum of 002_b: [0-9a-f]+ -> [0-9a-f]+/]);
  const [row] = await db.sql<{ checksum: string }[]>`select checksum from migration_records where version = 2`;
  assert.is(row!.checksum, await checksumOf(path.join(dir, '002_b.up.sql')));
  const v = await run(['verify', '--dir', dir], { env: { DATABASE_URL: db.url } });
  assertExit(v, 0);
  assertLines(v.stdout, ['[svc-migrations] Verify passed']);
  // Nothing left to repair; the schema itself was never touched.
  const again = await run(['repair', '--dir', dir], { env: { DATABASE_URL: db.url } });
  assertExit(again, 0);
  assert.not.match(again.stdout, /Repaired/);
  assert.equal(await records(db.sql, 'svc'), ['1 001_a', '2 002_b', '3 003_c', '4 004_d']);
});

test('no password in any output of this file', () => {
  assertNoSecrets();
});

test.run();
