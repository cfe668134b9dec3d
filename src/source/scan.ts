import { readFileSync, type Stats } from 'node:fs'
import * as nodeFs from 'node:fs/promises'
import { join } from 'node:path'
import { FileError, type FileProblem } from '../errors.js'
import type { FileRef, MigrationFile, Source, SourceFile, Warning } from '../types.js'
import { checksumBytes } from './checksum.js'
import { MAX_VERSION, parseName, type ParsedName } from './name.js'

/** The file-system calls the scanner needs; injected so tests can fake them. */
export interface ScanFs {
  readdir(dir: string): Promise<string[]>
  readFile(path: string): Promise<Buffer>
  /** true for a regular file (following symlinks), false otherwise. */
  isFile(path: string): Promise<boolean>
  /**
   * Optional: the directory's entries with their kind in one call, so regular
   * files need no stat each (10,000 files: one readdir instead of 10,000 stats).
   */
  list?(dir: string): Promise<{ name: string; kind: 'file' | 'link' | 'other' }[]>
  /**
   * What an entry that is not a regular file is, in words ("a FIFO", "a
   * symlink to a directory"). Optional: a fake without it calls every such
   * entry "not a regular file".
   */
  describe?(path: string): Promise<string>
}

export const realFs: ScanFs = {
  readdir: (dir) => nodeFs.readdir(dir),
  list: async (dir) =>
    (await nodeFs.readdir(dir, { withFileTypes: true })).map((d) => ({
      name: d.name,
      kind: d.isFile() ? 'file' : d.isSymbolicLink() ? 'link' : 'other',
    })),
  // Synchronous reads: thousands of small files are read many times faster
  // than through the thread pool, and the CLI has nothing else to do meanwhile.
  readFile: async (path) => readFileSync(path),
  isFile: async (path) => {
    try {
      return (await nodeFs.stat(path)).isFile()
    } catch {
      return false
    }
  },
  describe: describeEntry,
}

/** `a FIFO`, `a symlink to a directory`, `a symlink to a file that does not exist`, ... */
export async function describeEntry(path: string): Promise<string> {
  let entry: Stats
  try {
    entry = await nodeFs.lstat(path)
  } catch (e) {
    return `gone (${(e as NodeJS.ErrnoException).code ?? 'unreadable'})`
  }
  if (!entry.isSymbolicLink()) return kindOf(entry)
  try {
    return `a symlink to ${kindOf(await nodeFs.stat(path))}`
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    return code === 'ENOENT' ? 'a symlink to a file that does not exist' : `a symlink that cannot be followed (${code ?? 'unknown error'})`
  }
}

function kindOf(s: Stats): string {
  if (s.isFile()) return 'a regular file'
  if (s.isDirectory()) return 'a directory'
  if (s.isFIFO()) return 'a FIFO (named pipe)'
  if (s.isCharacterDevice()) return 'a character device'
  if (s.isBlockDevice()) return 'a block device'
  if (s.isSocket()) return 'a socket'
  return 'not a regular file'
}

