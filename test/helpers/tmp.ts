// Temporary directories for tests, removed when the test process exits
// (set TEST_KEEP_TMP=1 to keep them for debugging).
import fs from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const created: string[] = [];
let hooked = false;

function cleanupAtExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    if (process.env.TEST_KEEP_TMP === '1') return;
    for (const dir of created) {
      try {
        fs.rmSync(dir, { recursive: true, force: true });
      } catch {
        /* best effort */
      }
    }
  });
}

/** A new empty directory under os.tmpdir(), removed at process exit. */
export async function tmpDir(prefix = 'lm-test-'): Promise<string> {
  cleanupAtExit();
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/**
 * Writes `files` (relative path -> content) into `dir`, creating
 * subdirectories. Strings are written as UTF-8 exactly as given (no newline
 * added, CRLF kept); Buffers byte for byte (for BOMs, NUL bytes, bad UTF-8).
 */
export async function writeMigrations(dir: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  }
}

/** tmpDir() + writeMigrations(): returns the directory's path. */
export async function migrationsDir(files: Record<string, string | Buffer> = {}): Promise<string> {
  const dir = await tmpDir('lm-migrations-');
  await writeMigrations(dir, files);
  return dir;
}
