// Proves the test helpers themselves work.
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import postgres from 'postgres';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { binPath, cliCommand, cliEnv, runCli, spawnCli } from './cli.js';
import { adminSql, closeAdmin, freshDatabase, testUrl, withUrlDatabase } from './db.js';
import { migrationsDir, tmpDir, writeMigrations } from './tmp.js';

// ------------------------------------------------------------------- db

const db = suite('db helpers');
db.after(async () => {
  await closeAdmin();
});

db('testUrl() returns the server URL', () => {
  const u = new URL(testUrl());
  assert.match(u.protocol, /^postgres(ql)?:$/);
  assert.ok(u.hostname.length > 0);
});

db('withUrlDatabase() replaces only the database name', () => {
  const url = 'postgres://postgres:p%40ss%3Aw%2Frd%25x%23%3F@127.0.0.1:5433/postgres?sslmode=disable';
  const out = withUrlDatabase(url, 'lm_other');
  const u = new URL(out);
  assert.is(u.pathname, '/lm_other');
  assert.is(decodeURIComponent(u.password), 'p@ss:w/rd%x#?');
  assert.is(u.username, 'postgres');
  assert.is(u.host, '127.0.0.1:5433');
  assert.is(u.searchParams.get('sslmode'), 'disable');
});

db('the runner-managed server uses password auth with a password that needs escaping', async () => {
  if (!process.env.TEST_PG_DATA) return; // external server: its auth is not ours to check
  const pw = process.env.TEST_PG_PASSWORD;
  assert.type(pw, 'string');
  assert.is(decodeURIComponent(new URL(testUrl()).password), pw);
  assert.ok(/[@:/%]/.test(pw ?? ''), 'password contains characters that must be %-escaped');
  const u = new URL(testUrl());
  u.password = 'wrong';
  const bad = postgres(u.toString(), { max: 1, onnotice: () => {} });
  try {
    await bad`select 1`;
    assert.unreachable('login with a wrong password must fail');
  } catch (err) {
    assert.is((err as { code?: string }).code, '28P01');
  } finally {
    await bad.end({ timeout: 1 });
  }
  const [row] = await adminSql()<{ max: string; fsync: string }[]>`
    select current_setting('max_connections') as max, current_setting('fsync') as fsync`;
  assert.is(row?.max, '300');
  assert.is(row?.fsync, 'off');
});

db('freshDatabase() creates a usable database and drop() removes it', async () => {
  const fresh = await freshDatabase('infra');
  assert.match(fresh.name, /^lm_infra_[0-9a-f]{10}$/);
  assert.is(new URL(fresh.url).pathname, '/' + fresh.name);
  const [cur] = await fresh.sql<{ db: string }[]>`select current_database() as db`;
  assert.is(cur?.db, fresh.name);
  await fresh.sql`create table t (id int primary key, v text)`;
  await fresh.sql`insert into t values (1, 'a'), (2, 'b')`;
  const [cnt] = await fresh.sql<{ n: number }[]>`select count(*)::int as n from t`;
  assert.is(cnt?.n, 2);

  // An open session elsewhere must not prevent drop (WITH (FORCE)).
  const other = postgres(fresh.url, { max: 1, onnotice: () => {} });
  await other`select 1`;

  const exists = async () =>
    (await adminSql()<{ n: number }[]>`select count(*)::int as n from pg_database where datname = ${fresh.name}`)[0]?.n;
  assert.is(await exists(), 1);
  await fresh.drop();
  assert.is(await exists(), 0);
  await fresh.drop(); // idempotent
  await other.end({ timeout: 1 }).catch(() => undefined);
});

db('freshDatabase() names are unique and prefixes are sanitized', async () => {
  const [a, b] = await Promise.all([freshDatabase('Same Prefix!'), freshDatabase('Same Prefix!')]);
  try {
    assert.ok(a && b);
    assert.is.not(a.name, b.name);
    assert.match(a.name, /^lm_same_prefix_[0-9a-f]{10}$/);
  } finally {
    await Promise.all([a.drop(), b.drop()]);
  }
});

db.run();

// ------------------------------------------------------------------ cli

