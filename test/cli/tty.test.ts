// On a terminal: colours and a spinner with [i/n] progress and each
// migration's time (SPEC 6). util-linux's `script` gives the CLI a real pty.
import { execFile } from 'node:child_process';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cliCommand, cliEnv } from '../helpers/cli.js';
import { closeAdmin, freshDatabase, type FreshDatabase } from '../helpers/db.js';
import { migrationsDir } from '../helpers/tmp.js';

const tty = suite('on a terminal');
const S: { db?: FreshDatabase } = {};

tty.before(async () => {
  S.db = await freshDatabase('tty');
});
tty.after(async () => {
  await S.db?.drop();
  await closeAdmin();
});

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs the CLI inside a pty of `cols` columns; resolves with everything the terminal received. */
function inPty(args: string[], cols: number, env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const { command, args: argv } = cliCommand(args);
  const line = `stty cols ${cols} rows 40; exec ${[command, ...argv].map(quote).join(' ')}`;
  return new Promise((resolve) => {
    execFile(
      'script',
      ['-qfec', line, '/dev/null'],
      { env: { ...cliEnv(env), CI: '', TERM: 'xterm-256color' }, timeout: 30_000 },
      (err, stdout) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout }),
    );
  });
}

const files = {
  '001_a.up.sql': 'create table tty_a (id int);',
  '002_b.up.sql': 'create table tty_b (id int);',
  '003_c.up.sql': 'create table tty_c (id int);',
};

tty('a spinner shows [i/n] progress, then each line in colour with its time', async () => {
  const dir = await migrationsDir(files);
  const { code, out } = await inPty(['up', '--dir', dir, '--service', 'tty-svc'], 100, { DATABASE_URL: S.db!.url });
  assert.is(code, 0, out);
  for (const [i, name] of ['001_a', '002_b', '003_c'].entries()) {
    assert.ok(out.includes(`[${i + 1}/3] ${name} ...`), `spinner text for ${name}:\n${out}`);
    assert.match(out, new RegExp(`\\x1b\\[32mSuccessfully applied migration ${name} \\(\\d+(\\.\\d+)? m?s\\)\\x1b\\[39m`));
  }
  assert.ok(out.includes('All migrations completed successfully'));
});

tty('a terminal that reports 0 columns gets plain lines and the run still finishes', async () => {
  const dir = await migrationsDir({ '001_z.up.sql': 'create table tty_z (id int);' });
  const { code, out } = await inPty(['up', '--dir', dir, '--service', 'tty-zero'], 0, { DATABASE_URL: S.db!.url });
  assert.is(code, 0, out);
  assert.ok(out.includes('Successfully applied migration 001_z'), out);
  assert.not.ok(out.includes('[1/1] 001_z ...'), 'no spinner without a width');
});

tty('NO_COLOR on a terminal: no colour, no spinner', async () => {
  const dir = await migrationsDir({ '001_n.up.sql': 'create table tty_n (id int);' });
  const { code, out } = await inPty(['up', '--dir', dir, '--service', 'tty-nc'], 100, { DATABASE_URL: S.db!.url, NO_COLOR: '1' });
  assert.is(code, 0, out);
  assert.not.ok(out.includes('\x1b['), JSON.stringify(out));
  assert.ok(out.includes('[tty-nc-migrations] Successfully applied migration 001_n'));
});

tty.run();
