// End-to-end: usage and configuration errors (exit 2, one line naming the
// flag or variable) and invalid migration files (exit 1); in every case the
// database is left exactly as it was, without even the bookkeeping tables.
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { databases, type FreshDatabase } from '../helpers/db.js';
import { tmpDir } from '../helpers/tmp.js';
import { assertExit, lines, recorder, serviceDir, show, snapshot, trackingExists } from './support.js';

const test = suite('cli: usage, configuration and file errors');
const dbs = databases('cli_config');
const { run, assertNoSecrets } = recorder();

let db: FreshDatabase;
let before: string;
let dir: string;
let root: string;

test.before(async () => {
  db = await dbs.fresh();
  before = await snapshot(db.sql);
  ({ root, dir } = await serviceDir('svc', {
    '001_a.up.sql': 'create table a (id int);\n',
    '001_a.down.sql': 'drop table a;\n',
  }));
});

test.after(async () => {
  await dbs.dropAll();
});

/** The shared database is as it was; if not, it is restored (so one failure does not cascade) and the test fails. */
async function untouched(): Promise<void> {
  const now = await snapshot(db.sql);
  if (now === before) return;
  const created = await trackingExists(db.sql);
  await db.sql`drop table if exists migration_records, schema_versions, a, b cascade`;
  assert.unreachable(`the database changed${created ? ': the bookkeeping tables were created' : ''}`);
}

/** Exit 2, nothing on stdout, exactly one stderr line matching `message`, database untouched. */
async function usageError(args: string[], message: RegExp, env: Record<string, string | undefined> = {}, cwd = root): Promise<string> {
  const r = await run(args, { cwd, env: { DATABASE_URL: db.url, ...env } });
  if (r.code !== 2) assert.unreachable(`\`${args.join(' ')}\`: expected exit 2\n${show(r)}`);
  assert.is(r.stdout, '', `stdout of ${args.join(' ')}`);
  const err = lines(r.stderr);
  assert.is(err.length, 1, `one line on stderr for \`${args.join(' ')}\`:\n${r.stderr}`);
  assert.match(err[0]!, /^(\[[^\]]+-migrations\] )?Error: /);
  assert.match(err[0]!, message);
  await untouched();
  return err[0]!;
}

// -------------------------------------------------------------- usage

test('an unknown command: exit 2 naming it and listing the commands', async () => {
  const line = await usageError(['frobnicate', '--dir', dir], /"frobnicate"/);
  assert.match(line, /up, down, status/);
});

test('an unknown flag: exit 2 naming it, also for every command', async () => {
  for (const cmd of ['up', 'down', 'status', 'verify', 'mark', 'repair', 'generate']) {
    await usageError([cmd, '--dir', dir, '--frobnicate'], /--frobnicate/);
  }
  await usageError(['up', '--dir', dir, '-frobnicate=1'], /frobnicate/);
});

test('a mistyped flag is named as typed, with the nearest one', async () => {
  await usageError(['up', '--dir', dir, '--dri-run'], /^Error: unknown flag --dri-run \(did you mean --dry-run\?\)$/);
  await usageError(['down', '--dir', dir, '--stpes', '2'], /^Error: unknown flag --stpes \(did you mean --steps\?\)$/);
  // The legacy form gets the same, in its own single dash.
  await usageError(['-actoin=up', `-dir=${dir}`], /^Error: unknown flag -actoin \(did you mean -action\?\)$/);
  await usageError(['-action=up', `-dir=${dir}`, '-dryrun'], /^Error: unknown flag -dryrun \(did you mean -dry-run\?\)$/);
});

test('a flag of another command: named with the commands that take it', async () => {
  await usageError(['status', '--dir', dir, '--steps', '2'], /^Error: --steps is not an option of status; it is for up, down \(see link-migrate status --help\)$/);
  await usageError(['generate', 'x', '--dir', dir, '--database-url', 'postgres://u@h/d'], /--database-url is not an option of generate/);
  await usageError(['verify', '--dir', dir, '--yes'], /--yes is not an option of verify; it is for down/);
});