const cli = suite('cli helpers');

const FAKE_BIN = `
const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  process.stdout.write(JSON.stringify({ argv: process.argv.slice(2), env: process.env, cwd: process.cwd(), stdin: Buffer.concat(chunks).toString() }));
  process.stderr.write('to stderr');
  process.exitCode = Number(process.env.FAKE_EXIT || 0);
});
`;

async function withFakeBin<T>(fn: (bin: string) => Promise<T>): Promise<T> {
  const dir = await tmpDir('lm-fakebin-');
  const bin = path.join(dir, 'fake-cli.cjs');
  await writeMigrations(dir, { 'fake-cli.cjs': FAKE_BIN });
  const saved = process.env.LINK_MIGRATE_BIN;
  process.env.LINK_MIGRATE_BIN = bin;
  try {
    return await fn(bin);
  } finally {
    if (saved === undefined) delete process.env.LINK_MIGRATE_BIN;
    else process.env.LINK_MIGRATE_BIN = saved;
  }
}

cli('binPath() defaults to dist/link-migrate.cjs and honours LINK_MIGRATE_BIN', async () => {
  const saved = process.env.LINK_MIGRATE_BIN;
  delete process.env.LINK_MIGRATE_BIN;
  try {
    assert.ok(binPath().endsWith(path.join('dist', 'link-migrate.cjs')));
    assert.ok(path.isAbsolute(binPath()));
  } finally {
    if (saved !== undefined) process.env.LINK_MIGRATE_BIN = saved;
  }
  await withFakeBin(async (bin) => assert.is(binPath(), bin));
});

cli('cliCommand() runs JS files with node and binaries directly', () => {
  assert.equal(cliCommand(['up', '-dry-run'], '/x/link-migrate.cjs'), {
    command: process.execPath,
    args: ['/x/link-migrate.cjs', 'up', '-dry-run'],
  });
  assert.equal(cliCommand(['status'], '/x/link-migrate.mjs').command, process.execPath);
  assert.equal(cliCommand(['status'], '/usr/local/bin/migrate'), { command: '/usr/local/bin/migrate', args: ['status'] });
});

cli('cliEnv() strips connection, migrate, test and colour variables', () => {
  const env = cliEnv(
    { EXTRA: 'x', KEEP: undefined, DATABASE_URL: 'postgres://explicit' },
    {
      PATH: '/bin',
      KEEP: 'removed by undefined',
      PGHOST: 'h', PGPASSWORD: 'secret', DB_HOST: 'h', DB_PASSWORD: 's',
      DATABASE_URL: 'postgres://leak', MIGRATE_DIR: 'd', MIGRATE_SERVICE: 's',
      TEST_DATABASE_URL: 't', TEST_PG_PASSWORD: 'p', NO_COLOR: '1', FORCE_COLOR: '0',
      HOME: '/root', DBX: 'kept (no underscore)',
    },
  );
  assert.equal(env, {
    PATH: '/bin',
    HOME: '/root',
    DBX: 'kept (no underscore)',
    CI: 'true',
    EXTRA: 'x',
    DATABASE_URL: 'postgres://explicit',
  });
});

cli('runCli() passes args, cwd and stdin, returns exit code and output, and cleans the env', async () => {
  await withFakeBin(async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { DATABASE_URL: 'postgres://u:leak@h/db', PGHOST: 'leak', DB_NAME: 'leak', MIGRATE_SERVICE: 'leak' });
    try {
      const cwd = await tmpDir();
      const res = await runCli(['up', '--dry-run', 'with space'], {
        cwd,
        input: 'hello\n',
        env: { FAKE_EXIT: '3', DB_HOST: 'given' },
      });
      assert.is(res.code, 3);
      assert.is(res.stderr, 'to stderr');
      assert.is(res.timedOut, false);
      const out = JSON.parse(res.stdout) as { argv: string[]; env: Record<string, string>; cwd: string; stdin: string };
      assert.equal(out.argv, ['up', '--dry-run', 'with space']);
      assert.is(out.stdin, 'hello\n');
      assert.is(out.cwd, cwd);
      assert.is(out.env.CI, 'true');
      assert.is(out.env.DB_HOST, 'given');
      assert.is(out.env.FAKE_EXIT, '3');
      for (const k of ['DATABASE_URL', 'PGHOST', 'DB_NAME', 'MIGRATE_SERVICE', 'TEST_DATABASE_URL', 'NO_COLOR', 'FORCE_COLOR']) {
        assert.not.ok(k in out.env, `${k} must not reach the CLI`);
      }
      const noInput = await runCli([]);
      assert.is(noInput.code, 0);
      assert.is((JSON.parse(noInput.stdout) as { stdin: string }).stdin, '');
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });
});

