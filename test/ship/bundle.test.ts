// SPEC 10: `npm run build` writes one executable JS file with every
// dependency inside, that runs on Node >= 20 from an empty directory with no
// node_modules. Copied alone into a temp dir under two names, it must answer
// --version and --help and migrate a fresh database.
import { chmod, copyFile, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { closeAdmin, freshDatabase, type FreshDatabase } from '../helpers/db.js';
import { assertJsonOutput } from '../helpers/json-output.js';
import { tmpDir, writeMigrations } from '../helpers/tmp.js';
import { BUNDLE, ROOT, VERSION, cleanEnv, nodeModulesAbove, ok, run, tree } from './support.js';

const test = suite('bundle');
const dbs: FreshDatabase[] = [];

test.after(async () => {
  for (const db of dbs.splice(0)) await db.drop().catch(() => undefined);
  await closeAdmin();
});

const MIGRATIONS = {
  'migrations/001_create_widgets.up.sql': 'CREATE TABLE widgets (id bigserial PRIMARY KEY, name text NOT NULL);\n',
  'migrations/001_create_widgets.down.sql': 'DROP TABLE widgets;\n',
  'migrations/002_add_widget_price.up.sql':
    "ALTER TABLE widgets ADD COLUMN price numeric(10,2) NOT NULL DEFAULT 0 CHECK (price >= 0);\nCOMMENT ON COLUMN widgets.price IS 'in EUR';\n",
  'migrations/002_add_widget_price.down.sql': 'ALTER TABLE widgets DROP COLUMN price;\n',
};

/** A temp dir (under os.tmpdir(), no node_modules above) holding only the bundle, as `name`. */
async function lonelyBundle(name: string): Promise<{ dir: string; exe: string }> {
  const dir = await tmpDir('lm-bundle-');
  const exe = path.join(dir, name);
  await copyFile(BUNDLE, exe);
  await chmod(exe, (await stat(BUNDLE)).mode & 0o777);
  return { dir, exe };
}

test('dist/link-migrate.cjs starts with a node shebang and is executable', async () => {
  const head = (await readFile(BUNDLE, 'utf8')).split('\n', 1)[0];
  assert.is(head, '#!/usr/bin/env node');
  const mode = (await stat(BUNDLE)).mode;
  assert.ok((mode & 0o111) === 0o111, `mode ${(mode & 0o777).toString(8)} is executable by everyone`);
});

test('the bundle needs nothing from the repository (no require of an external package, no absolute repo path)', async () => {
  const src = await readFile(BUNDLE, 'utf8');
  assert.not.ok(src.includes(ROOT + '/'), `the bundle mentions ${ROOT}/`);
  // Only node: built-ins may be required at run time; every other module is inside.
  const required = new Set<string>();
  for (const m of src.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)) required.add(m[1]!);
  const { builtinModules } = await import('node:module');
  const builtins = new Set(builtinModules.flatMap((b) => [b, `node:${b}`]));
  const foreign = [...required].filter((r) => !builtins.has(r) && !r.startsWith('node:'));
  assert.equal(foreign, [], `requires outside the bundle: ${foreign.join(', ')}`);
});

