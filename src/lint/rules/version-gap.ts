/**
 * `version-gap`: a hole in the numbering (003 follows 001). A note, not a
 * warning: harmless to the runner, but usually a deleted or renumbered migration, or a branch
 * that took a number and was never merged.
 */
import { MAX_VERSION, parseName } from '../../source/name.js'
import type { LintRule } from '../types.js'

/** Versions from here on are timestamps (yyyymmdd...), not a sequence. */
const TIMESTAMP_LIKE = 19_000_000

/** The `version-gap` rule (info); documented in README.md#version-gap. */
export const versionGap: LintRule = {
  id: 'version-gap',
  severity: 'info',
  docs: 'Number migrations without holes; check that no migration was deleted or renumbered',
  why: 'A hole in the numbering: usually a deleted or renumbered migration, or a branch that took a number and never merged. Harmless to the runner, so a note, not a warning.',
  check(ctx) {
    for (const dir of ctx.directories) {
      const first = new Map<number, string>()
      for (const base of dir.names) {
        const p = parseName(base)
        if (p?.direction === 'up' && p.version >= 0 && p.version <= MAX_VERSION && !first.has(p.version)) first.set(p.version, base)
      }
      const versions = [...first.keys()].sort((a, b) => a - b)
      for (let i = 1; i < versions.length; i++) {
        const [prev, v] = [versions[i - 1]!, versions[i]!]
        // Timestamp versions (20240101120000, dbmate/goose/golang-migrate) have no sequence to break.
        if (v - prev <= 1 || prev >= TIMESTAMP_LIKE) continue
        const base = first.get(v)!
        const file = dir.linted.has(base) ? ctx.fileNamed(dir.linted.get(base)!) : undefined
        const missing = v - prev === 2 ? `${prev + 1} is missing` : `${prev + 1} to ${v - 1} are missing`
        if (file) ctx.report({ file }, `version ${v} follows ${prev}: ${missing}`)
      }
    }
  },
}
