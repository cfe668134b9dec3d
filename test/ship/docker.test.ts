// examples/docker/entrypoint.sh (SPEC 10): `./migrate up --wait 60 && exec
// ./main`. Laid out as the Dockerfile lays out /app, in a temp dir: the
// entrypoint, the bundle as ./migrate, a fake ./main and the migrations.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { chmod, chown, copyFile, cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { closeAdmin, freshDatabase, type FreshDatabase } from '../helpers/db.js';
import { tmpDir, writeMigrations } from '../helpers/tmp.js';
import { BUNDLE, IS_ROOT, ROOT, cleanEnv, freePort, ok, run, sleep, tree, until, type RunResult } from './support.js';

const DOCKER = path.join(ROOT, 'examples', 'docker');
const FIXTURE = path.join(ROOT, 'fixtures', 'discovery-svc', 'migrations');
const test = suite('docker entrypoint');
const dbs: FreshDatabase[] = [];

/** The late server's cluster: stopped and removed in `after`. */
let late: { dir: string; data: string; pgBin: string } | null = null;

function pgBin(): string {
  const dir = process.env.TEST_PG_BIN || '/usr/lib/postgresql/15/bin';
  if (!fs.existsSync(path.join(dir, 'initdb'))) throw new Error(`no initdb in ${dir} (set TEST_PG_BIN)`);
  return dir;
}

/** A PostgreSQL tool, as the `postgres` OS user when we are root (as test/run.mjs does). */
function pg(tool: string, args: string[], cwd: string, timeoutMs = 90_000): Promise<RunResult> {
  const exe = path.join(late?.pgBin ?? pgBin(), tool);
  return IS_ROOT ? run('runuser', ['-u', 'postgres', '--', exe, ...args], { cwd, timeoutMs }) : run(exe, args, { cwd, timeoutMs });
}

async function stopLate(): Promise<void> {
  const c = late;
  late = null;
  if (!c) return;
  if (fs.existsSync(path.join(c.data, 'postmaster.pid'))) {
    const exe = path.join(c.pgBin, 'pg_ctl');
    const args = ['-D', c.data, '-m', 'immediate', '-w', '-t', '30', 'stop'];
    const r = IS_ROOT
      ? await run('runuser', ['-u', 'postgres', '--', exe, ...args], { cwd: c.dir })
      : await run(exe, args, { cwd: c.dir });
    if (r.code !== 0) console.log(`pg_ctl stop of the late server failed:\n${r.output}`);
  }
  fs.rmSync(c.dir, { recursive: true, force: true, maxRetries: 3 });
}

test.after(async () => {
  await stopLate();
  for (const db of dbs.splice(0)) await db.drop().catch(() => undefined);
  await closeAdmin();
});

const FAKE_MAIN = `#!/bin/sh
# Stand-in for the service: proves it ran, with which pid and arguments.
printf 'pid=%s args=%s\\n' "$$" "$*" > main.marker
echo "service started"
`;

/** /app as the Dockerfile builds it, in a temp dir. */
async function app(migrations: Record<string, string> | 'fixture'): Promise<string> {
  const dir = await tmpDir('lm-app-');
  await copyFile(path.join(DOCKER, 'entrypoint.sh'), path.join(dir, 'entrypoint.sh'));
  await copyFile(BUNDLE, path.join(dir, 'migrate'));
  await writeFile(path.join(dir, 'main'), FAKE_MAIN);
  if (migrations === 'fixture') await cp(FIXTURE, path.join(dir, 'migrations'), { recursive: true });
  else await writeMigrations(path.join(dir, 'migrations'), migrations);
  for (const f of ['entrypoint.sh', 'migrate', 'main']) await chmod(path.join(dir, f), 0o755);
  return dir;
}

/**
 * Starts the entrypoint from another directory (it must cd to its own),
 * stdout and stderr in one pipe so their order is the order of events.
 */
function entrypoint(dir: string, env: Record<string, string>, opts: { args?: string[]; onOutput?: (c: string, all: string) => void } = {}) {
  return run('sh', ['-c', 'exec "$0" "$@" 2>&1', path.join(dir, 'entrypoint.sh'), ...(opts.args ?? [])], {
    cwd: ROOT,
    env: cleanEnv({ MIGRATE_SERVICE: 'discovery-svc', ...env }),
    timeoutMs: 120_000,
    onOutput: opts.onOutput,
  });
}

