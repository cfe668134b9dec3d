/**
 * The files `lint` reads: every `.sql` file of a migrations directory, or
 * the files given as arguments (plus their directories' listings, so pairs
 * and duplicates are still judged against the real directory). I/O only;
 * nothing here judges the files.
 */
import { basename, dirname, join, resolve } from 'node:path'
import { FileError } from '../errors.js'
import { parseName } from '../source/name.js'
import { decode, realFs, type ScanFs } from '../source/scan.js'
import type { LintSource } from './model.js'
import type { DirectoryView } from './types.js'

/** What the linter gets: the sources, the directory listings, and the mode. */
export interface LintInput {
  mode: 'dir' | 'files'
  sources: LintSource[]
  directories: DirectoryView[]
}

/**
 * Every `.sql` regular file of `dir` (names relative to it). Throws only
 * when the directory itself cannot be listed.
 */
export async function collectDir(dir: string, fs: ScanFs = realFs): Promise<LintInput> {
  const { names, odd } = await listSql(dir, fs)
  const sources = await Promise.all(names.map((name) => read(join(dir, name), name, fs)))
  // A FIFO, device or directory named like a migration is what `up` refuses:
  // an unreadable file here, described but never opened (a FIFO would block).
  for (const name of odd) {
    const what = fs.describe ? await fs.describe(join(dir, name)) : 'not a regular file'
    sources.push({ file: name, base: name, unreadable: `is ${what}; a migration must be a regular file (or a symlink to one)` })
  }
  return { mode: 'dir', sources, directories: [{ names, linted: new Map(names.map((n) => [n, n])) }] }
}


/**
 * The files given (paths relative to `cwd`, reported as given), in that
 * order. A path that cannot be read becomes an unreadable source (a
 * finding), not an exception.
 */
export async function collectFiles(paths: string[], cwd: string, fs: ScanFs = realFs): Promise<LintInput> {
  const sources = await Promise.all(paths.map((p) => read(resolve(cwd, p), p, fs)))
  const groups = new Map<string, Map<string, string>>()
  for (const [i, p] of paths.entries()) {
    // A path that does not exist is reported as such, not also as a file without its down.
    if (sources[i]!.missing) continue
    const dir = dirname(resolve(cwd, p))
    const linted = groups.get(dir) ?? new Map<string, string>()
    linted.set(basename(p), p)
    groups.set(dir, linted)
  }
  const directories = await Promise.all(
    [...groups].map(async ([dir, linted]): Promise<DirectoryView> => {
      let names: string[] = []
      try {
        names = await sqlFiles(dir, fs)
      } catch {
        // An unlistable directory: judge the given names alone.
      }
      return { names: [...new Set([...names, ...linted.keys()])].sort(), linted }
    }),
  )
  return { mode: 'files', sources, directories }
}

async function sqlFiles(dir: string, fs: ScanFs): Promise<string[]> {
  return (await listSql(dir, fs)).names
}

/** The `.sql` regular files of `dir`, and the entries named like migrations that are not regular files. */
async function listSql(dir: string, fs: ScanFs): Promise<{ names: string[]; odd: string[] }> {
  const all = (await fs.readdir(dir)).filter((n) => n.toLowerCase().endsWith('.sql')).sort()
  const regular = await Promise.all(all.map((n) => fs.isFile(join(dir, n))))
  return { names: all.filter((_, i) => regular[i]), odd: all.filter((n, i) => !regular[i] && parseName(n) !== null) }
}

async function read(path: string, file: string, fs: ScanFs): Promise<LintSource & { missing?: boolean }> {
  const base = basename(file)
  if (!(await fs.isFile(path))) {
    return { file, base, unreadable: `cannot be read: no such file (or not a regular file): ${path}`, missing: true }
  }
  try {
    return { file, base, content: decode(file, await fs.readFile(path)) }
  } catch (e) {
    if (e instanceof FileError) return { file, base, unreadable: e.problems.map((p) => p.message).join('; ') }
    return { file, base, unreadable: `cannot be read: ${(e as Error).message}` }
  }
}
