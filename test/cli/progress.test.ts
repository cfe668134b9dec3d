// End-to-end: times in plain output (piped, CI=true, docker logs): each
// applied/rolled-back line carries its duration after the old tool's words,
// the run ends with a total, and a long migration says it is still running.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnCli } from '../helpers/cli.js';
import { assertExit, rawLines, recorder, serviceDir } from './support.js';
import { databases } from '../helpers/db.js';

const test = suite('cli: times in log lines');
const dbs = databases('cli_progress');
const { run, assertNoSecrets } = recorder();

test.after(async () => {
  await dbs.dropAll();
});

const T = String.raw`\((\d+ ms|\d+(\.\d)? s|\d+ min \d+ s)\)`;

test('up and down: a duration after each line, a total at the end; the old words unchanged', async () => {
  const db = await dbs.fresh();
  const { dir } = await serviceDir('svc', {
    '001_a.up.sql': 'create table a (id int);\n',
    '001_a.down.sql': 'drop table a;\n',
    '002_b.up.sql': 'create table b (id int);\n',
    '002_b.down.sql': 'drop table b;\n',
  });
  const up = await run(['up', '--dir', dir], { env: { DATABASE_URL: db.url } });
  assertExit(up, 0);
  const P = '\\[svc-migrations\\] ';
  const expectUp = [
    `${P}Starting migration up for service: svc`,
    `${P}Found 2 pending migrations`,
    `${P}Successfully applied migration 001_a ${T}`,
    `${P}Successfully applied migration 002_b ${T}`,
    `${P}All migrations completed successfully \\(2 migrations applied, total (\\d+ ms|\\d+(\\.\\d)? s)\\)`,
  ];
  const got = rawLines(up.stdout);
  assert.is(got.length, expectUp.length, up.stdout);
  expectUp.forEach((re, i) => assert.match(got[i]!, new RegExp(`^${re}$`), got[i]));

  const down = await run(['down', '--dir', dir], { env: { DATABASE_URL: db.url } });
  assertExit(down, 0);
  assert.match(down.stdout, new RegExp(`^${P}Successfully rolled back migration 002_b ${T}$`, 'm'));
  assert.match(down.stdout, new RegExp(`^${P}All migrations completed successfully \\(1 migration rolled back, total .+\\)$`, 'm'));
});

test('a migration running longer than 5 s prints a still-running line', async () => {
  const db = await dbs.fresh();
  const { dir } = await serviceDir('svc', { '001_slow.up.sql': 'select pg_sleep(60);\n' });
  const child = spawnCli(['up', '--dir', dir], { env: { DATABASE_URL: db.url } });
  child.stdin?.end();
  let stdout = '';
  const seen = new Promise<void>((resolve) =>
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (/Still running/.test(stdout)) resolve();
    }),
  );
  const exited = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
  const bound = setTimeout(() => child.kill('SIGKILL'), 40_000);
  await Promise.race([seen, exited]);
  child.kill('SIGTERM');
  const code = await exited;
  clearTimeout(bound);
  assert.match(stdout, /^\[svc-migrations\] Still running migration 001_slow \(\d+(\.\d)? s\)$/m);
  assert.is(code, 143, stdout);
});

test('no password in any output of this file', () => {
  assertNoSecrets();
});

test.run();
