// End-to-end: the shape of the CLI's output. Plain text when piped or in CI
// (no escape codes), NO_COLOR / --no-color, --json (only JSON on stdout),
// --quiet, --format github, --version and --help.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  appendTo,
  assertExit,
  assertLines,
  lines,
  recorder,
  ROOT,
  serviceDir,
  show,
  type Recorded,
} from './support.js';
import { databases } from '../helpers/db.js';

const test = suite('cli: output');
const dbs = databases('cli_output');
const { run, all, assertNoSecrets } = recorder();

test.after(async () => {
  await dbs.dropAll();
});

const FILES = {
  '001_a.up.sql': 'create table a (id int);\n',
  '001_a.down.sql': 'drop table a;\n',
  '002_b.up.sql': 'create table b (id int);\n',
  '002_b.down.sql': 'drop table b;\n',
};
const FAILING = { ...FILES, '003_c.up.sql': 'create table c (id int);\ncreate tablee d (id int);\n', '003_c.down.sql': 'drop table c;\n' };

/** A broad set of runs: success, no-op, failure, usage error, status, verify, help. */
async function variety(env: Record<string, string | undefined>, extra: string[] = []): Promise<Recorded[]> {
  const db = await dbs.fresh();
  const ok = await serviceDir('svc', FILES);
  const bad = await serviceDir('svc', FAILING);
  const e = { DATABASE_URL: db.url, ...env };
  const runs: Recorded[] = [];
  runs.push(await run(['up', '--dir', ok.dir, ...extra], { env: e }));
  runs.push(await run(['up', '--dir', ok.dir, ...extra], { env: e }));
  runs.push(await run(['status', '--dir', ok.dir, ...extra], { env: e }));
  await appendTo(path.join(ok.dir, '002_b.up.sql'), '-- edited\n');
  runs.push(await run(['up', '--dir', ok.dir, ...extra], { env: e })); // warning
  runs.push(await run(['verify', '--dir', ok.dir, ...extra], { env: e })); // exit 3
  runs.push(await run(['down', '--dir', ok.dir, ...extra], { env: e }));
  runs.push(await run(['up', '--dir', bad.dir, ...extra], { env: e })); // exit 1
  runs.push(await run(['up', '--dir', ok.dir, '--frobnicate', ...extra], { env: e })); // exit 2
  runs.push(await run(['up', '--dir', ok.dir, '--dry-run', '--verbose', ...extra], { env: e }));
  runs.push(await run(['--help', ...extra], { env: e }));
  return runs;
}

const ESC = '\x1b';

function assertNoEscapes(runs: Recorded[], why: string): void {
  for (const r of runs) {
    assert.ok(!r.stdout.includes(ESC) && !r.stderr.includes(ESC), `${why}: escape code in \`${r.args.join(' ')}\`\n${JSON.stringify(r.stdout + r.stderr)}`);
  }
}

test('CI=true and piped: not a single escape code in any output', async () => {
  const runs = await variety({});
  assert.equal(
    runs.map((r) => r.code),
    [0, 0, 0, 0, 3, 0, 1, 2, 0, 0],
    runs.map(show).join('\n'),
  );
  assertNoEscapes(runs, 'CI=true');
});

test('piped without CI: still plain', async () => {
  assertNoEscapes(await variety({ CI: undefined }), 'piped');
});

test('NO_COLOR and --no-color win over FORCE_COLOR', async () => {
  // FORCE_COLOR alone does colour piped output: proves the checks below can fail.
  const db = await dbs.fresh();
  const { dir } = await serviceDir('svc', FILES);
  const forced = await run(['up', '--dir', dir], { env: { DATABASE_URL: db.url, CI: undefined, FORCE_COLOR: '1' } });
  assertExit(forced, 0);
  assert.ok(forced.stdout.includes(ESC), 'FORCE_COLOR=1 colours the output');
  assertNoEscapes(await variety({ CI: undefined, FORCE_COLOR: '1', NO_COLOR: '1' }), 'NO_COLOR=1');
  assertNoEscapes(await variety({ CI: undefined, FORCE_COLOR: '1' }, ['--no-color']), '--no-color');
});

