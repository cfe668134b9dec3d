/** verify: what is wrong between the files and the database, as findings (nothing is changed). */
import { describeInterruption } from '../core/interrupted.js'
import { isRecorded } from '../core/plan.js'
import { concurrentIndexNames } from '../core/prepare.js'
import { invalidIndexes } from '../db/execute.js'
import type { Finding, Source, VerifyResult } from '../types.js'
import type { Context } from './context.js'

export async function verify(ctx: Context): Promise<VerifyResult> {
  const source = await ctx.load(false)
  const sql = await ctx.db()
  const { state, duplicates } = await ctx.readState(sql, await ctx.tables(), source, false)
  const recorded = new Set(state.entries.filter(isRecorded).map((e) => e.version))
  /** Down files left where an applied version's up file was deleted: part of its missing-file finding. */
  const leftDowns = new Map<number, string>()
  const findings: Finding[] = []
  for (const p of source.problems) {
    if (p.orphanDown === undefined) findings.push({ kind: 'bad-name', severity: 'error', file: p.file, message: p.message })
    else if (recorded.has(p.orphanDown)) leftDowns.set(p.orphanDown, p.file)
    // The same name as lint's rule.
    else findings.push({ kind: 'orphan-down', severity: 'error', version: p.orphanDown, file: p.file, message: p.message })
  }
  for (const w of source.warnings) findings.push({ kind: 'bad-name', severity: 'warning', file: w.file, message: w.message })
  for (const e of state.modified) {
    findings.push({
      kind: 'modified',
      severity: 'error',
      version: e.version,
      file: fileOf(source, e.version),
      message: `${e.name} changed since it was applied (recorded checksum ${e.checksum.slice(0, 12)}, file ${e.fileChecksum?.slice(0, 12)}); revert the edit or accept it with repair`,
    })
  }
  for (const e of state.missing) {
    const left = leftDowns.get(e.version)
    findings.push({
      kind: 'missing-file',
      severity: 'error',
      version: e.version,
      ...(left ? { file: left } : {}),
      message: left
        ? `${e.name} is applied but its up file is gone (only ${left} is left); restore the up file, or roll it back by hand and remove the record with mark ${e.version} --pending`
        : `${e.name} is applied but its file is gone`,
    })
  }
  for (const e of state.interrupted) {
    findings.push({
      kind: e.interrupted!.kind === 'own-transactions' ? 'partially-applied' : 'interrupted',
      severity: 'error',
      version: e.version,
      file: e.interrupted!.file,
      message: describeInterruption(e.name, e.version, e.interrupted!),
    })
  }
  for (const f of state.outOfOrder) {
    findings.push({
      kind: 'out-of-order',
      severity: 'error',
      version: f.version,
      file: f.up.file,
      message: `${f.name} is pending but older than the current version ${state.currentVersion}`,
    })
  }
  for (const f of source.migrations) {
    if (!f.down) findings.push({ kind: 'missing-down', severity: 'warning', version: f.version, file: f.up.file, message: `${f.name} has no down file` })
  }
  for (const name of await invalidIndexes(sql, concurrentIndexNames(source.migrations.map((m) => m.up.content)))) {
    findings.push({
      kind: 'invalid-index',
      severity: 'error',
      message: `index ${name} is INVALID (a CREATE INDEX CONCURRENTLY failed); the next up drops and rebuilds it`,
    })
  }
  for (const v of duplicates) {
    findings.push({ kind: 'duplicate-record', severity: 'warning', version: v, message: `version ${v} is recorded more than once in migration_records` })
  }
  return { service: ctx.service, ok: !findings.some((f) => f.severity === 'error'), findings }
}

function fileOf(source: Source, version: number): string | undefined {
  return source.migrations.find((m) => m.version === version)?.up.file
}
