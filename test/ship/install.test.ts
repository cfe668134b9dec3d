// install.sh (SPEC 10): Homebrew-style install of the binary or the bundle
// into $PREFIX/bin with checksum verification, a --version check and an
// uninstall path. Always run with a temp --prefix (never /usr/local); the
// default-prefix case runs as an unprivileged user with a temp HOME.
import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import fs from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { tmpDir } from '../helpers/tmp.js';
import { BINARY, BUNDLE, IS_ROOT, ROOT, SUMS, VERSION, cleanEnv, ok, run, tree, which, type RunResult } from './support.js';

const INSTALL = path.join(ROOT, 'install.sh');
const test = suite('install.sh');

const sha256 = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex');

function install(args: string[], opts: { cwd?: string; env?: Record<string, string | undefined>; script?: string } = {}): Promise<RunResult> {
  return run('sh', [opts.script ?? INSTALL, ...args], { cwd: opts.cwd ?? ROOT, env: cleanEnv(opts.env), timeoutMs: 120_000 });
}

/** A release directory holding exactly `files` (name -> source path or content). */
async function releaseDir(files: Record<string, string | Buffer>): Promise<string> {
  const dir = await tmpDir('lm-release-');
  for (const [name, src] of Object.entries(files)) {
    if (typeof src === 'string' && path.isAbsolute(src)) await copyFile(src, path.join(dir, name));
    else await writeFile(path.join(dir, name), src);
  }
  return dir;
}

/** The bundle and a SHA256SUMS naming it (the bundle path of a release). */
async function bundleRelease(): Promise<string> {
  const dir = await releaseDir({ 'link-migrate.cjs': BUNDLE });
  await writeFile(path.join(dir, 'SHA256SUMS'), `${await sha256(path.join(dir, 'link-migrate.cjs'))}  link-migrate.cjs\n`);
  return dir;
}

test('shellcheck -s sh: install.sh and the Docker scripts are clean', async () => {
  const scripts = ['install.sh', 'examples/docker/entrypoint.sh', 'examples/docker/main.sh'];
  for (const s of scripts) ok(await run('sh', ['-n', s], { cwd: ROOT }), `sh -n ${s}`);
  if (!which('shellcheck')) {
    if (process.env.CI === 'true') assert.unreachable('shellcheck is not installed (CI=true: .ci/run must install it)');
    console.log('SKIPPED: shellcheck is not installed (apt-get install shellcheck); only `sh -n` was checked');
    return;
  }
  const r = await run('shellcheck', ['-s', 'sh', ...scripts], { cwd: ROOT });
  assert.is(r.code, 0, `shellcheck findings:\n${r.output}`);
});

test('--help works even when the script comes on stdin (curl ... | sh)', async () => {
  const direct = ok(await install(['--help']), 'install.sh --help');
  assert.match(direct.stdout, /--prefix/);
  assert.match(direct.stdout, /--uninstall/);
  const piped = ok(
    await run('sh', ['-c', `sh -s -- --help < '${INSTALL}'`], { cwd: await tmpDir(), env: cleanEnv() }),
    'sh -s -- --help < install.sh',
  );
  assert.is(piped.stdout, direct.stdout);
  const bad = await install(['--bogus']);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /unknown option --bogus/);
});