const lines = (s: string) => s.split('\n').map((l) => l.trim()).filter(Boolean);

test('the Dockerfile copies the bundle as ./migrate and uses entrypoint.sh', async () => {
  const dockerfile = await readFile(path.join(DOCKER, 'Dockerfile'), 'utf8');
  assert.match(dockerfile, /^COPY dist\/link-migrate\.cjs \.\/migrate$/m);
  assert.match(dockerfile, /^ENTRYPOINT \["\.\/entrypoint\.sh"\]$/m);
  const entry = await readFile(path.join(DOCKER, 'entrypoint.sh'), 'utf8');
  assert.match(entry, /^#!\/bin\/sh\n/);
  assert.match(entry, /\.\/migrate up --wait "\$\{MIGRATE_WAIT:-60\}" && exec \.\/main "\$@"/);
  for (const src of ['dist/link-migrate.cjs', 'fixtures/discovery-svc/migrations', 'examples/docker/entrypoint.sh', 'examples/docker/main.sh']) {
    assert.ok(dockerfile.includes(`COPY ${src} `), `Dockerfile copies ${src}`);
    assert.ok(fs.existsSync(path.join(ROOT, src)), `${src} exists`);
  }
});

test('migrations are applied, then main runs in its place (exec), with the arguments', async () => {
  const dir = await app('fixture');
  const db = await freshDatabase('docker');
  dbs.push(db);
  const r = await entrypoint(dir, { DATABASE_URL: db.url }, { args: ['--port', '8080'] });
  assert.is(r.code, 0, r.output);
  const out = lines(r.output);
  const applied = out.filter((l) => /Successfully applied migration /.test(l));
  const files = fs.readdirSync(FIXTURE).filter((f) => /\.up\.sql$/.test(f) || /_up\.sql$/.test(f));
  assert.is(applied.length, files.length, r.output);
  // Every migration line, then the done line, then the service: nothing after it.
  const done = out.findIndex((l) => /All migrations completed successfully/.test(l));
  assert.ok(done > out.lastIndexOf(applied[applied.length - 1]!), r.output);
  assert.is(out[out.length - 1], 'service started');
  assert.is(out.indexOf('service started'), out.length - 1);
  assert.ok(done < out.length - 1);
  // exec: main has the entrypoint's pid; "$@" reached it.
  const marker = await readFile(path.join(dir, 'main.marker'), 'utf8');
  assert.is(marker, `pid=${r.pid} args=--port 8080\n`);
  const [v] = await db.sql<{ n: number }[]>`select count(*)::int as n from migration_records where service = 'discovery-svc'`;
  assert.is(v?.n, files.length);

  // A restart (another replica, or the same container again): nothing to do, main runs.
  await fs.promises.rm(path.join(dir, 'main.marker'));
  const again = await entrypoint(dir, { DATABASE_URL: db.url });
  assert.is(again.code, 0, again.output);
  assert.match(again.output, /Found 0 pending migrations/);
  assert.is(lines(again.output).pop(), 'service started');
  assert.ok(fs.existsSync(path.join(dir, 'main.marker')));
});

test('a failing migration: the entrypoint exits 1 and main does not run', async () => {
  const dir = await app({
    '001_create_things.up.sql': 'CREATE TABLE things (id int PRIMARY KEY);\n',
    '001_create_things.down.sql': 'DROP TABLE things;\n',
    '002_broken.up.sql': 'ALTER TABLE no_such_table ADD COLUMN x int;\n',
    '002_broken.down.sql': 'SELECT 1;\n',
  });
  const db = await freshDatabase('docker_fail');
  dbs.push(db);
  const r = await entrypoint(dir, { DATABASE_URL: db.url });
  assert.is(r.code, 1, r.output);
  assert.match(r.output, /Successfully applied migration 001_create_things/);
  assert.match(r.output, /no_such_table/);
  assert.not.match(r.output, /service started/);
  assert.not.ok(fs.existsSync(path.join(dir, 'main.marker')), 'main must not run');
  const [t] = await db.sql<{ n: number }[]>`select count(*)::int as n from pg_class where relname = 'things'`;
  assert.is(t?.n, 1);
});

test('no server at all: the entrypoint gives up after MIGRATE_WAIT seconds, exit 1, main does not run', async () => {
  const dir = await app({ '001_a.up.sql': 'SELECT 1;\n', '001_a.down.sql': 'SELECT 1;\n' });
  const port = await freePort();
  const t0 = Date.now();
  const r = await entrypoint(dir, { DATABASE_URL: `postgres://postgres:secret@127.0.0.1:${port}/postgres`, MIGRATE_WAIT: '2' });
  const ms = Date.now() - t0;
  assert.is(r.code, 1, r.output);
  assert.match(r.output, /Waiting for the database/);
  assert.match(r.output, new RegExp(`cannot connect to database "postgres" on 127\\.0\\.0\\.1:${port} as user "postgres": connection refused.*\\(waited \\d+s\\)`));
  assert.ok(ms >= 1500 && ms < 30_000, `gave up after ${ms} ms`);
  assert.not.match(r.output, /secret/);
  assert.not.ok(fs.existsSync(path.join(dir, 'main.marker')));
});

test('a server that starts late: the entrypoint waits, then migrates and starts main', async () => {
  // A second cluster, initialised but not started.
  const bin = pgBin();
  const dir = await tmpDir('lm-latepg-');
  const data = path.join(dir, 'data');
  const sock = path.join(dir, 'sock');
  await mkdir(sock);
  if (IS_ROOT) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    await chown(dir, uid, gid);
    await chown(sock, uid, gid);
  }
  late = { dir, data, pgBin: bin };
  const init = await pg(
    'initdb',
    ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync', '--no-instructions'],
    dir,
  );
  ok(init, 'initdb');
  const port = await freePort();
  await fs.promises.appendFile(
    path.join(data, 'postgresql.conf'),
    [
      '',
      "listen_addresses = '127.0.0.1'",
      `port = ${port}`,
      `unix_socket_directories = '${sock}'`,
      'fsync = off',
      'logging_collector = off',
      '',
    ].join('\n'),
  );

  const app1 = await app('fixture');
  let output = '';
  const t0 = Date.now();
  const pending = entrypoint(
    app1,
    { DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/postgres`, MIGRATE_WAIT: '30' },
    { onOutput: (_c, all) => (output = all) },
  );
  // ~3 s of connection refused, reported while it waits.
  await until(() => /Waiting for the database/.test(output), 10_000, 'a waiting line');
  await sleep(Math.max(0, 3000 - (Date.now() - t0)));
  assert.not.match(output, /service started/);
  const start = await pg('pg_ctl', ['-D', data, '-l', path.join(dir, 'postgres.log'), '-w', '-t', '60', 'start'], dir);
  if (start.code !== 0) {
    const log = fs.existsSync(path.join(dir, 'postgres.log')) ? await readFile(path.join(dir, 'postgres.log'), 'utf8') : '';
    // The port may have been taken since freePort(): say so rather than hang.
    throw new Error(`pg_ctl start failed:\n${start.output}\n${log}`);
  }
  const r = await pending;
  const ms = Date.now() - t0;
  console.log(`late server: entrypoint done after ${ms} ms:\n${r.output.trimEnd()}`);
  assert.is(r.code, 0, r.output);
  const out = lines(r.output);
  const waiting = out.filter((l) => /Waiting for the database at .*127\.0\.0\.1:\d+/.test(l));
  assert.ok(waiting.length >= 1, r.output);
  const firstApplied = out.findIndex((l) => /Successfully applied migration /.test(l));
  assert.ok(firstApplied > out.indexOf(waiting[0]!), 'waited before migrating');
  assert.match(r.output, /All migrations completed successfully/);
  assert.is(out[out.length - 1], 'service started');
  assert.ok(fs.existsSync(path.join(app1, 'main.marker')), 'main ran');
  assert.ok(ms >= 3000 && ms < 60_000, `took ${ms} ms`);
  assert.equal(
    (await tree(app1)).filter((p) => p === 'migrations/' || !p.startsWith('migrations/')),
    ['entrypoint.sh', 'main', 'main.marker', 'migrate', 'migrations/'],
  );
  await stopLate();
});

test.run();