test('an unknown command suggests the nearest; other tools\' verbs say what to run', async () => {
  await usageError(['upp', '--dir', dir], /^Error: unknown command "upp"; did you mean "up"\?/);
  await usageError(['stauts', '--dir', dir], /did you mean "status"\?/);
  await usageError(['-action=verfy', `-dir=${dir}`], /unknown command "verfy"; did you mean "verify"\?/);
  await usageError(['create', 'add users', '--dir', dir], /unknown command "create"; in link-migrate: generate "description"/);
  await usageError(['new', 'x', '--dir', dir], /in link-migrate: generate/);
  await usageError(['rollback', '--dir', dir], /unknown command "rollback"; in link-migrate: down rolls back the latest migration/);
  await usageError(['redo', '--dir', dir], /in link-migrate: down, then up --steps 1/);
  await usageError(['force', '3', '--dir', dir], /unknown command "force"; in link-migrate: mark 3 records version 3 as applied/);
  await usageError(['-action=rollback', `-dir=${dir}`], /in link-migrate: down/);
});

test('bad flag values: exit 2 naming the flag', async () => {
  await usageError(['up', '--dir', dir, '--steps', 'abc'], /--steps.*"abc"|"abc".*--steps/);
  await usageError(['up', '--dir', dir, '--steps', '0'], /--steps/);
  await usageError(['down', '--dir', dir, '--steps', '-1'], /--steps/);
  await usageError(['up', '--dir', dir, '--to', '1.5'], /--to/);
  await usageError(['up', '--dir', dir, '--timeout', '10x'], /--timeout.*10x/);
  await usageError(['up', '--dir', dir, '--timeout', '0s'], /--timeout/);
  await usageError(['up', '--dir', dir, '--lock-timeout', 'soon'], /--lock-timeout/);
  await usageError(['up', '--dir', dir, '--wait', 'abc'], /--wait/);
  await usageError(['verify', '--dir', dir, '--format', 'xml'], /--format.*xml/);
  await usageError(['up', '--dir', dir, '--tracking-schema', 'a;b'], /--tracking-schema/);
  await usageError(['up', '--dir', dir, '--steps'], /--steps/);
});

test('flags that do not fit the command: exit 2', async () => {
  await usageError(['status', '--dir', dir, '--dry-run'], /--dry-run/);
  await usageError(['mark', '--dir', dir], /mark/);
  await usageError(['mark', 'abc', '--dir', dir], /abc|version/);
  await usageError(['mark', '--from', 'flyway', '--dir', dir], /--from.*flyway/);
});

test('stray arguments are refused instead of silently running the whole command', async () => {
  await usageError(['up', '3', '--dir', dir], /up.*"3"/);
  await usageError(['down', 'all', '--dir', dir], /down.*"all"/);
  await usageError(['status', 'svc', '--dir', dir], /status/);
});

test('up --to with --steps together: exit 2 before the database is touched', async () => {
  await usageError(['down', '--dir', dir, '--to', '0', '--steps', '2'], /--to.*--steps|--steps.*--to/);
  await usageError(['up', '--dir', dir, '--to', '1', '--steps', '1'], /--to.*--steps|--steps.*--to/);
});

// -------------------------------------------------------- environment

test('bad connection variables: exit 2 naming the variable', async () => {
  const noUrl = { DATABASE_URL: undefined };
  await usageError(['status', '--dir', dir], /DB_PORT.*abc/, { ...noUrl, DB_PORT: 'abc' });
  await usageError(['status', '--dir', dir], /DB_PORT/, { ...noUrl, DB_PORT: '70000' });
  await usageError(['status', '--dir', dir], /DB_SSLMODE.*bogus/, { ...noUrl, DB_SSLMODE: 'bogus' });
  await usageError(['status', '--dir', dir], /PGPORT/, { ...noUrl, PGPORT: 'x' });
  await usageError(['up', '--dir', dir], /DATABASE_URL/, { DATABASE_URL: 'not a url' });
  await usageError(['up', '--dir', dir], /DATABASE_URL/, { DATABASE_URL: 'mysql://u@h/db' });
  await usageError(['up', '--dir', dir, '--database-url', 'postgres://u@h:notaport/db'], /--database-url/);
  await usageError(['up', '--dir', dir, '--database-url', 'postgres://u@h/db?sslmode=sometimes'], /sslmode/);
});

