/**
 * The migrations of a directory as rehearsal steps: scanned, read, and each
 * file prepared the way `up` prepares it.
 */
import { prepareStep } from '../core/prepare.js'
import { FileError, isMigrateError, type FileProblem } from '../errors.js'
import { assertUsable, readSource, scan } from '../source/scan.js'
import type { MigrationFile, PlanStep } from '../types.js'
import type { RehearsalStep } from './rehearse.js'

/** Scans the directory (refusing unusable files) and reads every down file. */
export async function load(dir: string): Promise<{ migrations: MigrationFile[]; downs: Map<number, { file: string; content: string }> }> {
  const source = await scan(dir)
  assertUsable(source)
  const downs = new Map<number, { file: string; content: string }>()
  for (const m of source.migrations) {
    if (m.down) downs.set(m.version, { file: m.down.file, content: (await readSource(m.down)).content })
  }
  return { migrations: source.migrations, downs }
}

/**
 * Every file through the runner's own preparation (splitting, the
 * transactional decision, refusals). Throws one FileError naming every
 * problem, as `up` would before touching the database.
 */
export function prepareAll(
  migrations: MigrationFile[],
  downs: Map<number, { file: string; content: string }>,
  serverMajor: number | undefined,
): RehearsalStep[] {
  const problems: FileProblem[] = []
  const steps: RehearsalStep[] = []
  const attempt = (fn: () => PlanStep): PlanStep | undefined => {
    try {
      return fn()
    } catch (e) {
      if (e instanceof FileError) problems.push(...e.problems)
      else if (isMigrateError(e)) problems.push({ file: '', message: e.message })
      else throw e
      return undefined
    }
  }
  for (const m of migrations) {
    const up = attempt(() => prepareOne(m, 'up', m.up.content, m.up.file, serverMajor))
    const d = downs.get(m.version)
    const down = d ? attempt(() => prepareOne(m, 'down', d.content, d.file, serverMajor)) : undefined
    if (up) steps.push({ version: m.version, name: m.name, up, ...(down ? { down } : {}) })
  }
  if (problems.length > 0) throw new FileError(problems)
  return steps
}

export function prepareOne(m: MigrationFile, direction: 'up' | 'down', content: string, file: string, serverMajor: number | undefined): PlanStep {
  return prepareStep({ version: m.version, name: m.name, direction, file, checksum: m.checksum, content, serverMajor })
}
