// The --json contract (src/cli/json.ts, schemas/, README "JSON output"):
// the schemas compile and ship, every command's output carries
// schemaVersion and matches its schema (runCli checks each run against
// schemas/ on its own), up/down end with a result line also when they fail
// before connecting, and a down step carries its down file's checksum.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SCHEMA_DIR, assertMatchesSchema, expectedShape } from '../helpers/json-output.js';
import { databases } from '../helpers/db.js';
import { ROOT, assertExit, checksumOf, deadPort, recorder, serviceDir } from './support.js';

const test = suite('cli: --json contract');
const dbs = databases('cli_json');
const { run, assertNoSecrets } = recorder();

test.after(async () => {
  await dbs.dropAll();
});

const FILES = {
  '001_a.up.sql': 'create table a (id int);\n',
  '001_a.down.sql': 'drop table a;\n',
  '002_b.up.sql': 'create table b (id int);\r\n',
  '002_b.down.sql': '-- the down file differs from its up file\ndrop table b;\n',
};

const SCHEMAS = fs.readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.schema.json')).sort();

test('ajv is installed and compiles every schema; package.json ships schemas/; README names each one', () => {
  const require = createRequire(import.meta.url);
  // Not optional here: the helper only skips the check (with a note) in a stale node_modules.
  const Ajv2020 = (require('ajv/dist/2020') as { default: new (o: object) => { addSchema(s: object): void; getSchema(id: string): unknown } }).default;
  const ajv = new Ajv2020({ strict: true, strictRequired: false });
  const ids = SCHEMAS.map((f) => {
    const s = JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, f), 'utf8')) as { $id: string; $schema: string };
    assert.is(s.$schema, 'https://json-schema.org/draft/2020-12/schema', f);
    assert.is(s.$id, `https://unpkg.com/link-migrate/schemas/${f}`, f);
    ajv.addSchema(s);
    return s.$id;
  });
  for (const id of ids) assert.ok(ajv.getSchema(id), id);
  assert.ok(SCHEMAS.length >= 14, SCHEMAS.join(' '));
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { files: string[]; devDependencies: Record<string, string> };
  assert.ok(pkg.files.includes('schemas/'), pkg.files.join(' '));
  assert.ok(pkg.devDependencies.ajv, 'ajv is a devDependency');
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  for (const f of SCHEMAS.filter((f) => f !== 'common.schema.json')) assert.ok(readme.includes(`(schemas/${f})`), `README links schemas/${f}`);
});

test('which schema a run is checked against', () => {
  assert.equal(expectedShape(['up', '--dir', 'x']), null);
  assert.equal(expectedShape(['up', '--json', '--help']), null);
  assert.equal(expectedShape(['-action=down', '--json']), { lines: true, schema: 'run-event' });
  assert.equal(expectedShape(['status', '--all', '--json']), { lines: false, schema: 'status-all' });
  assert.equal(expectedShape(['lint', '--explain', 'drop-column', '--json']), { lines: false, schema: 'lint-rule' });
  assert.equal(expectedShape(['check', '--drift', '--json']), { lines: false, schema: 'drift' });
  assert.equal(expectedShape(['up', '--targets', 't.txt', '--json']), { lines: false, schema: 'fleet' });
  assert.equal(expectedShape(['upp', '--json']), { lines: false, schema: 'error' });
});

test('a schema refuses what breaks the contract: no schemaVersion, a result line without error on failure, a bad checksum', () => {
  const err = { code: 'USAGE', message: 'x', details: [], file: null, line: null, column: null, sqlState: null };
  assertMatchesSchema('run-event', { schemaVersion: 1, type: 'error', error: err });
  assert.throws(() => assertMatchesSchema('run-event', { type: 'error', error: err }), /schemaVersion/);
  assert.throws(() => assertMatchesSchema('run-event', { schemaVersion: 1, type: 'error', error: { ...err, file: undefined } }), /file/);
  const failed = { schemaVersion: 1, type: 'result', ok: false, exitCode: 2, service: null, direction: 'up', dryRun: false, results: [], currentVersion: null, warnings: [] };
  assert.throws(() => assertMatchesSchema('run-event', failed), /error/);
  assertMatchesSchema('run-event', { ...failed, error: err });
  assert.throws(() => assertMatchesSchema('run-event', { ...failed, ok: true, error: err }), /plan|must/);
  assert.throws(() => assertMatchesSchema('run-event', { schemaVersion: 1, type: 'telemetry' }), /type/);
  const step = { version: 1, name: '001_a', direction: 'down', file: '001_a.down.sql', transactional: true, checksum: 'ABC' };
  assert.throws(() => assertMatchesSchema('run-event', { schemaVersion: 1, type: 'plan', service: 's', direction: 'down', count: 1, steps: [step] }), /checksum/);
});

