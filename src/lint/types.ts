/**
 * The shapes `lint` speaks: the rule contract. Plain data; findings and
 * results are in ./result.ts, options in ./options.ts, the model the rules
 * read in ./model.ts.
 */
import type { LintFile, LintStatement } from './model.js'
import type { LintOptions } from './options.js'
import type { LintFinding, Severity } from './result.js'

export type { LintConfig, LintOptions } from './options.js'
export type { LintFinding, LintResult, Severity } from './result.js'

/** Where a rule points: a file, optionally a statement, optionally an exact offset in the file. */
export interface ReportAt {
  file: LintFile
  /** The statement the finding is about; `-- link-migrate:allow` works on it. */
  statement?: LintStatement
  /** UTF-16 offset in the file's text; default: the statement's start, else 1:1. */
  offset?: number
  /** An explicit position (e.g. from a directive problem), when there is no offset. */
  line?: number
  column?: number
  /** Instead of the rule's own severity (before the config file's levels). */
  severity?: Severity
}

/** What a rule's `check` gets: the whole linted set and a way to report. */
export interface RuleContext {
  /** Every linted file: up files (and other `.sql` files) in version order, then down files. */
  readonly files: readonly LintFile[]
  /** The groups of file names the directory-level rules look at (pairs, duplicates, gaps). */
  readonly directories: readonly DirectoryView[]
  /** Files mode (`lint a.sql b.sql`) or directory mode (`lint --dir D`). */
  readonly mode: 'dir' | 'files'
  readonly options: Readonly<LintOptions>
  /** The ids of every rule (to check the ids `allow` comments name). */
  readonly ruleIds: readonly string[]
  /** The linted file findings call `file`, if any. */
  fileNamed(file: string): LintFile | undefined
  /** Records a finding of this rule, unless an allow comment silences it for that statement. */
  report(at: ReportAt, message: string): void
  /** True when `-- link-migrate:allow <this rule>` covers the statement. */
  allowed(file: LintFile, statement: LintStatement): boolean
}

/**
 * One directory's `.sql` file names, for the rules that judge names and
 * pairs. In files mode it also holds the siblings of the files given (so a
 * missing down file or a duplicate version is still seen), but findings are
 * reported only for `linted` names.
 */
export interface DirectoryView {
  /** Every `.sql` regular file name in the directory (or the names given). */
  names: readonly string[]
  /** Base name -> the file name findings use, for the files being linted. */
  linted: ReadonlyMap<string, string>
}

/**
 * A lint rule: one file under `src/lint/rules/`, whose name is its id and
 * its README anchor (ESLint's rule shape, squawk's naming).
 */
export interface LintRule {
  /** kebab-case, e.g. `drop-column`. */
  readonly id: string
  readonly severity: Severity
  /** One line of advice: what to do instead. */
  readonly docs: string
  /** Why it matters: what goes wrong, and when the rule stays quiet (the catalogue's text; README and `lint --explain`). */
  readonly why: string
  check(ctx: RuleContext): void
}
