/**
 * `orphan-down`: a down file with no up file of its version. `up` refuses
 * the directory (usually a renamed or renumbered up file).
 */
import { parseName } from '../../source/name.js'
import type { LintRule } from '../types.js'

/** The `orphan-down` rule (error); documented in README.md#orphan-down. */
export const orphanDown: LintRule = {
  id: 'orphan-down',
  severity: 'error',
  docs: 'Give every down file the version of the up file it undoes, or delete it',
  why:
    'A down file with no up file of its version, usually left behind when the up file was renumbered or deleted. `up` and `down` refuse the directory, ' +
    'unless that version is applied (its up file deleted after it ran): then `status` lists it as "missing file", `verify` reports it as `missing-file` (exit 3), and the other versions still go up and down.',
  check(ctx) {
    for (const dir of ctx.directories) {
      const parsed = dir.names.map((b) => [b, parseName(b)] as const)
      const ups = new Set(parsed.flatMap(([, p]) => (p?.direction === 'up' ? [p.version] : [])))
      for (const [base, p] of parsed) {
        if (p?.direction !== 'down' || ups.has(p.version)) continue
        const file = dir.linted.has(base) ? ctx.fileNamed(dir.linted.get(base)!) : undefined
        if (file) ctx.report({ file }, `down migration for version ${p.version} has no up file`)
      }
    }
  },
}