test('installs the compiled binary from ./dist (no --from), verified, and uninstalls it', async () => {
  if (!fs.existsSync(BINARY)) {
    console.log(`SKIPPED: ${path.relative(ROOT, BINARY)} is missing (npm run build:binary)`);
    return;
  }
  const prefix = await tmpDir('lm-prefix-');
  assert.equal(await tree(prefix), []);
  const r = ok(await install(['--prefix', prefix]), 'install.sh --prefix');
  const target = path.join(prefix, 'bin', 'link-migrate');
  const sum = (await readFile(SUMS, 'utf8')).match(/^([0-9a-f]{64})\s+\*?link-migrate-linux-x64$/m)?.[1];
  assert.ok(sum, 'SHA256SUMS lists the binary');
  assert.match(r.stdout, `installed link-migrate-linux-x64 (link-migrate ${VERSION}, sha256 ${sum}) as ${target}\n`);
  assert.match(r.stdout, `note: ${prefix}/bin is not on your PATH`);
  assert.is(await sha256(target), sum);
  assert.is((await stat(target)).mode & 0o777, 0o755);
  const v = ok(await run(target, ['--version'], { cwd: prefix, env: cleanEnv() }), 'installed --version');
  assert.is(v.stdout.trim(), `link-migrate ${VERSION}`);
  assert.equal(await tree(prefix), ['bin/', 'bin/link-migrate', 'share/', 'share/link-migrate/', 'share/link-migrate/manifest']);

  const un = ok(await install(['--prefix', prefix, '--uninstall']), 'uninstall');
  assert.match(un.stdout, `removed ${target}\n`);
  assert.match(un.stdout, `link-migrate uninstalled from ${prefix}`);
  assert.equal(await tree(prefix), []);
});

test('installs the bundle from a directory holding only link-migrate.cjs and SHA256SUMS; uninstall restores the prefix', async () => {
  const from = await bundleRelease();
  assert.equal(await tree(from), ['SHA256SUMS', 'link-migrate.cjs']);
  // A prefix already in use: what was there must survive install + uninstall.
  const prefix = await tmpDir('lm-prefix-');
  await mkdir(path.join(prefix, 'bin'));
  await writeFile(path.join(prefix, 'bin', 'other-tool'), '#!/bin/sh\n', { mode: 0o755 });
  await mkdir(path.join(prefix, 'lib', 'x'), { recursive: true });
  const before = await tree(prefix);

  const r = ok(await install(['--from', from, '--prefix', prefix]), 'install.sh --from bundle');
  const target = path.join(prefix, 'bin', 'link-migrate');
  const sum = await sha256(BUNDLE);
  assert.match(r.stdout, `installed link-migrate.cjs (link-migrate ${VERSION}, sha256 ${sum}) as ${target}\n`);
  assert.match(r.stdout, `created ${prefix}/share/\n`);
  assert.match(r.stdout, `created ${prefix}/share/link-migrate/\n`);
  assert.not.match(r.stdout, `created ${prefix}/bin/`);
  assert.is(await sha256(target), sum);
  assert.is((await stat(target)).mode & 0o777, 0o755);
  const v = ok(await run(target, ['--version'], { cwd: prefix, env: cleanEnv() }), 'installed bundle --version');
  assert.is(v.stdout.trim(), `link-migrate ${VERSION}`);
  const installed = [...before, 'bin/link-migrate', 'share/', 'share/link-migrate/', 'share/link-migrate/manifest'].sort();
  assert.equal(await tree(prefix), installed);

  // Installing again (an upgrade) changes nothing else and forgets nothing.
  ok(await install([`--from=${from}`, `--prefix=${prefix}`]), 'second install');
  assert.equal(await tree(prefix), installed);

  const un = ok(await install(['--prefix', prefix, '--uninstall'], { cwd: await tmpDir() }), 'uninstall');
  assert.match(un.stdout, `removed ${target}\n`);
  assert.match(un.stdout, `removed ${prefix}/share/link-migrate/\n`);
  assert.match(un.stdout, `removed ${prefix}/share/\n`);
  assert.equal(await tree(prefix), before, 'back to exactly what was there');

  const again = await install(['--prefix', prefix, '--uninstall']);
  assert.is(again.code, 0, again.output);
  assert.match(again.stdout, /nothing to uninstall/);
  assert.equal(await tree(prefix), before);
});

