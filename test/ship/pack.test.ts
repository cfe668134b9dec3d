// The npm package: `npm pack` holds the library, its types, the CLI bundle,
// README and install.sh (never the 110 MB compiled binary); installed into a
// fresh project it can be imported (ESM), typed, and run with npx.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { mkdir, readFile, readlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { closeAdmin, freshDatabase, type FreshDatabase } from '../helpers/db.js';
import { tmpDir, writeMigrations } from '../helpers/tmp.js';
import { ROOT, VERSION, cleanEnv, nodeModulesAbove, ok, run } from './support.js';

const test = suite('npm pack');
const dbs: FreshDatabase[] = [];
test.after(async () => {
  for (const db of dbs.splice(0)) await db.drop().catch(() => undefined);
  await closeAdmin();
});

// What the tarball must hold, exactly (npm adds package.json; LICENSE files would be allowed).
const SCHEMAS = fs.readdirSync(path.join(ROOT, 'schemas')).filter((f) => f.endsWith('.schema.json')).map((f) => `schemas/${f}`);
const EXPECTED_FILES = [
  'README.md',
  'dist/index.cjs',
  'dist/index.d.cts',
  'dist/index.d.ts',
  'dist/index.js',
  'dist/link-migrate.cjs',
  'install.sh',
  'link-migrate.schema.json',
  'package.json',
  ...SCHEMAS,
].sort();
// A fresh consumer's node_modules after `npm install link-migrate`: the
// package (~7.7 MB, the CLI bundle carries PGlite and libpg-query's wasm for
// itself), libpg-query and postgres for the library; not PGlite (27 MB, an
// optional peer: only the library's check on the embedded engine needs it).
// Measured 37 MB with PGlite as a dependency, ~10 MB without.
const MAX_CONSUMER_NODE_MODULES_BYTES = 16 * 1024 * 1024;

/** Bytes of every file under `dir` (what `du` would count, without block rounding). */
function sizeOf(dir: string): number {
  let total = 0;
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, ent.name);
    if (ent.isDirectory()) total += sizeOf(p);
    else if (ent.isFile()) total += fs.statSync(p).size;
  }
  return total;
}
// The CLI bundle carries PGlite's WASM and data for `check` (~5.5 MB packed);
// the bound is there to keep the 110 MB compiled binary out.
const MAX_TARBALL_BYTES = 10 * 1024 * 1024;

/** npm's environment: the CLI's clean one, minus what a parent `npm test` set for its own package. */
function npmEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env = cleanEnv(extra);
  for (const k of Object.keys(env)) {
    if (k === 'INIT_CWD' || (k.startsWith('npm_') && !/^npm_config_(registry|cache|userconfig)$/.test(k))) delete env[k];
  }
  env.npm_config_update_notifier = 'false';
  env.npm_config_fund = 'false';
  env.npm_config_audit = 'false';
  return env;
}

const npmCli = (() => {
  const execpath = process.env.npm_execpath;
  return (args: string[]): [string, string[]] =>
    execpath && /npm-cli\.c?js$/.test(execpath) ? [process.execPath, [execpath, ...args]] : ['npm', args];
})();

const state: { tgz?: string; project?: string } = {};

