/** generate: writes the next up/down file pair (never connects). */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ConfigError, MigrateError } from '../errors.js'
import { slugify, versionWidth } from '../source/name.js'
import type { Context } from './context.js'
import type { GenerateResult } from './types.js'

export async function generate(ctx: Context, description: string): Promise<GenerateResult> {
  const dir = ctx.dir
  const slug = slugify(description)
  if (!slug) throw new ConfigError(`description ${JSON.stringify(description)} has no letters or digits to make a file name from`)
  await mkdir(dir, { recursive: true })
  const source = await ctx.load(false, false)
  const last = source.migrations.reduce((max, m) => Math.max(max, m.version), 0)
  const version = last + 1
  // The directory's own width, as lint expects it (source/name.ts).
  const width = versionWidth(source.migrations.map((m) => m.name.slice(0, m.name.indexOf('_'))))
  const stem = `${String(version).padStart(width, '0')}_${slug}`
  // Follow the directory's convention when every file uses the underscore form.
  const underscore = source.migrations.length > 0 && source.migrations.every((m) => m.up.file.endsWith('_up.sql'))
  const [upName, downName] = underscore ? [`${stem}_up.sql`, `${stem}_down.sql`] : [`${stem}.up.sql`, `${stem}.down.sql`]
  const upPath = join(dir, upName)
  const downPath = join(dir, downName)
  try {
    await writeFile(upPath, `-- ${description}\n`, { flag: 'wx' })
    await writeFile(downPath, `-- Undo: ${description}\n`, { flag: 'wx' })
  } catch (e) {
    throw new MigrateError('GENERATE_FAILED', `cannot create ${(e as { path?: string }).path ?? upPath}: ${(e as Error).message}`)
  }
  return { version, up: upPath, down: downPath }
}
