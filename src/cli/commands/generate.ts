import { ConfigError } from '../../errors.js'
import type { Context } from '../context.js'

/** `generate "add user avatars"` (or --description / the legacy -description): prints the created paths. */
export default async function generate(ctx: Context, args: string[]): Promise<number> {
  const description = ctx.str('description') ?? (args.length > 0 ? args.join(' ') : undefined)
  if (!description?.trim()) {
    throw new ConfigError('generate needs a description: link-migrate generate "add user avatars" (or --description)', 'USAGE')
  }
  const result = await ctx.migrator().generate(description)
  if (ctx.out.json) ctx.out.jsonDocument(result)
  else {
    ctx.out.print(result.up)
    ctx.out.print(result.down)
  }
  return 0
}
