/**
 * mark: records versions as applied (or pending) without running them, e.g.
 * to adopt a database another tool migrated (markTo, markFromGolangMigrate).
 */
import type { ReservedSql, Sql } from 'postgres'
import { isRecorded } from '../core/plan.js'
import { runBookkeeping } from '../db/execute.js'
import { markerClearSql } from '../db/progress.js'
import { guardSql } from '../db/guard.js'
import { readGolangMigrate, recordDownSql, recordUpSql, type Tracking } from '../db/tracking.js'
import { ConfigError, MigrateError } from '../errors.js'
import type { Context } from './context.js'
import { locked } from './locked.js'
import { checkVersionColumns } from './steps.js'
import type { MarkResult } from './types.js'

/**
 * Records (or removes) versions. With `dryRun`: no lock, no write, not
 * even the bookkeeping tables; the result says what would be recorded.
 */
export async function markVersions(ctx: Context, versions: number[], pending: boolean, dryRun: boolean): Promise<MarkResult> {
  const { service, dir } = ctx
  const source = await ctx.load()
  const byVersion = new Map(source.migrations.map((m) => [m.version, m]))
  if (!pending) await checkVersionColumns(await ctx.db(), await ctx.tables(), versions.map((version) => ({ version, file: byVersion.get(version)?.up.file })))
  const apply = async (conn: Sql | ReservedSql, t: Tracking, write: boolean): Promise<MarkResult> => {
    const { state } = await ctx.readState(conn, t, source)
    const applied = new Set(state.entries.filter(isRecorded).map((e) => e.version))
    // Marking a version resolves an unfinished run of it (its progress marker goes with the record).
    const unfinished = new Set(state.interrupted.map((e) => e.version))
    const clear = (v: number) => (unfinished.has(v) ? markerClearSql(t, service, v) : '')
    const marked: MarkResult['marked'] = []
    for (const v of versions) {
      if (pending) {
        if (!applied.has(v) && !unfinished.has(v)) continue
        const record = applied.has(v) ? recordDownSql(t, service, v) : ''
        if (write) await runBookkeeping(conn as ReservedSql, '', record + clear(v))
        marked.push({ version: v, name: state.entries.find((e) => e.version === v)!.name, state: 'pending' })
      } else {
        const f = byVersion.get(v)
        if (!f) throw new ConfigError(`no migration file has version ${v} in ${dir}`, 'TARGET_INVALID')
        if (applied.has(v)) {
          // An interrupted down of an applied version: it stays applied.
          if (!unfinished.has(v)) continue
          if (write) await runBookkeeping(conn as ReservedSql, '', clear(v))
          marked.push({ version: v, name: f.name, state: 'applied' })
          continue
        }
        const outcome = write ? await runBookkeeping(conn as ReservedSql, guardSql(t, service, v, 'up'), recordUpSql(t, service, f) + clear(v)) : 'done'
        if (outcome === 'done') marked.push({ version: v, name: f.name, state: 'applied' })
      }
    }
    if (!write) {
      // What the version would be: the highest applied one after the change.
      const after = new Set(applied)
      for (const m of marked) m.state === 'applied' ? after.add(m.version) : after.delete(m.version)
      return { service, dryRun: true, marked, currentVersion: Math.max(0, ...after) }
    }
    const after = await ctx.readState(conn, t, source, false)
    return { service, dryRun: false, marked, currentVersion: after.state.currentVersion }
  }
  if (dryRun) return apply(await ctx.db(), await ctx.tables(), false)
  await ctx.usableBeforeWriting(source)
  return locked(ctx, undefined, (s) => apply(s.work, s.t, true))
}

export async function markTo(ctx: Context, to: number, opts: { dryRun?: boolean } = {}): Promise<MarkResult> {
  const source = await ctx.load()
  return markVersions(ctx, source.migrations.filter((m) => m.version <= to).map((m) => m.version), false, opts.dryRun ?? ctx.options.dryRun ?? false)
}

export async function markFromGolangMigrate(ctx: Context, opts: { dryRun?: boolean; force?: boolean } = {}): Promise<MarkResult> {
  const sql = await ctx.db()
  const gm = await readGolangMigrate(sql)
  if (!gm) throw new MigrateError('QUERY_FAILED', 'no golang-migrate table schema_migrations in this database')
  if (gm.dirty) {
    throw new MigrateError(
      'INTEGRITY',
      `golang-migrate's schema_migrations is dirty at version ${gm.version}: fix that migration by hand and clear the dirty flag first`,
      { exitCode: 3 },
    )
  }
  const source = await ctx.load()
  // An empty table: golang-migrate applied nothing (version 0 is a real version).
  if (gm.version === null) {
    const { state } = await ctx.readState(sql, await ctx.tables(), source)
    return { service: ctx.service, dryRun: opts.dryRun ?? ctx.options.dryRun ?? false, marked: [], currentVersion: state.currentVersion }
  }
  // The recorded version must be one of these files: anything else means
  // another directory, a renumbered set or files not pulled yet, and
  // marking up to it would record the wrong history.
  const versions = source.migrations.map((m) => m.version)
  if (!opts.force && !versions.includes(gm.version)) {
    const below = source.migrations.filter((m) => m.version < gm.version!).at(-1)
    const above = source.migrations.find((m) => m.version > gm.version!)
    const near = [below && `${below.up.file} below`, above && `${above.up.file} above`].filter(Boolean).join(', ')
    const why = above ? 'no migration file has that version' : 'it lies above every migration file'
    throw new MigrateError(
      'INTEGRITY',
      `golang-migrate's schema_migrations records version ${gm.version}, but ${why} in ${ctx.dir}` +
        `${near ? ` (nearest: ${near})` : ' (the directory has no migrations)'}; ` +
        'check that this is the right directory, or mark up to the nearest file below it with --force',
      { exitCode: 3 },
    )
  }
  return markTo(ctx, gm.version, opts)
}
