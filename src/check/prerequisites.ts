/**
 * What a set needs to exist before its first migration (`check --setup
 * FILE`, `--with DIR`): SQL files run as they are, and another service's
 * migrations applied up, in the order given, on the scratch database. The
 * schema they make is the starting point every comparison is made from.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { prepareStep } from '../core/prepare.js'
import { ConfigError, FileError, MigrateError } from '../errors.js'
import { assertUsable, decode, readSource, scan } from '../source/scan.js'
import type { PlanStep } from '../types.js'
import type { CheckEngine } from './engine.js'
import type { Adaptation } from './rewrite.js'

/** One prerequisite file, read: a setup file, or an up file of a `with` directory. */
export interface Prerequisite {
  /** `--setup FILE` or `--with DIR`, for messages. */
  origin: string
  /** The file as findings name it: the path given, or DIR/NNN_x.up.sql. */
  file: string
  version: number
  name: string
  content: string
}

/**
 * Reads every setup file and every up file of every `with` directory, in
 * order (setup files first). Throws ConfigError naming the flag for a file
 * or directory that cannot be read, FileError for unusable migrations.
 */
export async function loadPrerequisites(setup: readonly string[] = [], withDirs: readonly string[] = []): Promise<Prerequisite[]> {
  const out: Prerequisite[] = []
  for (const file of setup) {
    let bytes: Uint8Array
    try {
      bytes = await readFile(file)
    } catch (e) {
      throw new ConfigError(`--setup ${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 'USAGE')
    }
    out.push({ origin: `--setup ${file}`, file, version: 0, name: 'setup', content: decode(file, bytes) })
  }
  for (const dir of withDirs) {
    let source
    try {
      source = await scan(dir)
    } catch (e) {
      if (e instanceof FileError || e instanceof MigrateError) throw new ConfigError(`--with ${dir}: ${e.message}`, 'USAGE')
      throw e
    }
    assertUsable(source)
    for (const m of source.migrations) {
      const up = await readSource(m.up)
      out.push({ origin: `--with ${dir}`, file: join(dir, m.up.file), version: m.version, name: m.name, content: up.content })
    }
  }
  return out
}

/** Each prerequisite through the runner's own preparation. Throws FileError (e.g. top-level COMMIT). */
export function preparePrerequisites(list: readonly Prerequisite[], serverMajor: number | undefined): PlanStep[] {
  return list.map((p) =>
    prepareStep({ version: p.version, name: p.name, direction: 'up', file: p.file, checksum: '', content: p.content, serverMajor }),
  )
}

/**
 * Runs the prerequisites on the engine, in order. Throws a MigrateError
 * naming the flag and the file (with the server's file:line:col message)
 * when one fails or the engine cannot run it: without them the check
 * would mean nothing.
 */
export async function runPrerequisites(
  engine: CheckEngine,
  list: readonly Prerequisite[],
  steps: readonly PlanStep[],
  opts: { adapt?: (s: PlanStep) => Adaptation; timeoutMs?: number; onEvent?: (file: string) => void },
): Promise<void> {
  for (const [i, step] of steps.entries()) {
    const p = list[i]!
    let run = step
    if (opts.adapt) {
      const a = opts.adapt(step)
      if (a.skip) throw new MigrateError('MIGRATION_FAILED', `${p.origin}: ${p.file} cannot run on this engine: ${a.skip}`)
      run = a.step
    }
    try {
      await engine.run(run, { timeoutMs: opts.timeoutMs })
    } catch (e) {
      const details = e instanceof MigrateError ? e.details : []
      throw new MigrateError('MIGRATION_FAILED', `${p.origin}: ${(e as Error).message}`, { cause: e, details })
    }
    opts.onEvent?.(p.file)
  }
}
