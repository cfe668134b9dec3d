/**
 * The context a rule's `check` receives: the linted set, and `report`,
 * which turns a place into `line:column`, applies `-- link-migrate:allow`
 * comments, and attaches the rule's id, severity, advice and docs anchor.
 */
import { lineCol } from '../sql/position.js'
import type { LintFile, LintStatement } from './model.js'
import type { DirectoryView, LintFinding, LintOptions, LintRule, ReportAt, RuleContext } from './types.js'

/** Everything a run shares between its rules. */
export interface RunState {
  files: readonly LintFile[]
  directories: readonly DirectoryView[]
  mode: 'dir' | 'files'
  options: Readonly<LintOptions>
  ruleIds: readonly string[]
  /** File name -> file, for the rules that start from names. */
  byName: ReadonlyMap<string, LintFile>
}

/** The README section of a rule. */
export function docsAnchor(ruleId: string): string {
  return `README.md#${ruleId}`
}

/**
 * A context for one rule; its findings are pushed to `sink`.
 *
 * @example rule.check(ruleContext(rule, state, findings))
 */
export function ruleContext(rule: LintRule, state: RunState, sink: LintFinding[]): RuleContext {
  const allowed = (file: LintFile, stmt: LintStatement): boolean =>
    file.analysis?.directives.allow.get(stmt.index)?.includes(rule.id) ?? false

  return {
    files: state.files,
    directories: state.directories,
    mode: state.mode,
    options: state.options,
    ruleIds: state.ruleIds,
    fileNamed: (file) => state.byName.get(file),
    allowed,
    report(at: ReportAt, message: string): void {
      if (at.statement && allowed(at.file, at.statement)) return
      let line = at.line ?? 1
      let column = at.column ?? 1
      const offset = at.offset ?? at.statement?.source.start
      if (offset !== undefined && at.line === undefined && at.file.content !== undefined) {
        ;({ line, column } = lineCol(at.file.content, offset))
      }
      sink.push({
        rule: rule.id,
        severity: at.severity ?? rule.severity,
        file: at.file.file,
        line,
        column,
        message,
        advice: rule.docs,
        docs: docsAnchor(rule.id),
      })
    },
  }
}
