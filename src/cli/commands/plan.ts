import type { RunResult } from '../../types.js'
import type { Context } from '../context.js'

/** The `--dry-run` plan: version, name, transactional or not, checksum; SQL with --verbose. */
export function printPlan(ctx: Context, result: RunResult): void {
  const { out } = ctx
  if (out.json) return
  const verb = result.direction === 'up' ? 'Would apply' : 'Would roll back'
  for (const s of result.plan) {
    out.log(`${verb} migration ${s.name} (${s.file}, ${s.transactional ? 'transactional' : 'no transaction'}, checksum ${s.checksum})`)
    if (out.verbose) for (const line of s.sql.replace(/\n$/, '').split('\n')) out.log(`    ${line}`, 'detail')
  }
  out.log('Dry run: nothing was changed')
}
