/**
 * `missing-down`: an up file without a down file. Allowed (`down` of that
 * version then fails and changes nothing), but worth a decision.
 */
import { parseName } from '../../source/name.js'
import type { LintRule } from '../types.js'

/** The `missing-down` rule (warning); documented in README.md#missing-down. */
export const missingDown: LintRule = {
  id: 'missing-down',
  severity: 'warning',
  docs: 'Write NNN_x.down.sql to undo the migration (an empty one is not an undo)',
  why: 'An up file without a down file: allowed, but `down` of that version then fails (and changes nothing).',
  check(ctx) {
    for (const dir of ctx.directories) {
      const parsed = dir.names.map((b) => [b, parseName(b)] as const)
      const downs = new Set(parsed.flatMap(([, p]) => (p?.direction === 'down' ? [p.version] : [])))
      for (const [base, p] of parsed) {
        if (p?.direction !== 'up' || downs.has(p.version)) continue
        const file = dir.linted.has(base) ? ctx.fileNamed(dir.linted.get(base)!) : undefined
        if (file) ctx.report({ file }, `${p.stem} has no down file: down of version ${p.version} would fail`)
      }
    }
  },
}
