/**
 * `missing-lock-timeout`: a file that takes an ACCESS EXCLUSIVE lock on a
 * table that exists in production, with no `lock_timeout`. If the lock has
 * to wait behind one long query, every later query on that table queues
 * behind the migration: a short ALTER becomes an outage. Satisfied by the
 * `-- link-migrate:lock-timeout 5s` directive, a `SET lock_timeout` before
 * the statement, or `lint --ddl-lock-timeout` when `up` runs with it.
 * Reported once per file, at the first such statement.
 */
import { exclusiveLocks, onExistingTable } from '../locks.js'
import type { LintRule } from '../types.js'

/** The `missing-lock-timeout` rule (warning); documented in README.md#missing-lock-timeout. */
export const missingLockTimeout: LintRule = {
  id: 'missing-lock-timeout',
  severity: 'warning',
  docs: 'Start the file with -- link-migrate:lock-timeout 5s (or run up with --ddl-lock-timeout), and use --retries',
  why: 'A statement that takes an ACCESS EXCLUSIVE lock on an existing table (most `ALTER TABLE`s, `DROP`, `TRUNCATE`, `RENAME`, non-concurrent `DROP INDEX`, `REFRESH MATERIALIZED VIEW`, `LOCK`) waits behind any long query on that table, and every later query queues behind it: a short ALTER becomes an outage. Satisfied by the `lock-timeout` directive, a `SET lock_timeout` before the statement, or `lint --ddl-lock-timeout` when `up` runs with it. One finding per file.',
  check(ctx) {
    for (const file of ctx.files) {
      for (const stmt of file.statements) {
        if (stmt.lockTimeout || stmt.wrapper || ctx.allowed(file, stmt)) continue
        const lock = exclusiveLocks(file, stmt).find((l) => onExistingTable(l, stmt))
        if (!lock) continue
        ctx.report(
          { file, statement: stmt },
          `${lock.what} takes an ACCESS EXCLUSIVE lock with no lock_timeout: while it waits behind a long query, every query on the table queues behind it`,
        )
        break
      }
    }
  },
}
