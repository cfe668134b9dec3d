/** What `lint` finds and returns: plain data, importing nothing. */

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