test('a new prefix directory is created and removed again; a relative --prefix is made absolute', async () => {
  const base = await tmpDir('lm-prefix-');
  const from = await bundleRelease();
  const r = ok(await install(['--from', from, '--prefix', 'opt/lm'], { cwd: base }), 'install with relative prefix');
  assert.match(r.stdout, `as ${base}/opt/lm/bin/link-migrate\n`);
  assert.match(r.stdout, `created ${base}/opt/\n`);
  const manifest = await readFile(path.join(base, 'opt/lm/share/link-migrate/manifest'), 'utf8');
  for (const line of manifest.trim().split('\n')) assert.ok(path.isAbsolute(line), `manifest line ${line} is absolute`);
  // Uninstalled from elsewhere, by absolute path.
  ok(await install(['--prefix', path.join(base, 'opt/lm'), '--uninstall'], { cwd: ROOT }), 'uninstall');
  assert.equal(await tree(base), []);
});

test('a tampered file (SHA256SUMS mismatch) is refused and nothing is installed', async () => {
  const from = await bundleRelease();
  const good = await sha256(path.join(from, 'link-migrate.cjs'));
  await writeFile(path.join(from, 'link-migrate.cjs'), '\nconsole.log("pwned")\n', { flag: 'a' });
  const bad = await sha256(path.join(from, 'link-migrate.cjs'));
  const base = await tmpDir('lm-prefix-');
  const prefix = path.join(base, 'p');
  const r = await install(['--from', from, '--prefix', prefix]);
  assert.is(r.code, 1, r.output);
  assert.match(r.stderr, `install.sh: checksum mismatch for link-migrate.cjs: expected ${good}, got ${bad}; not installed`);
  assert.not.match(r.stdout, /installed/);
  assert.equal(await tree(base), [], 'nothing created');
});

test('a compiled binary whose SHA256SUMS entry does not match is refused (no fallback to the bundle)', async () => {
  if (process.platform !== 'linux' || process.arch !== 'x64' || !fs.existsSync(BINARY)) {
    console.log('SKIPPED: needs dist/link-migrate-linux-x64 on linux-x64');
    return;
  }
  const from = await releaseDir({ 'link-migrate.cjs': BUNDLE });
  await symlink(BINARY, path.join(from, 'link-migrate-linux-x64'));
  await writeFile(
    path.join(from, 'SHA256SUMS'),
    `${'0'.repeat(64)}  link-migrate-linux-x64\n${await sha256(BUNDLE)}  link-migrate.cjs\n`,
  );
  const prefix = await tmpDir('lm-prefix-');
  const r = await install(['--from', from, '--prefix', prefix]);
  assert.is(r.code, 1, r.output);
  assert.match(r.stderr, /checksum mismatch for link-migrate-linux-x64: expected 0{64}, got [0-9a-f]{64}; not installed/);
  assert.equal(await tree(prefix), []);
});

test('a missing SHA256SUMS, or one without an entry for the file, is refused', async () => {
  const noSums = await releaseDir({ 'link-migrate.cjs': BUNDLE });
  const prefix = await tmpDir('lm-prefix-');
  const r = await install(['--from', noSums, '--prefix', prefix]);
  assert.is(r.code, 1, r.output);
  assert.match(r.stderr, `install.sh: no SHA256SUMS in ${noSums}: refusing to install an unverified file`);
  assert.equal(await tree(prefix), []);

  const otherEntry = await releaseDir({ 'link-migrate.cjs': BUNDLE, SHA256SUMS: `${'a'.repeat(64)}  link-migrate-linux-x64\n` });
  const r2 = await install(['--from', otherEntry, '--prefix', prefix]);
  assert.is(r2.code, 1, r2.output);
  assert.match(r2.stderr, /SHA256SUMS has no entry for link-migrate\.cjs/);
  assert.equal(await tree(prefix), []);

  const empty = await tmpDir('lm-release-');
  const r3 = await install(['--from', empty, '--prefix', prefix]);
  assert.is(r3.code, 1, r3.output);
  assert.match(r3.stderr, /neither a binary for .* nor link-migrate\.cjs found in/);
  assert.equal(await tree(prefix), []);
});

