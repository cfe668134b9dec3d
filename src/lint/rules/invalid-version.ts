/**
 * `invalid-version`: a version larger than link-migrate reads exactly
 * (2^53 - 1; timestamps fit). `up` refuses the whole directory. Version 0
 * is a version like any other.
 */
import { MAX_VERSION } from '../../source/name.js'
import type { LintRule } from '../types.js'

/** The `invalid-version` rule (error); documented in README.md#invalid-version. */
export const invalidVersion: LintRule = {
  id: 'invalid-version',
  severity: 'error',
  docs: `Number migrations from 0 up to ${MAX_VERSION} (timestamps such as 20240101120000 fit), e.g. 001`,
  why: 'Versions are read as exact integers up to 2^53 - 1: version 0 is a version (golang-migrate sets often start at `0_initial`) and timestamp versions (dbmate, goose, golang-migrate) fit the BIGINT columns link-migrate creates (on the old tool\'s INTEGER columns, see [Files](#files)). A longer number would be rounded. `up` refuses the directory.',
  check(ctx) {
    for (const file of ctx.files) {
      const v = file.name?.version
      if (v !== undefined && v > MAX_VERSION) {
        ctx.report({ file }, `version ${file.name!.digits} is larger than ${MAX_VERSION}, the largest version link-migrate reads exactly`)
      }
    }
  },
}