/** Names that look meant as migrations but are not (`-1_x.up.sql`, `001_a.UP.sql`), and why. */
export function nameMistake(file: string): string | undefined {
  if (/^[-+]\d+_[^/]+[._](up|down)\.sql$/i.test(file)) return 'a version is digits only, without a sign'
  if (/^\d+_[^/]+[._](up|down)\.sql$/i.test(file)) return 'the suffix must be lower case (.up.sql, .down.sql, _up.sql, _down.sql)'
  return undefined
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * Decodes a migration file: refuses NUL bytes and invalid UTF-8 (naming the
 * file and the byte), drops a UTF-8 BOM. Throws FileError.
 */
export function decode(file: string, bytes: Uint8Array): string {
  const nul = bytes.indexOf(0)
  if (nul !== -1) {
    throw new FileError([{ file, message: `contains a NUL byte at byte ${nul}; migration files must be UTF-8 text` }])
  }
  let text: string
  try {
    text = utf8.decode(bytes)
  } catch {
    throw new FileError([{ file, message: `is not valid UTF-8 (at byte ${firstInvalidUtf8(bytes)}); save it as UTF-8` }])
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
}

/** Reads and decodes one file. Throws FileError (bad content) or the fs error. */
export async function readSource(ref: FileRef, fs: ScanFs = realFs): Promise<SourceFile> {
  const bytes = await fs.readFile(ref.path)
  return { ...ref, content: decode(ref.file, bytes) }
}

const BOM = [0xef, 0xbb, 0xbf]

/** Up files read per turn of the event loop (see scan). */
const READ_BATCH = 128

/**
 * Reads an up file: its text and its checksum, hashed from the bytes (no
 * second copy of a large file's text). Throws as readSource.
 */
async function readUp(ref: FileRef, fs: ScanFs): Promise<{ source: SourceFile; checksum: string }> {
  const bytes = await fs.readFile(ref.path)
  const source = { ...ref, content: decode(ref.file, bytes) }
  const bom = BOM.every((b, i) => bytes[i] === b)
  return { source, checksum: checksumBytes(bom ? bytes.subarray(3) : bytes) }
}

/**
 * Reads a migrations directory (SPEC 3). Never throws for bad files: they are
 * returned as `problems` so `verify` can list them and `up` can refuse them
 * all at once (see `assertUsable`). Throws only when the directory itself
 * cannot be read.
 */
export async function scan(dir: string, fs: ScanFs = realFs): Promise<Source> {
  const kinds = fs.list ? new Map((await fs.list(dir)).map((e) => [e.name, e.kind])) : undefined
  const names = (kinds ? [...kinds.keys()] : await fs.readdir(dir)).filter((n) => n.toLowerCase().endsWith('.sql')).sort()
  const warnings: Warning[] = []
  const problems: FileProblem[] = []
  const ups = new Map<number, { parsed: ParsedName; file: string }>()
  const downs = new Map<number, { parsed: ParsedName; file: string }>()

  for (const file of names) {
    const kind = kinds?.get(file)
    if (kind === 'other' || (kind !== 'file' && !(await fs.isFile(join(dir, file))))) {
      // A migration that silently disappears is worse than a refusal; reading
      // a FIFO would wait forever, so nothing but its kind is looked at.
      const what = fs.describe ? await fs.describe(join(dir, file)) : 'not a regular file'
      if (parseName(file)) {
        problems.push({ file, message: `is ${what}; a migration must be a regular file (or a symlink to one)` })
      } else {
        warnings.push({ file, message: `is ${what}, not a migration file; ignored`, ignored: true })
      }
      continue
    }
    const parsed = parseName(file)
    if (!parsed) {
      const mistake = nameMistake(file)
      warnings.push({
        file,
        message: mistake
          ? `is not a migration file name: ${mistake}; ignored`
          : 'is not a migration file name (NNN_description.up.sql / .down.sql); ignored',
        ignored: true,
      })
      continue
    }
    // Version 0 is a version (golang-migrate sets often start at 0_initial).
    if (parsed.version > MAX_VERSION) {
      problems.push({ file, message: `version ${parsed.digits} is larger than ${MAX_VERSION}, the largest version link-migrate reads exactly` })
      continue
    }
    const seen = parsed.direction === 'up' ? ups : downs
    const twin = seen.get(parsed.version)
    if (twin) {
      problems.push({
        file,
        message: `duplicate ${parsed.direction} migration for version ${parsed.version}: ${twin.file} and ${file}`,
      })
      continue
    }
    seen.set(parsed.version, { parsed, file })
  }

  for (const [version, down] of downs) {
    const up = ups.get(version)
    if (!up) {
      // A problem only when the version is not applied: an applied version
      // whose up file was deleted is a "missing file" (see assertUsable).
      problems.push({ file: down.file, message: `down migration for version ${version} has no up file`, orphanDown: version })
    } else if (up.parsed.description !== down.parsed.description) {
      warnings.push({
        file: down.file,
        message: `pairs with ${up.file} by version, but its description "${down.parsed.description}" differs`,
      })
    }
  }

  const versions = [...ups.keys()].sort((a, b) => a - b)
  const migrations: MigrationFile[] = []
  const readOne = async (version: number): Promise<{ source: SourceFile; checksum: string } | FileProblem[]> => {
    const up = ups.get(version)!
    try {
      return await readUp({ path: join(dir, up.file), file: up.file }, fs)
    } catch (e) {
      if (e instanceof FileError) return e.problems
      return [{ file: up.file, message: `cannot be read: ${(e as Error).message}` }]
    }
  }
  // Reading in parallel matters with thousands of files on a cold cache.
  // Failures are collected per file and reported in version order below,
  // not in the order the reads happen to finish. Between batches the event
  // loop turns, so a login begun before the scan (Context.ahead) goes on
  // meanwhile: the reads themselves are synchronous.
  const read: Awaited<ReturnType<typeof readOne>>[] = []
  for (let at = 0; at < versions.length; at += READ_BATCH) {
    if (at > 0) await new Promise((resolve) => setImmediate(resolve))
    read.push(...(await Promise.all(versions.slice(at, at + READ_BATCH).map(readOne))))
  }
  versions.forEach((version, i) => {
    const done = read[i]!
    const up = ups.get(version)!
    if (Array.isArray(done)) {
      problems.push(...done)
      return
    }
    const source = done.source
    const down = downs.get(version)
    migrations.push({
      version,
      name: up.parsed.stem,
      description: up.parsed.description,
      up: source,
      down: down ? { path: join(dir, down.file), file: down.file } : undefined,
      checksum: done.checksum,
    })
  })
  return { dir, migrations, warnings, problems }
}

/**
 * Throws one FileError listing every problem, before any database work.
 * `recorded`: the versions recorded as applied, once known: a down file
 * whose up file is gone is then no problem when its version is applied
 * (status lists it as "missing file"); `'later'`: leave such down files to a
 * second call with the records.
 */
export function assertUsable(source: Source, recorded?: ReadonlySet<number> | 'later'): void {
  const problems = usableProblems(source, recorded)
  if (problems.length > 0) throw new FileError(problems)
}

/** The problems that make the directory unusable, given the applied versions (see assertUsable). */
export function usableProblems(source: Source, recorded?: ReadonlySet<number> | 'later'): FileProblem[] {
  if (recorded === undefined) return source.problems
  return source.problems.filter((p) => p.orphanDown === undefined || (recorded !== 'later' && !recorded.has(p.orphanDown)))
}

function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!
    const len = b < 0x80 ? 1 : b >> 5 === 6 ? 2 : b >> 4 === 14 ? 3 : b >> 3 === 30 ? 4 : 0
    if (len === 0) return i
    try {
      utf8.decode(bytes.subarray(i, i + len))
    } catch {
      return i
    }
    i += len - 1
  }
  return bytes.length
}