test('a file that does not answer --version is not installed, and the directories made for it are removed', async () => {
  const broken = '#!/bin/sh\necho "broken build" >&2\nexit 3\n';
  const from = await releaseDir({ 'link-migrate.cjs': broken });
  await writeFile(path.join(from, 'SHA256SUMS'), `${createHash('sha256').update(broken).digest('hex')}  link-migrate.cjs\n`);
  const base = await tmpDir('lm-prefix-');
  const r = await install(['--from', from, '--prefix', path.join(base, 'p')]);
  assert.is(r.code, 1, r.output);
  assert.match(r.stderr, /link-migrate\.cjs does not run \(broken build\); not installed/);
  assert.equal(await tree(base), []);
});

test('without --prefix, a non-root user gets ~/.local/bin', async () => {
  // As root, prove it as `nobody` with a temp HOME; never touch /usr/local.
  const runuser = IS_ROOT ? which('runuser') : null;
  if (IS_ROOT && !runuser) {
    console.log('SKIPPED: default prefix test: running as root and runuser is unavailable');
    return;
  }
  if (IS_ROOT && (await run('id', ['-u', 'nobody'])).code !== 0) {
    console.log('SKIPPED: default prefix test: running as root and there is no `nobody` user');
    return;
  }
  // A release laid out as in the repository: install.sh next to dist/.
  const release = await tmpDir('lm-release-');
  await mkdir(path.join(release, 'dist'));
  await copyFile(INSTALL, path.join(release, 'install.sh'));
  await copyFile(BUNDLE, path.join(release, 'dist', 'link-migrate.cjs'));
  await writeFile(path.join(release, 'dist', 'SHA256SUMS'), `${await sha256(BUNDLE)}  link-migrate.cjs\n`);
  await chmod(release, 0o755);
  await chmod(path.join(release, 'dist'), 0o755);
  for (const f of ['install.sh', 'dist/link-migrate.cjs', 'dist/SHA256SUMS']) await chmod(path.join(release, f), 0o644);
  const home = await tmpDir('lm-home-');
  await chmod(home, 0o777);

  const env = cleanEnv();
  const script = path.join(release, 'install.sh');
  const asUser = (args: string[]) =>
    IS_ROOT
      ? run(runuser!, ['-u', 'nobody', '--', 'env', '-i', `HOME=${home}`, `PATH=${env.PATH}`, 'sh', script, ...args], {
          cwd: home,
          timeoutMs: 120_000,
        })
      : run('sh', [script, ...args], { cwd: home, env: { ...env, HOME: home }, timeoutMs: 120_000 });

  const r = ok(await asUser([]), 'install.sh without --prefix');
  const target = path.join(home, '.local', 'bin', 'link-migrate');
  assert.match(r.stdout, `installed link-migrate.cjs (link-migrate ${VERSION}, sha256 ${await sha256(BUNDLE)}) as ${target}\n`);
  assert.match(r.stdout, `note: ${home}/.local/bin is not on your PATH`);
  assert.ok(fs.existsSync(target));
  if (IS_ROOT) assert.is.not((await stat(target)).uid, 0, 'installed by the unprivileged user');
  const v = ok(await run(target, ['--version'], { cwd: home, env: cleanEnv() }), 'installed --version');
  assert.is(v.stdout.trim(), `link-migrate ${VERSION}`);
  assert.equal(await tree(home), [
    '.local/',
    '.local/bin/',
    '.local/bin/link-migrate',
    '.local/share/',
    '.local/share/link-migrate/',
    '.local/share/link-migrate/manifest',
  ]);

  const un = ok(await asUser(['--uninstall']), 'install.sh --uninstall without --prefix');
  assert.match(un.stdout, `link-migrate uninstalled from ${home}/.local`);
  assert.equal(await tree(home), []);
  const again = ok(await asUser(['--uninstall']), 'second --uninstall');
  assert.match(again.stdout, /nothing to uninstall/);
});

/**
 * A checkout right after `npm run build`: install.sh at its root, dist/
 * holding the bundle and the SHA256SUMS that package.json's own `checksums`
 * script writes (`npm run build` ends with it); `binary` adds a compiled
 * binary built before (an earlier build:all).
 */
