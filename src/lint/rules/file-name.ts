/**
 * `file-name`: names off the directory's convention. A `.sql` file that
 * does not match `NNN_description.up.sql` / `NNN_description_up.sql` is
 * never run by `up` (often a forgotten `.up`). A version padded unlike the
 * rest of its directory (`7_x` among `006_y`, `008_z`) or a description
 * that is not a lowercase slug works, but sorts and reads badly. The width
 * is the directory's own (6 digits throughout is fine), the same one
 * `generate` writes; dots in descriptions are fine.
 */
import { nameAdvice, parseName, versionWidth } from '../../source/name.js'
import type { LintRule } from '../types.js'

/** The `file-name` rule (warning); documented in README.md#file-name. */
export const fileName: LintRule = {
  id: 'file-name',
  severity: 'warning',
  docs: "Name migrations NNN_lowercase_slug.up.sql / .down.sql, as wide as the directory's other versions (link-migrate generate does)",
  why: 'A file off the pattern is never run by `up` (often a forgotten `.up`). A version padded unlike the rest of its directory (`7_x` among `006_y`, or `042_x` among `000041_y`) or a description that is not a lowercase slug works, but sorts and reads badly. The width is the directory\'s own: the most common width of its zero-padded versions (`000001_init` throughout is fine; a directory that never pads is fine too; 3 for a new directory), the width `generate` writes. Dots in a description are fine (`005_2.10.0_schema`).',
  check(ctx) {
    const widths = new Map<string, number>()
    for (const dir of ctx.directories) {
      const width = versionWidth(dir.names.flatMap((n) => parseName(n)?.digits ?? []))
      for (const file of dir.linted.values()) widths.set(file, width)
    }
    for (const file of ctx.files) {
      if (!file.name) {
        ctx.report(
          { file },
          `${file.base} is not a migration file name (NNN_description.up.sql or NNN_description_up.sql): up never runs it`,
        )
        continue
      }
      for (const advice of nameAdvice(file.name, widths.get(file.file) ?? 3)) ctx.report({ file }, advice)
    }
  },
}
