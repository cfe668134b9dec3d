/**
 * The old Go tool's log lines, word for word (SPEC 6), made from engine
 * events. Pure; the CLI adds the `[SERVICE-migrations]` prefix and colour,
 * the library hands them to a caller's logger.
 */
import { describeHolder, formatMs } from '../db/lock.js'
import type { MigrateEvent } from '../types.js'

/** The log line of an event, or null when the event has none. */
export function eventLine(e: MigrateEvent): string | null {
  switch (e.type) {
    case 'start':
      return `Starting migration ${e.direction} for service: ${e.service}${e.dryRun ? ' (dry run)' : ''}`
    case 'plan':
      return e.direction === 'up' ? `Found ${e.count} pending migrations` : `Found ${e.count} migrations to roll back`
    case 'lock-wait':
      return `Waiting for another migration of service ${e.service} to finish: lock ${describeHolder(e.holder)}`
    case 'lock-acquired':
      return `Acquired the migration lock after waiting ${formatMs(e.waitedMs)}`
    case 'migration-start':
      return null
    case 'migration-done':
      if (e.result.status === 'skipped') {
        return `Skipped migration ${e.result.name}: another runner already ${e.result.direction === 'up' ? 'applied' : 'rolled back'} it`
      }
      return e.result.direction === 'up'
        ? `Successfully applied migration ${e.result.name}`
        : `Successfully rolled back migration ${e.result.name}`
    case 'warning':
      return `Warning: ${e.message}`
    case 'blocked': {
      const b = e.blocker
      const who = [b.applicationName || 'no application name', b.clientAddr ?? 'local socket', b.state ?? 'unknown state']
      if (b.transactionAgeMs !== null) who.push(`transaction open ${formatMs(b.transactionAgeMs)}`)
      const what = e.reason === 'waiting' ? `has waited ${formatMs(e.waitedMs)} for a lock` : 'gave up waiting for a lock (lock_timeout)'
      return `${e.file} ${what} held by pid ${b.pid} (${who.join(', ')}): ${b.query || '(no query)'}`
    }
    case 'connect-wait':
      return `Waiting for the database at ${e.target} (${Math.round(e.elapsedMs / 1000)}s): ${e.reason}`
    case 'done':
      return 'All migrations completed successfully'
  }
}
