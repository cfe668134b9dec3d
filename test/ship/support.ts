// Shared by the test/ship suites: what ships (dist/, install.sh, the npm
// tarball, the Docker entrypoint) exercised the way a user runs it.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { readdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliEnv } from '../helpers/cli.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DIST = path.join(ROOT, 'dist');
export const BUNDLE = path.join(DIST, 'link-migrate.cjs');
export const BINARY = path.join(DIST, 'link-migrate-linux-x64');
export const SUMS = path.join(DIST, 'SHA256SUMS');
export const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
export const IS_ROOT = typeof process.getuid === 'function' && process.getuid() === 0;

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr in the order they arrived */
  output: string;
  timedOut: boolean;
  pid: number | undefined;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** SIGKILL (the whole process group) after this many ms; default 60000 */
  timeoutMs?: number;
  /** called with each chunk as it arrives (stdout and stderr) */
  onOutput?: (chunk: string, all: string) => void;
}

/**
 * Runs a command to completion in its own process group, stdin closed.
 * Never rejects on a non-zero exit; a timeout kills the group.
 */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd ?? ROOT,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    let output = '';
    let timedOut = false;
    const on = (which: 'out' | 'err') => (d: string) => {
      if (which === 'out') stdout += d;
      else stderr += d;
      output += d;
      opts.onOutput?.(d, output);
    };
    child.stdout.setEncoding('utf8').on('data', on('out'));
    child.stderr.setEncoding('utf8').on('data', on('err'));
    const kill = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${cmd}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // Nothing the command started may outlive it.
      kill();
      if (timedOut) output += `\n[run: ${cmd} killed after ${timeoutMs} ms]\n`;
      resolve({ code, signal, stdout, stderr, output, timedOut, pid: child.pid });
    });
  });
}

/** The CLI's clean environment (no PG*, DB_*, DATABASE_URL, MIGRATE_*, TEST_*) plus `extra`. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env = cliEnv(extra);
  // The node that runs the tests must be the one a `#!/usr/bin/env node` finds.
  const nodeDir = path.dirname(process.execPath);
  const parts = (env.PATH ?? '').split(path.delimiter).filter(Boolean);
  if (!parts.includes(nodeDir)) env.PATH = [nodeDir, ...parts].join(path.delimiter);
  delete env.NODE_PATH;
  delete env.NODE_OPTIONS;
  return env;
}

/** Every path under `dir`, relative, sorted; directories end in `/`. */
export async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, rel: string) => {
    for (const ent of await readdir(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${ent.name}` : ent.name;
      if (ent.isDirectory()) {
        out.push(r + '/');
        await walk(path.join(d, ent.name), r);
      } else out.push(r);
    }
  };
  await walk(dir, '');
  return out.sort();
}

/** The first directory at or above `dir` that holds a node_modules, or null. */
export function nodeModulesAbove(dir: string): string | null {
  let d = path.resolve(dir);
  for (;;) {
    if (fs.existsSync(path.join(d, 'node_modules'))) return d;
    const parent = path.dirname(d);
    if (parent === d) return null;
    d = parent;
  }
}

/** The path of `name` on PATH, or null. */
export function which(name: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const p = r.status === 0 ? r.stdout.trim() : '';
  return p ? p : null;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves when `pred()` holds, polling every 100 ms; rejects after `timeoutMs`. */
export async function until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** Fails with the command's output when it did not exit 0. */
export function ok(r: RunResult, what: string): RunResult {
  if (r.code !== 0) {
    throw new Error(`${what} exited ${r.code ?? r.signal}${r.timedOut ? ' (timed out)' : ''}:\n${r.output}`);
  }
  return r;
}