cli('runCli() kills a CLI that runs past timeoutMs', async () => {
  await withFakeBin(async () => {
    // runCli always closes stdin, so hang on a timer instead.
    const dir = await tmpDir();
    await writeMigrations(dir, { 'hang.js': 'setTimeout(() => {}, 60000)' });
    process.env.LINK_MIGRATE_BIN = path.join(dir, 'hang.js');
    const t0 = Date.now();
    const res = await runCli([], { timeoutMs: 300 });
    assert.ok(Date.now() - t0 < 10_000);
    assert.is(res.timedOut, true);
    assert.is(res.code, null);
    assert.is(res.signal, 'SIGKILL');
  });
});

cli('spawnCli() returns a process the test can signal', async () => {
  const dir = await tmpDir();
  await writeMigrations(dir, { 'wait.mjs': "process.stdout.write('ready'); setTimeout(() => {}, 60000);" });
  const saved = process.env.LINK_MIGRATE_BIN;
  process.env.LINK_MIGRATE_BIN = path.join(dir, 'wait.mjs');
  try {
    const child = spawnCli(['up']);
    await new Promise<void>((resolve) => child.stdout?.once('data', () => resolve()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, s) => resolve(s)));
    assert.ok(child.kill('SIGTERM'));
    assert.is(await exited, 'SIGTERM');
  } finally {
    if (saved === undefined) delete process.env.LINK_MIGRATE_BIN;
    else process.env.LINK_MIGRATE_BIN = saved;
  }
});

cli.run();

// ------------------------------------------------------------------ tmp

const tmp = suite('tmp helpers');

tmp('tmpDir() makes distinct empty directories', async () => {
  const [a, b] = await Promise.all([tmpDir(), tmpDir('custom-')]);
  assert.is.not(a, b);
  assert.ok((await stat(a)).isDirectory());
  assert.equal(await readdir(a), []);
  assert.ok(path.basename(b).startsWith('custom-'));
});

tmp('writeMigrations() writes strings and buffers exactly, creating subdirectories', async () => {
  const dir = await tmpDir();
  const bom = Buffer.from([0xef, 0xbb, 0xbf, ...Buffer.from('select 1;\r\n')]);
  await writeMigrations(dir, {
    '001_init.up.sql': 'create table a (id int);',
    '001_init.down.sql': 'drop table a;\r\n',
    '002_bom.up.sql': bom,
    'svc/migrations/003_nested.up.sql': 'select 3;',
  });
  assert.is(await readFile(path.join(dir, '001_init.up.sql'), 'utf8'), 'create table a (id int);');
  assert.is(await readFile(path.join(dir, '001_init.down.sql'), 'utf8'), 'drop table a;\r\n');
  assert.ok((await readFile(path.join(dir, '002_bom.up.sql'))).equals(bom));
  assert.is(await readFile(path.join(dir, 'svc', 'migrations', '003_nested.up.sql'), 'utf8'), 'select 3;');
  assert.equal((await readdir(dir)).sort(), ['001_init.down.sql', '001_init.up.sql', '002_bom.up.sql', 'svc']);
});

tmp('migrationsDir() returns a new directory holding the files', async () => {
  const dir = await migrationsDir({ '001_a.up.sql': 'select 1;', '001_a.down.sql': 'select 2;' });
  assert.equal((await readdir(dir)).sort(), ['001_a.down.sql', '001_a.up.sql']);
  assert.equal(await readdir(await migrationsDir()), []);
});

tmp.run();
