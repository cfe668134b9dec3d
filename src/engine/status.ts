/** status: where the service stands; statusAll: every service recorded in the database. */
import { concurrentIndexNames } from '../core/prepare.js'
import { invalidIndexes } from '../db/execute.js'
import { readServices, tablesState, type ServiceRow } from '../db/tracking.js'
import type { StatusResult } from '../types.js'
import type { Context } from './context.js'

export async function status(ctx: Context): Promise<StatusResult> {
  const source = await ctx.load()
  const sql = await ctx.db()
  const { state } = await ctx.readState(sql, await ctx.tables(), source)
  return {
    service: ctx.service,
    currentVersion: state.currentVersion,
    pending: state.pending.length,
    migrations: state.entries,
    invalidIndexes: await invalidIndexes(sql, concurrentIndexNames(source.migrations.map((m) => m.up.content))),
  }
}

export async function statusAll(ctx: Context): Promise<ServiceRow[]> {
  const sql = await ctx.db()
  const t = await ctx.tables()
  const exist = await tablesState(sql, t)
  return exist.versions && exist.records ? readServices(sql, t) : []
}