for (const name of ['migrate', 'link-migrate']) {
  test(`copied alone as ./${name}: --version, --help, status and up against a fresh database`, async () => {
    const { dir, exe } = await lonelyBundle(name);
    assert.is(nodeModulesAbove(dir), null, `${dir} must have no node_modules above it`);
    assert.equal(await tree(dir), [name]);

    // Run directly through the shebang, as a user would.
    const version = ok(await run(`./${name}`, ['--version'], { cwd: dir, env: cleanEnv() }), '--version');
    assert.is(version.stdout.trim(), `link-migrate ${VERSION}`);
    assert.is(version.stderr, '');

    const help = ok(await run(exe, ['--help'], { cwd: dir, env: cleanEnv() }), '--help');
    assert.match(help.stdout, /Usage/);
    for (const cmd of ['up', 'down', 'status', 'verify', 'generate', 'mark', 'repair']) {
      assert.match(help.stdout, new RegExp(`^\\s+${cmd}\\b`, 'm'), `--help lists ${cmd}`);
    }
    assert.match(help.stdout, /--database-url/);

    const db = await freshDatabase(`bundle_${name}`);
    dbs.push(db);
    await writeMigrations(dir, MIGRATIONS);
    const env = cleanEnv({ DATABASE_URL: db.url, MIGRATE_SERVICE: 'bundle-svc' });

    const before = await run(`./${name}`, ['status'], { cwd: dir, env });
    assert.is(before.code, 0, before.output);
    assert.match(before.output, /001_create_widgets/);
    assert.match(before.output, /002_add_widget_price/);
    assert.match(before.output, /pending/i);

    const up = ok(await run(`./${name}`, ['up'], { cwd: dir, env }), 'up');
    assert.match(up.output, /Successfully applied migration 001_create_widgets/);
    assert.match(up.output, /Successfully applied migration 002_add_widget_price/);
    assert.match(up.output, /All migrations completed successfully/);
    assert.not.ok(up.output.includes(new URL(db.url).password), 'the password is never printed');

    const [col] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from information_schema.columns
      where table_name = 'widgets' and column_name in ('id', 'name', 'price')`;
    assert.is(col?.n, 3);

    const json = ok(await run(`./${name}`, ['status', '--json'], { cwd: dir, env }), 'status --json');
    assertJsonOutput(['status', '--json'], json);
    const status = JSON.parse(json.stdout) as { service: string; currentVersion: number; pending: number };
    assert.is(status.service, 'bundle-svc');
    assert.is(status.currentVersion, 2);
    assert.is(status.pending, 0);

    const again = ok(await run(`./${name}`, ['up'], { cwd: dir, env }), 'second up');
    assert.match(again.output, /Found 0 pending migrations/);

    // Nothing was written next to the bundle but the migrations we put there.
    assert.equal(await tree(dir), [
      name,
      'migrations/',
      ...Object.keys(MIGRATIONS).sort(),
    ]);
  });
}

// The layout (build.config.ts): a head, the code as comment lines, then one
// comment with the files of check and lint (libpg-query also parses every
// pending file before `up` changes anything). A copy cut just before them
// still answers --version, status and a no-op up; what needs them says in
// one line what is missing and changes nothing.
test('a copy cut before the embedded files: --version, status and a no-op up work; up with work, lint and check name what is lost', async () => {
  const { dir, exe } = await lonelyBundle('migrate');
  const full = await readFile(exe);
  const at = full.lastIndexOf('/*! link-migrate:assets ');
  assert.ok(at > 0, 'the bundle ends with its assets comment');
  await writeFile(exe, full.subarray(0, at));
  const version = ok(await run('./migrate', ['--version'], { cwd: dir, env: cleanEnv() }), '--version');
  assert.is(version.stdout.trim(), `link-migrate ${VERSION}`);

  const db = await freshDatabase('bundle_cut');
  dbs.push(db);
  await writeMigrations(dir, MIGRATIONS);
  const env = cleanEnv({ DATABASE_URL: db.url, MIGRATE_SERVICE: 'cut-svc' });
  assert.match(ok(await run('./migrate', ['status'], { cwd: dir, env }), 'status').output, /pending/i);
  const cutUp = await run('./migrate', ['up'], { cwd: dir, env });
  assert.is(cutUp.code, 1, cutUp.output);
  assert.match(cutUp.stderr, /lost lint's parser .*reinstall it/);
  const [none] = await db.sql<{ none: boolean }[]>`select to_regclass('widgets') is null as none`;
  assert.ok(none?.none, 'nothing was applied');
  const up = ok(await run(process.execPath, [BUNDLE, 'up'], { cwd: dir, env }), 'up with the whole bundle');
  assert.match(up.output, /Successfully applied migration 002_add_widget_price/);
  assert.match(ok(await run('./migrate', ['up'], { cwd: dir, env }), 'no-op up').output, /Found 0 pending migrations/);

  const lint = await run('./migrate', ['lint'], { cwd: dir, env: cleanEnv({ MIGRATE_SERVICE: 'cut-svc' }) });
  assert.is(lint.code, 1, lint.output);
  assert.match(lint.stderr, /lost lint's parser .*reinstall it/);
  const check = await run('./migrate', ['check'], { cwd: dir, env: cleanEnv({ MIGRATE_SERVICE: 'cut-svc' }) });
  assert.is(check.code, 1, check.output);
  assert.match(check.stderr, /lost its embedded engine/);
});

test('a copy whose code was damaged says so in one line, exit 1', async () => {
  const { dir, exe } = await lonelyBundle('migrate');
  const full = await readFile(exe);
  // One byte removed from the head's comment lines: the code is no longer where the head says.
  const cut = full.indexOf('\n', 30);
  await writeFile(exe, Buffer.concat([full.subarray(0, cut - 1), full.subarray(cut)]));
  assert.is(ok(await run('./migrate', ['--version'], { cwd: dir, env: cleanEnv() }), '--version').stdout.trim(), `link-migrate ${VERSION}`);
  const r = await run('./migrate', ['status', '--dir', '.', '--service', 'x'], { cwd: dir, env: cleanEnv() });
  assert.is(r.code, 1, r.output);
  assert.match(r.stderr, /this copy of link-migrate is damaged .*reinstall it/);
});

/** Where the head says the code and its code cache are: `const start = N, length = N, cached = N;`. */
function codePlace(bundle: Buffer): { start: number; length: number; cached: number } {
  const m = /const start = +(\d+), length = +(\d+), cached = +(\d+);/.exec(bundle.subarray(0, 4096).toString('latin1'));
  if (!m) throw new Error('the head does not say where the code is');
  return { start: Number(m[1]), length: Number(m[2]), cached: Number(m[3]) };
}

test('the code cache after the code is one the Node that built the bundle accepts (else every start compiles 0.4 MB)', async () => {
  const full = await readFile(BUNDLE);
  const { start, length, cached } = codePlace(full);
  const code = full.toString('latin1', start, start + length).replace(/^\/\//gm, '');
  const line = full.toString('latin1', start + length, start + length + cached);
  assert.match(line, /^\/\/[A-Za-z0-9+/]+=*\n$/);
  const { compileFunction } = await import('node:vm');
  const fn = compileFunction(code, ['require', '__filename', '__dirname', '__lmAssetsAt'], {
    cachedData: Buffer.from(line.slice(2, -1), 'base64'),
  }) as { cachedDataRejected?: boolean };
  assert.is(fn.cachedDataRejected, false);
});

test('a copy whose code cache was damaged runs as without one', async () => {
  const { dir, exe } = await lonelyBundle('migrate');
  const full = await readFile(exe);
  const { start, length, cached } = codePlace(full);
  // Still base64, other bytes: only the head's checksum can tell.
  for (let at = start + length + 100; at < start + length + cached - 100; at += 997) full[at] = full[at] === 0x41 ? 0x42 : 0x41;
  await writeFile(exe, full);
  const help = ok(await run('./migrate', ['--help'], { cwd: dir, env: cleanEnv() }), '--help');
  assert.match(help.stdout, /Usage/);
  const db = await freshDatabase('bundle_cache');
  dbs.push(db);
  await writeMigrations(dir, MIGRATIONS);
  const env = cleanEnv({ DATABASE_URL: db.url, MIGRATE_SERVICE: 'cache-svc' });
  assert.match(ok(await run('./migrate', ['up'], { cwd: dir, env }), 'up').output, /Successfully applied migration 002_add_widget_price/);
  assert.match(ok(await run('./migrate', ['up'], { cwd: dir, env }), 'no-op up').output, /Found 0 pending migrations/);
});

test('runs with plain `node FILE` from another directory, and under a "type": "module" package.json', async () => {
  const { dir, exe } = await lonelyBundle('migrate');
  const other = await tmpDir('lm-bundle-cwd-');
  const viaNode = ok(await run(process.execPath, [exe, '--version'], { cwd: other, env: cleanEnv() }), 'node migrate --version');
  assert.is(viaNode.stdout.trim(), `link-migrate ${VERSION}`);
  // An ESM project around the extensionless file must not turn it into ESM.
  await writeFile(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  for (const args of [['--version'], ['--help']]) {
    const r = ok(await run('./migrate', args, { cwd: dir, env: cleanEnv() }), `migrate ${args[0]} under type: module`);
    assert.ok(r.stdout.length > 0);
  }
  const noDb = await run('./migrate', ['status', '--dir', '.', '--service', 'x'], {
    cwd: dir,
    env: cleanEnv({ DATABASE_URL: 'postgres://nobody:secret@127.0.0.1:1/none' }),
  });
  assert.is(noDb.code, 1, noDb.output);
  assert.match(noDb.stderr, /cannot connect to database "none" on 127\.0\.0\.1:1/);
  assert.not.match(noDb.output, /secret/);
});

test.run();
