import { ConfigError } from '../../errors.js'
import type { Context } from '../context.js'
import { MAX_VERSION } from '../../source/name.js'
import { parseInteger } from '../values.js'

/** `mark V`, `mark V --pending`, `mark --to V`, `mark --from golang-migrate`. */
export default async function mark(ctx: Context, args: string[]): Promise<number> {
  const m = ctx.migrator()
  const from = ctx.str('from')
  const to = ctx.int('to', '--to', 0, MAX_VERSION)
  const given = [args.length > 0, to !== undefined, from !== undefined].filter(Boolean).length
  if (given !== 1) {
    throw new ConfigError('mark needs exactly one of: a version (mark 3), --to VERSION, or --from golang-migrate', 'USAGE')
  }
  if (ctx.flags.pending === true && args.length === 0) throw new ConfigError('--pending needs a version: mark 3 --pending', 'USAGE')
  let result
  if (from !== undefined) {
    if (from !== 'golang-migrate') throw new ConfigError(`--from supports golang-migrate, got ${JSON.stringify(from)}`, 'USAGE')
    result = await m.markFromGolangMigrate({ dryRun: ctx.dryRun, force: ctx.flags.force === true })
  } else if (to !== undefined) {
    result = await m.markTo(to, { dryRun: ctx.dryRun })
  } else {
    // Version 0 is a version (golang-migrate sets often start at 0_initial).
    result = await m.mark(parseInteger('version', args[0]!, 0, MAX_VERSION), { pending: ctx.flags.pending === true, dryRun: ctx.dryRun })
  }
  if (ctx.out.json) ctx.out.jsonDocument(result)
  else {
    const verb = result.dryRun ? 'Would mark' : 'Marked'
    for (const x of result.marked) ctx.out.log(`${verb} migration ${x.name} as ${x.state}`, result.dryRun ? 'info' : 'success')
    if (result.marked.length === 0) ctx.out.log('Nothing to mark: the records already say so')
    ctx.out.log(`${result.dryRun ? 'Current version would be' : 'Current version'}: ${result.currentVersion}`)
    if (result.dryRun) ctx.out.log('Dry run: nothing was changed')
  }
  return 0
}
