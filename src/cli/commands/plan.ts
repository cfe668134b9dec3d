import type { RunResult } from '../../types.js'
import type { Context } from '../context.js'

/** The `--dry-run` plan: version, name, transactional or not, checksum; SQL with --verbose. */
export function printPlan(ctx: Context, result: RunResult): void {
  const { out } = ctx
  if (out.json) return
  const verb = result.direction === 'up' ? 'Would apply' : 'Would roll back'
  for (const s of result.plan) {
    const mode = s.transactional ? 'transactional' : `no transaction: ${s.noTransactionReason}`
    out.log(`${verb} migration ${s.name} (${s.file}, ${mode}, checksum ${s.checksum})`)
    if (!out.verbose) continue
    if (s.transactional) {
      out.log(`  in one transaction${s.wrapped ? " (the file's own BEGIN/COMMIT dropped)" : ''}:`, 'detail')
      for (const line of s.sql.replace(/\s+$/, '').split('\n')) out.log(`    ${line}`, 'detail')
    } else {
      for (const st of s.statements ?? []) {
        out.log(`  line ${st.line}, on its own (no transaction):`, 'detail')
        for (const line of st.text.split('\n')) out.log(`    ${line}`, 'detail')
      }
    }
  }
  out.log('Dry run: nothing was changed')
}
