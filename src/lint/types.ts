/**
 * The shapes `lint` speaks: findings, results, options and the rule
 * contract. Plain data; the model the rules read is in ./model.ts.
 */
import type { LintFile, LintStatement } from './model.js'

/**
 * How bad a finding is. `error` makes `lint` exit 1 (a CI gate); `warning`
 * is printed but passes; `info` is a note about how the runner will treat
 * the file (e.g. a BEGIN/COMMIT wrapper it drops).
 */
export type Severity = 'error' | 'warning' | 'info'

/** One finding, pointing at `file:line:column` (1-based; columns count code points). */
export interface LintFinding {
  /** The rule id, e.g. `drop-column`; also the README anchor. */
  rule: string
  severity: Severity
  /** The file as the caller named it: relative to the directory, or the path given. */
  file: string
  line: number
  column: number
  /** What is wrong here, and what to do instead. */
  message: string
  /** The rule's one-line advice. */
  advice: string
  /** Where the rule is documented: `README.md#<rule>`. */
  docs: string
}

/** What {@link lint} returns. Findings are sorted by file, line, column, rule. */
export interface LintResult {
  /** False when any finding is an error. */
  ok: boolean
  errors: number
  warnings: number
  infos: number
  /** How many files were linted. */
  files: number
  findings: LintFinding[]
}

/** What the config file (`link-migrate.json`, see ./config.ts) says about lint. */
export interface LintConfig {
  /** A rule's level instead of its own (`off` drops its findings). */
  rules?: Record<string, Severity | 'off'>
  /** Findings in files matching a glob are dropped (all of them, or those of the rules listed). */
  ignore?: (string | { files: string; rules?: string[] })[]
  /** The default of `--new-since`: migrations after this version are the new batch. */
  newSince?: number
  /** Where it was read from (set by {@link loadConfig}). */
  file?: string
}

/** How to lint. Every field is optional. */
export interface LintOptions {
  /**
   * The batch not yet deployed: migrations after version V. A table that a
   * migration of the batch creates is new (no rows, no readers) for the
   * later migrations of the batch too. Without any of `newSince`,
   * `assumeApplied`, `newFiles` or `appliedVersions`, only a table created
   * in the same migration is new: one created by an earlier migration is an
   * existing table with rows (see README "What counts as new").
   */
  newSince?: number
  /** The same as `newSince`: migrations up to V are applied in production (`--assume-applied V`). */
  assumeApplied?: number
  /** Files of the batch not yet deployed (names as linted, or base names): what `--git-base REF` finds added since REF. */
  newFiles?: string[]
  /**
   * The config file's lint settings (rule levels, ignores, newSince);
   * default: read from `link-migrate.json` / `.link-migrate.json` in the
   * directory or its parent. `false`: none.
   */
  config?: LintConfig | false
  /** A git ref: the files added since it (committed or not) are the new batch (`--git-base REF`); runs git. */
  gitBase?: string
  /** The versions a database has applied: every other migration is in the new batch (`lint --against-db`). */
  appliedVersions?: number[]
  /**
   * The `lock_timeout` (ms) that `up --ddl-lock-timeout` will set: when
   * positive, files need no lock-timeout directive of their own.
   */
  ddlLockTimeout?: number
  /** false: the runner will run every file statement by statement (`useTransactions: false`). */
  useTransactions?: boolean
}

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
