/** How to lint, and what the config file says about it: plain data. */
import type { Severity } from './result.js'

/** What the config file (`link-migrate.json`, see ./config.ts) says about lint. */
export interface LintConfig {
  /** A rule's level instead of its own (`off` drops its findings). */
  rules?: Record<string, Severity | 'off'>
  /** Findings in files matching a glob are dropped (all of them, or those of the rules listed). */
  ignore?: (string | { files: string; rules?: string[] })[]
  /** The default of `--new-since`: migrations after this version are the new batch. */
  newSince?: number
  /** The default of `--allow-transaction-control`: `up` runs files with their own BEGIN/COMMIT blocks as psql does. */
  allowTransactionControl?: boolean
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
  /**
   * `up --allow-transaction-control` runs files with their own BEGIN/COMMIT
   * blocks statement by statement, as psql does: lint then judges them so
   * (transaction-control becomes a note on such files).
   */
  allowTransactionControl?: boolean
}