test('a malformed DATABASE_URL holding the password is refused without printing the password', async () => {
  const u = new URL(db.url);
  u.port = '';
  const bad = u.toString().replace('@127.0.0.1', '@127.0.0.1:99999');
  await usageError(['up', '--dir', dir], /DATABASE_URL/, { DATABASE_URL: bad });
});

test('an invalid service name: exit 2 naming --service / MIGRATE_SERVICE', async () => {
  for (const name of ['a"b', "it's", 'a b', 'a;b', 'x'.repeat(200), 'héllo', 'сервис', 'a/b', '']) {
    await usageError(['up', '--dir', dir, '--service', name], /--service/);
  }
  await usageError(['up', '--dir', dir], /MIGRATE_SERVICE/, { MIGRATE_SERVICE: 'drop table;' });
  // Derived from a directory whose name is not a valid service.
  const odd = await serviceDir('bad name', { '001_a.up.sql': 'select 1;\n' });
  await usageError(['up', '--dir', odd.dir], /bad name/);
});

test('a directory that does not exist: exit 2 listing every place tried', async () => {
  const line = await usageError(['up', '--dir', 'nope/migrations'], /nope/);
  assert.ok(line.includes(path.join(root, 'nope', 'migrations')), line);
  const empty = await tmpDir();
  const both = await usageError(['up', '--service', 'ghost-svc'], /ghost-svc/, {}, empty);
  assert.ok(both.includes(path.join(empty, 'migrations')), both);
  assert.ok(both.includes(path.join(empty, 'ghost-svc', 'migrations')), both);
  const none = await usageError(['status'], /migrations/, {}, empty);
  assert.ok(none.includes(path.join(empty, 'migrations')), none);
  await usageError(['up'], /MIGRATE_DIR/, { MIGRATE_DIR: path.join(empty, 'missing') }, empty);
  // A file where a directory is expected.
  await usageError(['up', '--dir', path.join(dir, '001_a.up.sql')], /001_a\.up\.sql/);
});

test('directory and service resolution: --dir > MIGRATE_DIR > ./migrations > ./SERVICE/migrations', async () => {
  const seen = async (args: string[], cwd: string, env: Record<string, string> = {}) => {
    const r = await run(['status', '--json', ...args], { cwd, env: { DATABASE_URL: db.url, ...env } });
    if (r.code !== 0) assert.unreachable(show(r));
    const doc = JSON.parse(r.stdout) as { service: string; migrations: { name: string }[] };
    return `${doc.service}:${doc.migrations.map((m) => m.name).join(',')}`;
  };
  const mono = await tmpDir('lm-mono-');
  const { writeMigrations } = await import('../helpers/tmp.js');
  await writeMigrations(mono, {
    'chat-svc/migrations/001_chat.up.sql': 'select 1;\n',
    'ai-svc/migrations/001_ai.up.sql': 'select 1;\n',
    'ai-svc/migrations/002_ai2_up.sql': 'select 1;\n',
    'sql/007_plain.up.sql': 'select 1;\n',
  });
  assert.is(await seen(['--service', 'chat-svc'], mono), 'chat-svc:001_chat');
  assert.is(await seen(['--dir', 'ai-svc/migrations'], mono), 'ai-svc:001_ai,002_ai2');
  assert.is(await seen([], mono, { MIGRATE_DIR: 'ai-svc/migrations' }), 'ai-svc:001_ai,002_ai2');
  assert.is(await seen(['--dir', 'chat-svc/migrations'], mono, { MIGRATE_DIR: 'ai-svc/migrations' }), 'chat-svc:001_chat');
  assert.is(await seen([], mono, { MIGRATE_SERVICE: 'chat-svc' }), 'chat-svc:001_chat');
  // A directory not named migrations gives its own name; --service overrides the derived name.
  assert.is(await seen(['--dir', 'sql'], mono), 'sql:007_plain');
  assert.is(await seen(['--dir', 'sql', '--service', 'other.svc_1'], mono), 'other.svc_1:007_plain');
  // Inside a service directory, ./migrations is found without flags.
  assert.is(await seen([], path.join(mono, 'ai-svc')), 'ai-svc:001_ai,002_ai2');
  await untouched();
});

