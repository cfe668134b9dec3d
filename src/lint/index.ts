/**
 * `lint`: offline checks of migration files (SPEC 7), no database. The rule
 * registry and the entry points; each rule lives in `rules/<id>.ts`.
 *
 * The linter reads files the way `up` will run them: the same splitter and
 * transactional decision, PostgreSQL's own parser for the statement
 * structure, and the tables earlier migrations create (an index on a table
 * a pending migration creates is not a finding).
 */
import { realFs, type ScanFs } from '../source/scan.js'
import { dirname, resolve } from 'node:path'
import { collectDir, collectFiles, type LintInput } from './collect.js'
import { loadConfig, matchesGlob } from './config.js'
import { ruleContext, type RunState } from './context.js'
import { buildModel } from './model.js'
import { loadParser } from '../sql/parser.js'
import { alterColumnType } from './rules/alter-column-type.js'
import { badDirective } from './rules/bad-directive.js'
import { concurrentlyInTransaction } from './rules/concurrently-in-transaction.js'
import { concurrentlyInWrappedFile } from './rules/concurrently-in-wrapped-file.js'
import { constraintWithoutNotValid } from './rules/constraint-without-not-valid.js'
import { dropColumn } from './rules/drop-column.js'
import { dropTable } from './rules/drop-table.js'
import { duplicateVersion } from './rules/duplicate-version.js'
import { emptyFile } from './rules/empty-file.js'
import { fileName } from './rules/file-name.js'
import { indexWithoutConcurrently } from './rules/index-without-concurrently.js'
import { invalidVersion } from './rules/invalid-version.js'
import { missingDown } from './rules/missing-down.js'
import { missingLockTimeout } from './rules/missing-lock-timeout.js'
import { nonIdempotent } from './rules/non-idempotent.js'
import { notNullWithoutDefault } from './rules/not-null-without-default.js'
import { orphanDown } from './rules/orphan-down.js'
import { pairMismatch } from './rules/pair-mismatch.js'
import { renameColumn } from './rules/rename-column.js'
import { renameTable } from './rules/rename-table.js'
import { setNotNull } from './rules/set-not-null.js'
import { syntaxError } from './rules/syntax-error.js'
import { transactionControl } from './rules/transaction-control.js'
import { copyOverClient } from './rules/copy-over-client.js'
import { transactionWrapper } from './rules/transaction-wrapper.js'
import { unreadableFile } from './rules/unreadable-file.js'
import { versionGap } from './rules/version-gap.js'
import { volatileDefault } from './rules/volatile-default.js'
import type { LintConfig, LintFinding, LintOptions, LintResult, LintRule } from './types.js'

export type { LintConfig, LintFinding, LintOptions, LintResult, LintRule, Severity } from './types.js'

/** Every rule, in the order README documents them. */
export const RULES: readonly LintRule[] = [
  // Files and names
  fileName,
  invalidVersion,
  unreadableFile,
  duplicateVersion,
  orphanDown,
  missingDown,
  pairMismatch,
  versionGap,
  emptyFile,
  // How the file runs
  syntaxError,
  badDirective,
  transactionControl,
  copyOverClient,
  transactionWrapper,
  concurrentlyInWrappedFile,
  concurrentlyInTransaction,
  nonIdempotent,
  // Operations that break the running version or block the table
  dropColumn,
  dropTable,
  renameColumn,
  renameTable,
  notNullWithoutDefault,
  alterColumnType,
  setNotNull,
  indexWithoutConcurrently,
  constraintWithoutNotValid,
  volatileDefault,
  missingLockTimeout,
]

/** What to lint: a migrations directory, or files (the other files given are the "earlier migrations"). */
export type LintTarget = { dir: string } | { files: string[]; cwd?: string }

/**
 * Lints a migrations directory or a list of files. Never touches a
 * database. Throws only when the directory cannot be listed, the parser
 * cannot load, or git fails for `gitBase` (ConfigError); bad files, names
 * and SQL come back as findings.
 *
 * @example
 * const { ok, findings } = await lint({ dir: 'migrations' })
 * for (const f of findings) console.log(`${f.file}:${f.line}:${f.column} ${f.severity} ${f.rule} ${f.message}`)
 */
export async function lint(target: LintTarget, options: LintOptions = {}, fs: ScanFs = realFs): Promise<LintResult> {
  const input = 'dir' in target ? await collectDir(target.dir, fs) : await collectFiles(target.files, target.cwd ?? process.cwd(), fs)
  if (options.config === undefined) {
    const first = 'dir' in target ? target.dir : target.files[0] === undefined ? undefined : dirname(resolve(target.cwd ?? process.cwd(), target.files[0]))
    if (first !== undefined) options = { ...options, config: await loadConfig(first, RULES.map((r) => r.id), fs) }
  }
  if (options.gitBase !== undefined) {
    // Git's paths are relative to the directory: as lint names the files in dir mode; base names in files mode.
    const { addedSince } = await import('./batch.js')
    const added = await addedSince(options.gitBase, 'dir' in target ? target.dir : (target.cwd ?? process.cwd()))
    const names = 'dir' in target ? added : added.map((p) => p.slice(p.lastIndexOf('/') + 1))
    options = { ...options, newFiles: [...(options.newFiles ?? []), ...names] }
  }
  return lintInput(input, options)
}

/**
 * Lints already collected sources (tests give them in memory). Throws only
 * when the parser cannot load.
 */
export async function lintInput(input: LintInput, options: LintOptions = {}): Promise<LintResult> {
  const config = options.config || {}
  // The config's newSince is the default of --new-since / --assume-applied.
  if (config.newSince !== undefined && options.newSince === undefined && options.assumeApplied === undefined) options = { ...options, newSince: config.newSince }
  if (config.allowTransactionControl === true && options.allowTransactionControl === undefined) options = { ...options, allowTransactionControl: true }
  const parse = await loadParser()
  const files = buildModel(input.sources, parse, options)
  const state: RunState = {
    files,
    directories: input.directories,
    mode: input.mode,
    options,
    ruleIds: RULES.map((r) => r.id),
    byName: new Map(files.map((f) => [f.file, f])),
  }
  const findings: LintFinding[] = []
  for (const rule of RULES) rule.check(ruleContext(rule, state, findings))
  configure(findings, config)
  findings.sort(
    (a, b) =>
      compare(a.file, b.file) || a.line - b.line || a.column - b.column || RULES.findIndex((r) => r.id === a.rule) - RULES.findIndex((r) => r.id === b.rule),
  )
  const count = (s: LintFinding['severity']) => findings.filter((f) => f.severity === s).length
  const errors = count('error')
  return { ok: errors === 0, errors, warnings: count('warning'), infos: count('info'), files: files.length, findings }
}

/** The config file's rule levels and ignores, applied to the findings in place. */
function configure(findings: LintFinding[], config: LintConfig): void {
  const ignored = (f: LintFinding) =>
    (config.ignore ?? []).some((e) => (typeof e === 'string' ? matchesGlob(f.file, e) : matchesGlob(f.file, e.files) && (e.rules?.includes(f.rule) ?? true)))
  let kept = 0
  for (const f of findings) {
    const level = config.rules?.[f.rule]
    if (level === 'off' || ignored(f)) continue
    if (level !== undefined) f.severity = level
    findings[kept++] = f
  }
  findings.length = kept
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