test('npm pack: the library, its types, the CLI bundle, README and install.sh; no binary', async () => {
  const dest = await tmpDir('lm-pack-');
  const [cmd, args] = npmCli(['pack', '--json', '--pack-destination', dest]);
  const r = ok(await run(cmd, args, { cwd: ROOT, env: npmEnv(), timeoutMs: 120_000 }), 'npm pack');
  const json = r.stdout.slice(r.stdout.indexOf('['));
  const [info] = JSON.parse(json) as { filename: string; size: number; unpackedSize: number; files: { path: string; size: number; mode: number }[] }[];
  assert.ok(info);
  const tgz = path.join(dest, info.filename);
  assert.ok(fs.existsSync(tgz), `${tgz} written`);
  assert.is(info.filename, `link-migrate-${VERSION}.tgz`);
  const files = info.files.map((f) => f.path).sort();
  console.log(`npm pack: ${info.filename}, ${info.size} bytes packed, ${info.unpackedSize} unpacked: ${files.join(', ')}`);
  assert.equal(
    files.filter((f) => !/^LICEN[CS]E/i.test(f)),
    EXPECTED_FILES,
  );
  assert.ok(info.size < MAX_TARBALL_BYTES, `tarball is ${info.size} bytes`);
  assert.is(fs.statSync(tgz).size, info.size);

  // The tarball itself, not just npm's report of it.
  const list = ok(await run('tar', ['-tzf', tgz], { cwd: dest }), 'tar -tzf');
  const inTar = list.stdout.split('\n').filter(Boolean).map((f) => f.replace(/^package\//, '')).sort();
  assert.equal(inTar, files);
  assert.not.ok(inTar.some((f) => /link-migrate-linux-x64|SHA256SUMS|^src\/|^test\/|node_modules/.test(f)), inTar.join('\n'));
  // The bin keeps its executable bit.
  const bin = info.files.find((f) => f.path === 'dist/link-migrate.cjs');
  assert.ok(bin && (bin.mode & 0o111) !== 0, 'dist/link-migrate.cjs is executable in the tarball');
  state.tgz = tgz;
});

test('npm install <tgz> into a fresh project (registry for its dependencies)', async () => {
  assert.ok(state.tgz, 'npm pack ran');
  const project = await tmpDir('lm-consumer-');
  assert.is(nodeModulesAbove(project), null);
  await writeFile(
    path.join(project, 'package.json'),
    JSON.stringify({ name: 'lm-consumer', version: '1.0.0', private: true, type: 'module' }, null, 2) + '\n',
  );
  const [cmd, args] = npmCli(['install', state.tgz!, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error']);
  const t0 = Date.now();
  const r = await run(cmd, args, { cwd: project, env: npmEnv(), timeoutMs: 120_000 });
  assert.ok(!r.timedOut, `npm install took longer than 120 s:\n${r.output}`);
  ok(r, 'npm install <tgz>');
  console.log(`npm install <tgz>: ${Date.now() - t0} ms`);
  const installed = JSON.parse(await readFile(path.join(project, 'node_modules/link-migrate/package.json'), 'utf8')) as {
    version: string;
  };
  assert.is(installed.version, VERSION);
  assert.ok(fs.existsSync(path.join(project, 'node_modules/postgres/package.json')), 'postgres installed as a dependency');
  assert.not.ok(
    fs.existsSync(path.join(project, 'node_modules/link-migrate/dist/link-migrate-linux-x64')),
    'no binary in the package',
  );
  const link = await readlink(path.join(project, 'node_modules/.bin/link-migrate'));
  assert.is(link, '../link-migrate/dist/link-migrate.cjs');
  // What the bundled CLI already carries is not installed a second time.
  const packages = fs.readdirSync(path.join(project, 'node_modules')).filter((n) => !n.startsWith('.'));
  const bytes = sizeOf(path.join(project, 'node_modules'));
  const per = packages.map((n) => `${n} ${(sizeOf(path.join(project, 'node_modules', n)) / 1048576).toFixed(1)} MB`);
  console.log(`consumer node_modules: ${(bytes / 1048576).toFixed(1)} MB (${per.join(', ')})`);
  assert.not.ok(fs.existsSync(path.join(project, 'node_modules/@electric-sql/pglite')), 'PGlite is an optional peer, not installed');
  assert.ok(bytes < MAX_CONSUMER_NODE_MODULES_BYTES, `consumer node_modules is ${bytes} bytes`);
  state.project = project;
});

const CONSUMER = `
import { createRequire } from 'node:module';
import {
  createMigrator, MigrateError, ConfigError, FileError, ConnectError, QueryError, LockError, IntegrityError,
  isMigrateError, EXIT, eventLine, redactUrl,
} from 'link-migrate';

const out = {};
out.exports = Object.fromEntries(
  Object.entries({ MigrateError, ConfigError, FileError, ConnectError, QueryError, LockError, IntegrityError })
    .map(([name, cls]) => [name, typeof cls === 'function' && (cls === MigrateError || cls.prototype instanceof MigrateError)]),
);
out.exit = EXIT;
out.redacted = redactUrl('postgres://u:s3cret@db:5432/x');
out.pkgVersion = createRequire(import.meta.url)('link-migrate/package.json').version;

const dir = new URL('./migrations', import.meta.url).pathname;
const logged = [];
const m = createMigrator({ dir, service: 'pack-svc', url: process.env.DATABASE_URL, logger: { info: (l) => logged.push(l) } });
try {
  const before = await m.status();
  out.before = { service: before.service, currentVersion: before.currentVersion, pending: before.pending,
    names: before.migrations.map((x) => x.name) };
  const run = await m.up();
  out.applied = run.results?.map((x) => x.name) ?? null;
  const after = await m.status();
  out.after = { currentVersion: after.currentVersion, pending: after.pending };
} finally {
  await m.close();
}
out.logged = logged;

try {
  createMigrator({ dir, service: 'bad name!' });
  out.config = 'no error';
} catch (e) {
  out.config = { config: e instanceof ConfigError, migrate: e instanceof MigrateError, is: isMigrateError(e), code: e.code, exitCode: e.exitCode };
}

const down = createMigrator({ dir, service: 'pack-svc', url: 'postgres://u:s3cret@127.0.0.1:1/nodb' });
try {
  await down.status();
  out.connect = 'no error';
} catch (e) {
  out.connect = { connect: e instanceof ConnectError, migrate: e instanceof MigrateError, code: e.code, exitCode: e.exitCode,
    leaks: String(e.message).includes('s3cret'), message: e.message };
} finally {
  await down.close();
}
console.log(JSON.stringify(out));
`;

/** Writes two migrations and `script` as `file` into the installed consumer project, runs it against a fresh database; its last line. */
async function runConsumer(dbName: string, file: string, script: string): Promise<{ db: FreshDatabase; out: Record<string, any> }> {
  assert.ok(state.project, 'npm install ran');
  const project = state.project!;
  const db = await freshDatabase(dbName);
  dbs.push(db);
  await writeMigrations(project, {
    'migrations/001_create_notes.up.sql': 'CREATE TABLE notes (id bigserial PRIMARY KEY, body text NOT NULL);\n',
    'migrations/001_create_notes.down.sql': 'DROP TABLE notes;\n',
    'migrations/002_add_notes_tags.up.sql': "ALTER TABLE notes ADD COLUMN tags jsonb NOT NULL DEFAULT '[]'::jsonb;\n",
    'migrations/002_add_notes_tags.down.sql': 'ALTER TABLE notes DROP COLUMN tags;\n',
    [file]: script,
  });
  const r = ok(
    await run(process.execPath, [file], { cwd: project, env: cleanEnv({ DATABASE_URL: db.url }), timeoutMs: 60_000 }),
    `node ${file}`,
  );
  return { db, out: JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, any> };
}

test('an ESM script imports createMigrator and the error classes and runs status() and up()', async () => {
  const { db, out } = await runConsumer('pack', 'consumer.mjs', CONSUMER);
  assert.equal(out.exports, {
    MigrateError: true, ConfigError: true, FileError: true, ConnectError: true, QueryError: true, LockError: true, IntegrityError: true,
  });
  assert.is(out.exit.ok, 0);
  assert.is(out.redacted, 'postgres://u:***@db:5432/x');
  assert.is(out.pkgVersion, VERSION);
  assert.equal(out.before, {
    service: 'pack-svc',
    currentVersion: 0,
    pending: 2,
    names: ['001_create_notes', '002_add_notes_tags'],
  });
  assert.equal(out.after, { currentVersion: 2, pending: 0 });
  assert.ok(out.logged.includes('Successfully applied migration 002_add_notes_tags'), JSON.stringify(out.logged));
  assert.equal(out.config, { config: true, migrate: true, is: true, code: 'SERVICE_INVALID', exitCode: 2 });
  assert.is(out.connect.connect, true, JSON.stringify(out.connect));
  assert.is(out.connect.migrate, true);
  assert.is(out.connect.exitCode, 1);
  assert.is(out.connect.leaks, false, out.connect.message);
  const [row] = await db.sql<{ version: number }[]>`select version::int as version from schema_versions where service = 'pack-svc'`;
  assert.is(row?.version, 2);
});

const CONSUMER_CJS = `
const { createMigrator, check, MigrateError, ConnectError, isMigrateError, EXIT, redactUrl } = require('link-migrate');

(async () => {
  const out = {};
  out.classes = typeof createMigrator === 'function' && typeof MigrateError === 'function';
  out.exit = EXIT.usage;
  out.redacted = redactUrl('postgres://u:s3cret@db:5432/x');
  out.pkgVersion = require('link-migrate/package.json').version;
  out.schema = require('link-migrate/schemas/status.schema.json').$id;
  const dir = require('node:path').join(__dirname, 'migrations');
  const m = createMigrator({ dir, service: 'pack-cjs', url: process.env.DATABASE_URL });
  try {
    out.before = (await m.status()).pending;
    out.applied = (await m.up()).results.map((x) => x.name);
    out.after = (await m.status()).currentVersion;
  } finally {
    await m.close();
  }
  // The error classes of the CommonJS build are MigrateErrors for the ESM build too (a Symbol brand).
  const bad = createMigrator({ dir, service: 'pack-cjs', url: 'postgres://u:s3cret@127.0.0.1:1/nodb' });
  try {
    await bad.status();
  } catch (e) {
    const esm = await import('link-migrate');
    out.connect = { cjs: e instanceof ConnectError, is: isMigrateError(e), esmIs: esm.isMigrateError(e), code: e.code, leaks: String(e.message).includes('s3cret') };
  } finally {
    await bad.close();
  }
  // check on the embedded engine needs the optional PGlite, which is not installed: said so.
  try {
    // No server given (DATABASE_URL would pick one): the embedded engine.
    await check({ dir, service: 'pack-cjs', env: {} });
    out.check = 'no error';
  } catch (e) {
    out.check = { code: e.code, message: e.message };
  }
  console.log(JSON.stringify(out));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
`;

test('a CommonJS script require()s link-migrate and runs status() and up(); check names the optional PGlite', async () => {
  const { db, out } = await runConsumer('pack_cjs', 'consumer.cjs', CONSUMER_CJS);
  assert.equal(
    { ...out, check: undefined },
    {
      classes: true,
      exit: 2,
      redacted: 'postgres://u:***@db:5432/x',
      pkgVersion: VERSION,
      schema: 'https://unpkg.com/link-migrate/schemas/status.schema.json',
      before: 2,
      applied: ['001_create_notes', '002_add_notes_tags'],
      after: 2,
      connect: { cjs: true, is: true, esmIs: true, code: 'CONNECT_FAILED', leaks: false },
      check: undefined,
    },
  );
  assert.is(out.check.code, 'CONNECT_FAILED');
  assert.match(out.check.message, 'npm install @electric-sql/pglite');
  const [row] = await db.sql<{ version: number }[]>`select version::int as version from schema_versions where service = 'pack-cjs'`;
  assert.is(row?.version, 2);
});

test('the published types check in a NodeNext TypeScript project', async () => {
  assert.ok(state.project, 'npm install ran');
  const project = state.project!;
  const dir = path.join(project, 'typed');
  await mkdir(dir);
  await writeFile(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'es2022',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        types: ['node'],
        typeRoots: [path.join(ROOT, 'node_modules', '@types')],
      },
      include: ['check.ts', 'check-cjs.cts'],
    }),
  );
  await writeFile(
    path.join(dir, 'check.ts'),
    `import { createMigrator, ConnectError, MigrateError, isMigrateError, type StatusResult, type Migrator } from 'link-migrate';
const m: Migrator = createMigrator({ dir: 'migrations', service: 'typed', url: 'postgres://localhost/x' });
const s: Promise<StatusResult> = m.status();
const n: Promise<number> = s.then((r) => r.pending + r.currentVersion);
export function kind(e: unknown): string {
  if (e instanceof ConnectError) return 'connect:' + e.code;
  return isMigrateError(e) ? (e satisfies MigrateError).code : 'other';
}
// @ts-expect-error: dir is required
createMigrator({ service: 'x' });
void n;
`,
  );
  // A CommonJS file resolves the "require" condition: dist/index.d.cts.
  await writeFile(
    path.join(dir, 'check-cjs.cts'),
    `import { createMigrator, type RunResult } from 'link-migrate';
const up: () => Promise<RunResult> = () => createMigrator({ dir: 'migrations', service: 'typed' }).up();
export = up;
`,
  );
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  // The consumer project has its own package.json ("type": "module"): check.ts is ESM.
  await writeFile(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  const r = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: dir, env: cleanEnv(), timeoutMs: 120_000 });
  assert.is(r.code, 0, r.output);
});

test('npx link-migrate --version in the project (no download)', async () => {
  assert.ok(state.project, 'npm install ran');
  const project = state.project!;
  const npx = process.env.npm_execpath ? path.join(path.dirname(process.env.npm_execpath), 'npx-cli.js') : '';
  const [cmd, args] = npx && fs.existsSync(npx) ? [process.execPath, [npx]] : ['npx', []];
  const r = ok(
    await run(cmd, [...args, '--no-install', 'link-migrate', '--version'], { cwd: project, env: npmEnv(), timeoutMs: 60_000 }),
    'npx link-migrate --version',
  );
  assert.is(r.stdout.trim(), `link-migrate ${VERSION}`);
  // The bin shipped in the tarball is byte for byte the bundle that was built.
  const shipped = await readFile(path.join(project, 'node_modules/link-migrate/dist/link-migrate.cjs'));
  const built = await readFile(path.join(ROOT, 'dist/link-migrate.cjs'));
  const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  assert.is(digest(shipped), digest(built));
});

test.run();