// -------------------------------------------------------------- files

/** Exit 1 naming every given file, database untouched, for up, up --dry-run, status and mark. */
async function invalidFiles(files: Record<string, string | Buffer>, names: string[]): Promise<void> {
  const bad = await serviceDir('svc', files);
  for (const args of [['up'], ['up', '--dry-run'], ['down'], ['status'], ['mark', '1']]) {
    const r = await run([...args, '--dir', bad.dir], { env: { DATABASE_URL: db.url } });
    if (r.code !== 1) assert.unreachable(`\`${args.join(' ')}\` with ${names.join(', ')}: expected exit 1\n${show(r)}`);
    assert.not.match(r.stdout, /Successfully|Marked/);
    for (const n of names) assert.ok(r.stderr.includes(n), `${n} named in stderr of ${args.join(' ')}:\n${r.stderr}`);
    assert.match(lines(r.stderr)[0]!, /^\[svc-migrations\] Error: /);
    await untouched();
  }
}

test('two up files with one version, across the two naming formats: exit 1, both names, nothing touched', async () => {
  await invalidFiles(
    { '001_a.up.sql': 'create table a (id int);\n', '002_b.up.sql': 'create table b (id int);\n', '002_bee_up.sql': 'create table bee (id int);\n' },
    ['002_b.up.sql', '002_bee_up.sql'],
  );
  // 7_x and 007_x are both version 7.
  await invalidFiles({ '7_x.up.sql': 'select 1;\n', '007_y.up.sql': 'select 1;\n' }, ['7_x.up.sql', '007_y.up.sql']);
});

test('a down file without an up file: exit 1 naming it', async () => {
  await invalidFiles({ '001_a.up.sql': 'create table a (id int);\n', '002_b.down.sql': 'drop table b;\n' }, ['002_b.down.sql']);
});

test('a version larger than 64 bits: exit 1 naming it (BIGINT tables take 2147483648 since issue 12)', async () => {
  await invalidFiles({ '001_a.up.sql': 'create table a (id int);\n', '99999999999999999999_big.up.sql': 'select 1;\n' }, ['99999999999999999999_big.up.sql']);
});

test('a NUL byte or invalid UTF-8 in a file: exit 1 naming it', async () => {
  await invalidFiles(
    { '001_a.up.sql': 'create table a (id int);\n', '002_b.up.sql': Buffer.from('create table b (id int);\0\n') },
    ['002_b.up.sql'],
  );
  await invalidFiles(
    { '001_a.up.sql': 'create table a (id int);\n', '002_b.up.sql': Buffer.from([...Buffer.from('create table b (id int); -- '), 0xff, 0xfe, 0x0a]) },
    ['002_b.up.sql'],
  );
});

test('a down file with invalid UTF-8: down refuses it by name and rolls back nothing', async () => {
  const other = await dbs.fresh();
  const bad = await serviceDir('svc', {
    '001_a.up.sql': 'create table a (id int);\n',
    '001_a.down.sql': Buffer.from([0x64, 0x72, 0x6f, 0x70, 0xc3, 0x28, 0x0a]),
  });
  assertExit(await run(['up', '--dir', bad.dir], { env: { DATABASE_URL: other.url } }), 0);
  const applied = await snapshot(other.sql);
  const r = await run(['down', '--dir', bad.dir], { env: { DATABASE_URL: other.url } });
  assertExit(r, 1);
  assert.ok(r.stderr.includes('001_a.down.sql'), r.stderr);
  assert.is(await snapshot(other.sql), applied);
});

test('no password in any output of this file', () => {
  assertNoSecrets();
});

test.run();