// -------------------------------------------------------------- --json

function jsonLines(r: Recorded): Record<string, unknown>[] {
  return lines(r.stdout).map((l, i) => {
    try {
      return JSON.parse(l) as Record<string, unknown>;
    } catch {
      assert.unreachable(`stdout line ${i + 1} of \`${r.args.join(' ')}\` is not JSON: ${l}\n${show(r)}`);
      return {};
    }
  });
}

test('up/down --json: every stdout line is a JSON object with a type; no human text on stdout', async () => {
  const db = await dbs.fresh();
  const { dir } = await serviceDir('svc', FILES);
  const env = { DATABASE_URL: db.url };
  const up = await run(['up', '--dir', dir, '--json'], { env });
  assertExit(up, 0);
  const events = jsonLines(up);
  assert.ok(events.length >= 3);
  for (const e of events) assert.type(e.type, 'string');
  const types = events.map((e) => e.type);
  assert.is(types[0], 'start');
  assert.ok(types.includes('migration-done'), types.join(' '));
  assert.not.match(up.stdout, /\[svc-migrations\]/);
  for (const l of lines(up.stderr)) assert.not.match(l, /^[{[]/, 'no JSON on stderr');

  for (const args of [
    ['up', '--dir', dir, '--json'],
    ['up', '--dir', dir, '--json', '--dry-run'],
    ['down', '--dir', dir, '--json', '--dry-run', '--verbose'],
    ['down', '--dir', dir, '--json'],
    ['down', '--dir', dir, '--json', '--steps', '1'],
  ]) {
    const r = await run(args, { env });
    assertExit(r, 0);
    for (const e of jsonLines(r)) assert.type(e.type, 'string');
  }
});

test('a failing up --json: stdout stays JSON lines (with an error object), the human message goes to stderr', async () => {
  const db = await dbs.fresh();
  const { dir } = await serviceDir('svc', FAILING);
  const r = await run(['up', '--dir', dir, '--json'], { env: { DATABASE_URL: db.url } });
  assertExit(r, 1);
  const events = jsonLines(r);
  const err = events.find((e) => e.type === 'error') as { error?: { code?: string; message?: string } } | undefined;
  assert.ok(err, r.stdout);
  assert.match(err!.error?.message ?? '', /003_c\.up\.sql:2:8: syntax error at or near "tablee"/);
  assert.match(lines(r.stderr)[0]!, /^\[svc-migrations\] Error: 003_c\.up\.sql:2:8: syntax error at or near "tablee"$/);
  // Refused before the run: the error points at the file, the result line says nothing ran.
  assert.equal(
    { ...err!.error, message: undefined, details: undefined, problems: undefined },
    { code: 'FILE_INVALID', message: undefined, details: undefined, file: '003_c.up.sql', line: 2, column: 8, sqlState: '42601', problems: undefined },
  );
  const last = events.at(-1) as Record<string, unknown>;
  assert.equal([last.type, last.ok, last.exitCode, last.service, last.results, (last.error as { file: string }).file], ['result', false, 1, 'svc', [], '003_c.up.sql']);
  // Usage errors and connection errors too.
  const usage = await run(['up', '--dir', dir, '--json', '--steps', 'x'], { env: { DATABASE_URL: db.url } });
  assertExit(usage, 2);
  jsonLines(usage);
  assert.match(usage.stderr, /--steps/);
});

test('status / verify / generate / mark / repair --json: stdout is exactly one JSON document', async () => {
  const db = await dbs.fresh();
  const { dir } = await serviceDir('svc', FILES);
  const env = { DATABASE_URL: db.url };
  const one = async (args: string[], code = 0) => {
    const r = await run(args, { env });
    assertExit(r, code);
    let doc: unknown;
    try {
      doc = JSON.parse(r.stdout);
    } catch {
      assert.unreachable(`stdout of \`${args.join(' ')}\` is not one JSON document:\n${r.stdout}`);
    }
    assert.type(doc, 'object');
    for (const l of lines(r.stderr)) assert.not.match(l, /^[{[]/);
    return doc as Record<string, unknown>;
  };
  assert.is((await one(['status', '--dir', dir, '--json'])).pending, 2);
  assert.is((await one(['mark', '1', '--dir', dir, '--json'])).currentVersion, 1);
  await one(['status', '--all', '--json']);
  assert.is((await one(['verify', '--dir', dir, '--json'])).ok, true);
  await appendTo(path.join(dir, '001_a.up.sql'), '-- edited\n');
  assert.is((await one(['verify', '--dir', dir, '--json'], 3)).ok, false);
  await one(['repair', '--dir', dir, '--json']);
  await one(['generate', '--dir', dir, '--json', 'next thing']);
});

// -------------------------------------------------------------- --quiet

test('--quiet: nothing at all on success', async () => {
  const db = await dbs.fresh();
  const { dir } = await serviceDir('svc', FILES);
  const env = { DATABASE_URL: db.url };
  for (const args of [['up'], ['up'], ['down'], ['verify'], ['mark', '2'], ['repair']]) {
    const r = await run([...args, '--dir', dir, '--quiet'], { env });
    assertExit(r, 0);
    assert.is(r.stdout, '', `stdout of ${args.join(' ')} --quiet`);
    assert.is(r.stderr, '', `stderr of ${args.join(' ')} --quiet`);
  }
});

test('--quiet keeps warnings and errors', async () => {
  const db = await dbs.fresh();
  const { dir } = await serviceDir('svc', FILES);
  const env = { DATABASE_URL: db.url };
  assertExit(await run(['up', '--dir', dir, '--quiet', '--to', '1'], { env }), 0);
  await appendTo(path.join(dir, '001_a.up.sql'), '-- edited\n');
  const warn = await run(['up', '--dir', dir, '--quiet'], { env });
  assertExit(warn, 0);
  assertLines(warn.stdout + warn.stderr, [/\[svc-migrations\] Warning: .*001_a.*/]);
  const verify = await run(['verify', '--dir', dir, '--quiet'], { env });
  assertExit(verify, 3);
  assert.match(verify.stdout + verify.stderr, /001_a.*\[modified\]/, 'verify --quiet still says what is wrong');
  const bad = await serviceDir('svc', FAILING);
  const fail = await run(['up', '--dir', bad.dir, '--quiet'], { env: { DATABASE_URL: (await dbs.fresh()).url } });
  assertExit(fail, 1);
  assert.is(fail.stdout, '');
  assert.match(lines(fail.stderr)[0]!, /^\[svc-migrations\] Error: 003_c\.up\.sql:2:8: syntax error at or near "tablee"$/);
});

// ------------------------------------------------------ --format github

test('up --format github: a failing migration also becomes an ::error annotation at file, line and column', async () => {
  const db = await dbs.fresh();
  const { root } = await serviceDir('svc', FAILING);
  const r = await run(['up', '--dir', 'svc/migrations', '--format', 'github'], { cwd: root, env: { DATABASE_URL: db.url } });
  assertExit(r, 1);
  const ann = lines(r.stdout + r.stderr).filter((l) => l.startsWith('::'));
  assertLines(ann.join('\n') + '\n', [/::error file=svc\/migrations\/003_c\.up\.sql,line=2,col=8::.*syntax error at or near "tablee".*/]);
  assert.match(r.stderr, /^\[svc-migrations\] Error: 003_c\.up\.sql:2:8: /m);
});

// ------------------------------------------------------ version, help

test('--version prints the package version', async () => {
  const { version } = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  for (const args of [['--version'], ['-v'], ['up', '--version'], ['--version', '--json'], ['-action=up', '-version']]) {
    const r = await run(args);
    assertExit(r, 0);
    assert.is(lines(r.stdout).length, 1, r.stdout);
    assert.ok(r.stdout.includes(version), r.stdout);
    assert.is(r.stderr, '');
  }
});

test('--help lists commands, options and the exit codes', async () => {
  const r = await run(['--help']);
  assertExit(r, 0);
  assert.is(r.stderr, '');
  for (const word of ['up', 'down', 'status', 'verify', 'generate', 'mark', 'repair']) assert.match(r.stdout, new RegExp(`^\\s+${word}\\b`, 'm'));
  for (const opt of ['--dir', '--service', '--database-url', '--dry-run', '--json', '--wait', '--timeout', '--lock-timeout', '--quiet', '--verbose', '--no-color']) {
    assert.ok(r.stdout.includes(opt), opt);
  }
  const exit = r.stdout.slice(r.stdout.indexOf('Exit codes'));
  assert.ok(r.stdout.includes('Exit codes'), r.stdout);
  for (const code of ['0', '1', '2', '3', '4']) assert.match(exit, new RegExp(`^\\s+${code}\\s+\\S`, 'm'));
});

test('each command has its own --help with its options and exit codes', async () => {
  const own: Record<string, string[]> = {
    up: ['--to', '--steps', '--allow-out-of-order', '--strict'],
    down: ['--to', '--steps'],
    status: ['--all', '--exit-code'],
    verify: [],
    generate: ['--description'],
    mark: ['--pending', '--to', '--from'],
    repair: [],
  };
  for (const [cmd, opts] of Object.entries(own)) {
    const r = await run([cmd, '--help']);
    assertExit(r, 0);
    assert.match(r.stdout, new RegExp(`\\$ link-migrate ${cmd}`));
    for (const o of [...opts, '--dir', '--database-url']) assert.ok(r.stdout.includes(o), `${cmd} --help lists ${o}`);
    assert.ok(r.stdout.includes('Exit codes'), `${cmd} --help has exit codes`);
  }
  const status = await run(['status', '--help']);
  assert.match(status.stdout.slice(status.stdout.indexOf('Exit codes')), /^\s+4\s/m);
});

test('a command\'s --help lists only the options it accepts', async () => {
  /** The flags listed in the Options section of `cmd --help`. */
  const listed = async (cmd: string) => {
    const r = await run([cmd, '--help']);
    assertExit(r, 0);
    const body = r.stdout.slice(r.stdout.indexOf('Options:'), r.stdout.indexOf('Exit codes'));
    return [...body.matchAll(/^\s+(?:-\w, )?(--[a-z-]+)/gm)].map((m) => m[1]).sort();
  };
  const common = ['--dir', '--help', '--json', '--no-color', '--quiet', '--service', '--verbose'];
  const db = ['--database-url', '--tracking-schema', '--wait'];
  // Fleet mode (README "Many databases"): up, down, status, verify and check --drift.
  const fleet = ['--canary', '--journal', '--on-error', '--parallel', '--resume', '--targets', '--targets-query'];
  assert.equal(await listed('status'), [...common, ...db, ...fleet, '--all', '--exit-code'].sort());
  assert.equal(await listed('generate'), [...common, '--description'].sort());
  assert.equal(await listed('verify'), [...common, ...db, ...fleet, '--format'].sort());
  assert.equal(await listed('repair'), [...common, ...db, '--dry-run', '--lock-timeout'].sort());
  assert.equal(
    await listed('down'),
    [...common, ...db, ...fleet, '--all', '--allow-transaction-control', '--ddl-lock-timeout', '--dry-run', '--format', '--lock-timeout', '--retries', '--steps', '--timeout', '--to', '--yes'].sort(),
  );
});

test('help output has no escape codes either', async () => {
  for (const r of all.filter((x) => x.args.includes('--help'))) assert.not.ok((r.stdout + r.stderr).includes(ESC));
});

test('no password in any output of this file', () => {
  assertNoSecrets();
});

test.run();
