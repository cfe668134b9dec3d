/**
 * `pair-mismatch`: a down file whose description differs from its up
 * file's. They still pair by version (SPEC 3), but the names no longer say
 * they belong together: usually one of them was renamed.
 */
import { parseName, type ParsedName } from '../../source/name.js'
import type { LintRule } from '../types.js'

/** The `pair-mismatch` rule (warning); documented in README.md#pair-mismatch. */
export const pairMismatch: LintRule = {
  id: 'pair-mismatch',
  severity: 'warning',
  docs: 'Give the down file the same NNN_description as its up file',
  why: 'A down file pairs with its up file by version; a different description means one of them was renamed.',
  check(ctx) {
    for (const dir of ctx.directories) {
      const ups = new Map<number, ParsedName[]>()
      for (const b of dir.names) {
        const p = parseName(b)
        if (p?.direction === 'up') ups.set(p.version, [...(ups.get(p.version) ?? []), p])
      }
      for (const base of dir.names) {
        const p = parseName(base)
        const candidates = p?.direction === 'down' ? (ups.get(p.version) ?? []) : []
        // With duplicate up files (duplicate-version's finding), any of them may be the pair.
        if (!p || candidates.length === 0 || candidates.some((up) => up.description === p.description)) continue
        const up = candidates[0]!
        const file = dir.linted.has(base) ? ctx.fileNamed(dir.linted.get(base)!) : undefined
        if (file) ctx.report({ file }, `pairs with ${up.stem} by version, but its description "${p.description}" differs from "${up.description}"`)
      }
    }
  },
}
