/** repair: accepts the files' current checksums for migrations edited after they were applied. */
import type { ReservedSql, Sql } from 'postgres'
import { runBookkeeping } from '../db/execute.js'
import { repairSql, type Tracking } from '../db/tracking.js'
import type { Context } from './context.js'
import { locked } from './locked.js'
import type { RepairResult } from './types.js'

/** Accepts the files' current checksums; with `dryRun` only lists what would change. */
export async function repair(ctx: Context, opts: { dryRun?: boolean } = {}): Promise<RepairResult> {
  const source = await ctx.load()
  const dryRun = opts.dryRun ?? ctx.options.dryRun ?? false
  const apply = async (conn: Sql | ReservedSql, t: Tracking, write: boolean) => {
    const { state } = await ctx.readState(conn, t, source)
    const repaired = []
    for (const e of state.modified) {
      if (write) await runBookkeeping(conn as ReservedSql, '', repairSql(t, ctx.service, e.version, e.fileChecksum!))
      repaired.push({ version: e.version, name: e.name, from: e.checksum, to: e.fileChecksum! })
    }
    return { service: ctx.service, dryRun: !write, repaired }
  }
  if (dryRun) return apply(await ctx.db(), await ctx.tables(), false)
  await ctx.usableBeforeWriting(source)
  return locked(ctx, undefined, (s) => apply(s.work, s.t, true))
}
