/**
 * `duplicate-version`: two up files (or two down files) with one version,
 * also across the two naming styles and widths (`7_a.up.sql`,
 * `007_b_up.sql`). `up` refuses the directory: which one would run?
 */
import { parseName } from '../../source/name.js'
import type { LintRule } from '../types.js'

/** The `duplicate-version` rule (error); documented in README.md#duplicate-version. */
export const duplicateVersion: LintRule = {
  id: 'duplicate-version',
  severity: 'error',
  docs: 'Give each migration its own version: renumber the newer file (link-migrate generate picks the next one)',
  why: 'Two up (or two down) files with one version, also across naming styles (`7_a.up.sql`, `007_b_up.sql`). `up` refuses the directory: which would run?',
  check(ctx) {
    for (const dir of ctx.directories) {
      const groups = new Map<string, string[]>()
      for (const base of dir.names) {
        const p = parseName(base)
        if (!p) continue
        const key = `${p.direction} ${p.version}`
        groups.set(key, [...(groups.get(key) ?? []), base])
      }
      for (const [key, bases] of groups) {
        if (bases.length < 2) continue
        // One finding per clash, on the last of them that is being linted.
        const at = [...bases].reverse().find((b) => dir.linted.has(b))
        const file = at === undefined ? undefined : ctx.fileNamed(dir.linted.get(at)!)
        if (!file) continue
        const [direction, version] = key.split(' ')
        ctx.report({ file }, `duplicate ${direction} migration for version ${version}: ${bases.join(', ')}`)
      }
    }
  },
}
