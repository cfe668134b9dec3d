import type { Context } from '../context.js'

/** `repair`: accept the current checksums of applied migrations whose files were edited on purpose. */
export default async function repair(ctx: Context): Promise<number> {
  const result = await ctx.migrator().repair({ dryRun: ctx.dryRun })
  if (ctx.out.json) ctx.out.jsonDocument(result)
  else {
    const verb = result.dryRun ? 'Would repair' : 'Repaired'
    for (const r of result.repaired) ctx.out.log(`${verb} checksum of ${r.name}: ${r.from.slice(0, 12)} -> ${r.to.slice(0, 12)}`, result.dryRun ? 'info' : 'success')
    if (result.repaired.length === 0) ctx.out.log('Nothing to repair: every applied migration matches its file')
    if (result.dryRun) ctx.out.log('Dry run: nothing was changed')
  }
  return 0
}
