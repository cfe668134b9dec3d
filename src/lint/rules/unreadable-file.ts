/**
 * `unreadable-file`: a file that cannot be read, or is not UTF-8 text (NUL
 * bytes, invalid UTF-8), or an entry named like a migration that is not a
 * regular file (FIFO, device, directory). `up` refuses it.
 */
import type { LintRule } from '../types.js'

/** The `unreadable-file` rule (error); documented in README.md#unreadable-file. */
export const unreadableFile: LintRule = {
  id: 'unreadable-file',
  severity: 'error',
  docs: 'Save migration files as UTF-8 text',
  why: 'A file with NUL bytes or invalid UTF-8 (saved as Latin-1 or UTF-16), or that cannot be read; or an entry named like a migration that is not a regular file (a FIFO, a device, a directory or a symlink to one), which lint and `up` never open. `up` refuses it.',
  check(ctx) {
    for (const file of ctx.files) if (file.unreadable !== undefined) ctx.report({ file }, file.unreadable)
  },
}