test('every command prints schemaVersion 1 first; each output matches its schema (checked by runCli)', async () => {
  const db = await dbs.fresh();
  const { dir } = await serviceDir('svc', FILES);
  const env = { DATABASE_URL: db.url };
  const docs: Record<string, unknown>[] = [];
  const doc = async (args: string[], code = 0) => {
    const r = await run(args, { env });
    assertExit(r, code);
    assert.ok(r.stdout.startsWith('{\n  "schemaVersion": 1,'), r.stdout.slice(0, 200));
    docs.push(JSON.parse(r.stdout) as Record<string, unknown>);
  };
  const lines = async (args: string[], code = 0) => {
    const r = await run(args, { env });
    assertExit(r, code);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const e of events) assert.is(Object.keys(e)[0], 'schemaVersion');
    return events;
  };
  await lines(['up', '--dir', dir, '--json', '--dry-run']);
  await lines(['up', '--dir', dir, '--json']);
  await doc(['status', '--dir', dir, '--json']);
  await doc(['status', '--all', '--json']);
  await doc(['verify', '--dir', dir, '--json']);
  await doc(['lint', '--dir', dir, '--json']);
  await doc(['lint', '--explain', 'drop-column', '--json']);
  await doc(['mark', '2', '--dir', dir, '--json', '--dry-run']);
  await doc(['repair', '--dir', dir, '--json']);
  await doc(['generate', '--dir', dir, '--json', 'next thing']);
  await doc(['check', '--dir', dir, '--json', '--database-url', db.url]);
  assert.is(docs.length, 9);
});

test('a down step carries its down file\'s checksum (plan, --dry-run, result), not the up file\'s', async () => {
  const db = await dbs.fresh();
  const { dir } = await serviceDir('svc', FILES);
  const env = { DATABASE_URL: db.url };
  assertExit(await run(['up', '--dir', dir], { env }), 0);
  const up = await checksumOf(path.join(dir, '002_b.up.sql'));
  const down = await checksumOf(path.join(dir, '002_b.down.sql'));
  assert.is.not(up, down);
  for (const extra of [['--dry-run'], []]) {
    const r = await run(['down', '--dir', dir, '--json', ...extra], { env });
    assertExit(r, 0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; steps?: { file: string; checksum: string }[]; plan?: { file: string; checksum: string }[] });
    const plan = events.find((e) => e.type === 'plan')!.steps!;
    const result = events.at(-1)!;
    assert.equal(plan.map((s) => [s.file, s.checksum]), [['002_b.down.sql', down]]);
    assert.equal(result.plan!.map((s) => [s.file, s.checksum]), [['002_b.down.sql', down]]);
  }
  // status still shows the up file's checksum, as recorded.
  const status = await run(['status', '--dir', dir, '--json'], { env });
  const migrations = (JSON.parse(status.stdout) as { migrations: { name: string; checksum: string }[] }).migrations;
  assert.is(migrations.find((m) => m.name === '002_b')?.checksum, up);
});

test('up/down --json failing before the run still end with a result line: usage error, unreachable server, a bad file', async () => {
  const { dir } = await serviceDir('svc', FILES);
  // A usage error found before the command runs: no service known yet.
  const usage = await run(['up', '--dir', dir, '--json', '--dri-run']);
  assertExit(usage, 2);
  const last = (r: { stdout: string }) => JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
  assert.equal([last(usage).type, last(usage).ok, last(usage).exitCode, last(usage).service, (last(usage).error as { code: string }).code], ['result', false, 2, null, 'USAGE']);
  // The server cannot be reached: the service is known.
  const port = await deadPort();
  const down = await run(['down', '--dir', dir, '--json'], { env: { DATABASE_URL: `postgres://u:secret@127.0.0.1:${port}/x` } });
  assertExit(down, 1);
  assert.equal([last(down).ok, last(down).service, last(down).direction, (last(down).error as { code: string }).code], [false, 'svc', 'down', 'CONNECT_FAILED']);
  // A file refused before anything runs: every problem, at its line.
  const { dir: bad } = await serviceDir('bad', { '001_a.up.sql': 'create table a (id int);\ncommit;\n', '001_b.up.sql': 'select 1;\n' });
  const db = await dbs.fresh();
  const r = await run(['up', '--dir', bad, '--json'], { env: { DATABASE_URL: db.url } });
  assertExit(r, 1);
  const error = last(r).error as { code: string; file: string | null; problems?: { file: string }[] };
  assert.is(last(r).type, 'result');
  assert.ok(error.problems && error.problems.length >= 1, JSON.stringify(error));
  // A statement the server refuses: its file, line, column and SQLSTATE; what ran before it stays.
  const { dir: failing } = await serviceDir('svc', { ...FILES, '003_c.up.sql': 'create table c (id int);\n  select 1/0;\n' });
  const f = await run(['up', '--dir', failing, '--json'], { env: { DATABASE_URL: db.url } });
  assertExit(f, 1);
  const failed = last(f);
  const { message: _m, details: _d, completed: _c, ...where } = failed.error as Record<string, unknown>;
  assert.equal(where, { code: 'MIGRATION_FAILED', file: '003_c.up.sql', line: 2, column: 3, sqlState: '22012', statement: 2 });
  assert.equal([failed.ok, failed.exitCode, (failed.results as { name: string }[]).map((x) => x.name)], [false, 1, ['001_a', '002_b']]);
  assertNoSecrets();
});

test.run();
