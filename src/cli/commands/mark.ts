import { ConfigError } from '../../errors.js'
import type { Context } from '../context.js'
import { parseInteger } from '../values.js'

/** `mark V`, `mark V --pending`, `mark --to V`, `mark --from golang-migrate`. */
export default async function mark(ctx: Context, args: string[]): Promise<number> {
  const m = ctx.migrator()
  const from = ctx.str('from')
  const to = ctx.int('to', '--to')
  const given = [args.length > 0, to !== undefined, from !== undefined].filter(Boolean).length
  if (given !== 1) {
    throw new ConfigError('mark needs exactly one of: a version (mark 3), --to VERSION, or --from golang-migrate', 'USAGE')
  }
  if (ctx.flags.pending === true && args.length === 0) throw new ConfigError('--pending needs a version: mark 3 --pending', 'USAGE')
  let result
  if (from !== undefined) {
    if (from !== 'golang-migrate') throw new ConfigError(`--from supports golang-migrate, got ${JSON.stringify(from)}`, 'USAGE')
    result = await m.markFromGolangMigrate()
  } else if (to !== undefined) {
    result = await m.markTo(to)
  } else {
    result = await m.mark(parseInteger('version', args[0]!, 1), { pending: ctx.flags.pending === true })
  }
  if (ctx.out.json) ctx.out.jsonDocument(result)
  else {
    for (const x of result.marked) ctx.out.log(`Marked migration ${x.name} as ${x.state}`, 'success')
    if (result.marked.length === 0) ctx.out.log('Nothing to mark: the records already say so')
    ctx.out.log(`Current version: ${result.currentVersion}`)
  }
  return 0
}
