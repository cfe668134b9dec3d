import type { Context } from '../context.js'

/** `repair`: accept the current checksums of applied migrations whose files were edited on purpose. */
export default async function repair(ctx: Context): Promise<number> {
  const result = await ctx.migrator().repair()
  if (ctx.out.json) ctx.out.jsonDocument(result)
  else {
    for (const r of result.repaired) ctx.out.log(`Repaired checksum of ${r.name}: ${r.from.slice(0, 12)} -> ${r.to.slice(0, 12)}`, 'success')
    if (result.repaired.length === 0) ctx.out.log('Nothing to repair: every applied migration matches its file')
  }
  return 0
}