async function builtCheckout(opts: { binary?: 'older' | 'none'; sums?: boolean } = {}): Promise<string> {
  const root = await tmpDir('lm-checkout-');
  await copyFile(INSTALL, path.join(root, 'install.sh'));
  await mkdir(path.join(root, 'dist'));
  if (opts.binary === 'older') {
    // Any executable that answers --version will do for the one that must NOT be chosen.
    await writeFile(path.join(root, 'dist', 'link-migrate-linux-x64'), '#!/bin/sh\necho "link-migrate 0.0.0-stale"\n', { mode: 0o755 });
    const past = new Date(Date.now() - 3_600_000);
    fs.utimesSync(path.join(root, 'dist', 'link-migrate-linux-x64'), past, past);
  }
  await copyFile(BUNDLE, path.join(root, 'dist', 'link-migrate.cjs'));
  if (opts.sums !== false) {
    const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.match(pkg.scripts.build!, /&& npm run checksums$/, 'npm run build writes dist/SHA256SUMS');
    ok(await run('sh', ['-c', pkg.scripts.checksums!], { cwd: root, env: cleanEnv() }), 'the checksums script');
  }
  return root;
}

test('right after `npm run build` (no binary): sh install.sh installs the bundle from ./dist', async () => {
  const root = await builtCheckout();
  const prefix = await tmpDir('lm-prefix-');
  const r = ok(await install(['--prefix', prefix], { script: path.join(root, 'install.sh'), cwd: root }), 'install.sh after npm run build');
  const target = path.join(prefix, 'bin', 'link-migrate');
  assert.match(r.stdout, `installed link-migrate.cjs (link-migrate ${VERSION}, sha256 ${await sha256(BUNDLE)}) as ${target}\n`);
  const v = ok(await run(target, ['--version'], { cwd: prefix, env: cleanEnv() }), 'installed --version');
  assert.is(v.stdout.trim(), `link-migrate ${VERSION}`);
});

test('`npm run build` after an earlier build:all: the newer bundle is installed, not the older binary, and a note says so', async () => {
  const root = await builtCheckout({ binary: 'older' });
  const prefix = await tmpDir('lm-prefix-');
  const r = ok(await install(['--prefix', prefix], { script: path.join(root, 'install.sh'), cwd: root }), 'install.sh');
  assert.match(r.stdout, `note: ${root}/dist/link-migrate-linux-x64 is older than ${root}/dist/link-migrate.cjs: installing the bundle (npm run build:binary refreshes the binary)\n`);
  assert.match(r.stdout, /installed link-migrate\.cjs /);
  assert.is(await sha256(path.join(prefix, 'bin', 'link-migrate')), await sha256(BUNDLE));
});

test('nothing built, or a bundle without SHA256SUMS: the error says exactly what to run', async () => {
  const empty = await tmpDir('lm-checkout-');
  await copyFile(INSTALL, path.join(empty, 'install.sh'));
  const prefix = await tmpDir('lm-prefix-');
  const none = await install(['--prefix', prefix], { script: path.join(empty, 'install.sh'), cwd: empty });
  assert.is(none.code, 1, none.output);
  assert.is(
    none.stderr,
    `install.sh: no release found in ${empty}/dist: run 'npm run build' (the one-file bundle, needs Node >= 20) or 'npm run build:all' (also the compiled binary) first, or pass --from DIR|URL\n`,
  );
  const root = await builtCheckout({ sums: false });
  const nosums = await install(['--prefix', prefix], { script: path.join(root, 'install.sh'), cwd: root });
  assert.is(nosums.code, 1, nosums.output);
  assert.is(nosums.stderr, `install.sh: ${root}/dist has link-migrate.cjs but no SHA256SUMS: run 'npm run checksums' (npm run build writes it), or pass --from DIR|URL\n`);
  assert.equal(await tree(prefix), []);
});

test.run();
