// Running the built CLI from tests, in a clean environment: no connection or
// migrate settings leak in from the developer's shell or from the runner.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertJsonOutput } from './json-output.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Prefixes of variables removed from the CLI's environment. */
export const STRIPPED_ENV_PREFIXES = ['PG', 'DB_', 'DATABASE_URL', 'MIGRATE_', 'TEST_', 'NO_COLOR', 'FORCE_COLOR'] as const;

export interface CliOptions {
  cwd?: string;
  /** added to the clean environment; an undefined value removes the variable */
  env?: Record<string, string | undefined>;
  /** written to stdin (stdin is always closed, so a prompt never hangs) */
  input?: string;
  /** runCli only: SIGKILL after this many ms (default 60000) */
  timeoutMs?: number;
  /** runCli only: sees stdout and stderr as they arrive (tests that wait for a line, not for a time) */
  onOutput?: (chunk: string) => void;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
}

/** The CLI under test: $LINK_MIGRATE_BIN, else <repo>/dist/link-migrate.cjs. */
export function binPath(): string {
  const bin = process.env.LINK_MIGRATE_BIN;
  return bin ? path.resolve(bin) : path.join(ROOT, 'dist', 'link-migrate.cjs');
}

/**
 * The environment the CLI runs with: `base` minus every variable starting
 * with one of STRIPPED_ENV_PREFIXES, plus CI=true, plus `extra`.
 */
export function cliEnv(
  extra: Record<string, string | undefined> = {},
  base: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) {
    if (v === undefined) continue;
    if (STRIPPED_ENV_PREFIXES.some((p) => k.startsWith(p))) continue;
    env[k] = v;
  }
  env.CI = 'true';
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Command and argv for running the CLI: `node <bin>` for JS files, else the binary itself. */
export function cliCommand(args: string[], bin: string = binPath()): { command: string; args: string[] } {
  return /\.(c|m)?js$/.test(bin) ? { command: process.execPath, args: [bin, ...args] } : { command: bin, args: [...args] };
}

/** Starts the CLI and returns the process (for tests that signal or kill it). stdio is piped. */
export function spawnCli(args: string[], opts: CliOptions = {}): ChildProcess {
  const { command, args: argv } = cliCommand(args);
  const child = spawn(command, argv, {
    cwd: opts.cwd ?? process.cwd(),
    env: cliEnv(opts.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // A CLI that exits without reading stdin must not crash the test with EPIPE.
  child.stdin?.on('error', () => undefined);
  if (opts.input !== undefined) child.stdin?.end(opts.input);
  return child;
}

/**
 * Runs the CLI to completion and collects its output. Never rejects on a
 * non-zero exit; rejects when a --json output does not match its schema
 * (json-output.ts).
 */
export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, opts);
    if (opts.input === undefined) child.stdin?.end();
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      opts.onOutput?.(d);
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      opts.onOutput?.(d);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${binPath()}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) stderr += `\n[runCli: killed after ${timeoutMs} ms]\n`;
      try {
        assertJsonOutput(args, { code, signal, stdout, timedOut });
      } catch (e) {
        reject(e);
        return;
      }
      resolve({ code, stdout, stderr, signal, timedOut });
    });
  });
}
