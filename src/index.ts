/**
 * link-migrate as a library: the same engine the CLI runs. Nothing here
 * prints, exits or reads argv.
 *
 * @example
 * import { createMigrator } from 'link-migrate'
 * const migrator = createMigrator({ dir: './migrations', service: 'discovery-svc', url: process.env.DATABASE_URL })
 * const { pending } = await migrator.status()
 * await migrator.close()
 */
export { createMigrator } from './migrator.js'
export { migrateFleet, type FleetOptions } from './fleet/run.js'
export { parseTargets, readTargets } from './fleet/targets.js'
export type { FleetCommand, FleetError, FleetEvent, FleetOutcome, FleetResult, FleetRow, FleetTarget } from './fleet/types.js'
export { lint, RULES, type LintTarget } from './lint/index.js'
export type { LintConfig, LintFinding, LintOptions, LintResult, LintRule, Severity } from './lint/index.js'
export { check, checkDrift, type CheckOptions, type DriftOptions } from './check/index.js'
export { checkVersions, type VersionsOptions, type VersionsResult, type VersionDifference } from './check/versions.js'
export type {
  CheckResult,
  DriftResult,
  MigrationCheck,
  MigrationCheckStatus,
  CheckDifference,
  CheckError,
  CheckEvent,
  CheckTimings,
  EngineTimings,
  MigrationTimings,
  RoundTripCheck,
  Rewrite,
  Difference,
  ObjectKind,
  AttributeValue,
} from './check/index.js'
export type { Migrator, MigratorOptions, RunOptions, MarkOptions, MarkResult, RepairResult, GenerateResult } from './migrator.js'
export type { DownOptions, UpOptions } from './core/plan.js'
export { eventLine } from './core/messages.js'
export { resolveConnection } from './config/resolve.js'
export { redactUrl } from './config/redact.js'
export type { ConnectionConfig } from './config/connection.js'
export {
  MigrateError,
  ConfigError,
  FileError,
  ConnectError,
  QueryError,
  LockError,
  InterruptedError,
  IntegrityError,
  isMigrateError,
  EXIT,
  type ErrorCode,
  type ExitCode,
  type FileProblem,
} from './errors.js'
export type * from './types.js'
