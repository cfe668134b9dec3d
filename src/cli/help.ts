/** Help text beyond cac's usage/options lists: exit codes, environment, legacy form. */
import { commandsWith, OPTIONS, optionName } from './options.js'

export const COMMAND_HELP: Record<string, { summary: string; exit: string[] }> = {
  up: {
    summary: 'Apply every pending migration in version order',
    exit: ['0  applied, or nothing to do', '1  a migration failed, no database, lock timeout, invalid files, out of order', '2  usage or configuration error', '3  --strict and an applied migration changed', '130/143  interrupted (SIGINT/SIGTERM): the running migration was cancelled and rolled back'],
  },
  down: {
    summary: 'Roll back the latest applied migration (--steps/--to for more)',
    exit: ['0  rolled back, or nothing to do', '1  a down failed or is missing, no database, lock timeout, invalid files', '2  usage or configuration error', '130/143  interrupted (SIGINT/SIGTERM): the running down was cancelled and rolled back'],
  },
  status: {
    summary:
      'Show each migration with its state (applied, pending, modified, missing file; interrupted / partially applied: a file run statement by statement that stopped half-way, with what ran), the current version and the pending count',
    exit: ['0  shown', '1  no database, invalid files', '2  usage or configuration error', '4  --exit-code and migrations are pending'],
  },
  verify: {
    summary:
      'Check integrity: changed or missing files, out-of-order, duplicates, missing downs, orphan downs, bad names, INVALID indexes, files that stopped half-way (interrupted, partially-applied)',
    exit: ['0  no problem (warnings may be printed)', '1  no database', '2  usage or configuration error', '3  integrity problems found (also: a migration interrupted or partially applied)'],
  },
  generate: {
    summary: 'Create the next NNN_slug.up.sql / .down.sql pair',
    exit: ['0  created (paths printed)', '1  the files could not be written', '2  usage error (no description)'],
  },
  lint: {
    summary: 'Check migration files offline (no database): names, pairs, transaction control, unsafe operations',
    exit: ['0  no error-level finding (warnings and notes may be printed)', '1  an error-level finding', '2  usage error'],
  },
  check: {
    summary: 'Rehearse the migrations on a throwaway database (up, down, compare, up) and prove every down undoes its up',
    exit: [
      '0  every down restores the schema its up started from (--drift: no drift)',
      '1  a down does not restore its up, a migration failed or was skipped, no database, invalid files (--drift: drift found)',
      '2  usage or configuration error',
      '130/143  interrupted (SIGINT/SIGTERM); the scratch database was dropped (--engine postgres: the server stopped, its directory removed)',
    ],
  },
  mark: {
    summary: 'Record a version as applied without running it (--pending removes it); for recovery (it also resolves an interrupted or partially applied run) and adoption',
    exit: ['0  recorded', '1  no database, lock timeout, invalid files', '2  usage error (no such version)', '3  --from golang-migrate and its table is dirty'],
  },
  repair: {
    summary: "Accept the current files' checksums for applied migrations after an intentional edit",
    exit: ['0  repaired, or nothing to repair', '1  no database, lock timeout, invalid files', '2  usage or configuration error'],
  },
}

const EXIT_CODES = [
  '0  success (also: nothing to do)',
  '1  a migration failed, the database could not be reached, a lock could not be taken, or the files are invalid',
  '2  usage or configuration error (unknown command or flag, bad value, bad env var)',
  '3  integrity problem found by verify (or by up --strict)',
  '4  status --exit-code when migrations are pending',
  '130/143  up, down or check interrupted by SIGINT/SIGTERM (cancelled and rolled back)',
]

const ENV = [
  'DATABASE_URL                      postgres://user:pass@host:5432/db?sslmode=require',
  'DB_HOST DB_PORT DB_USER DB_PASSWORD DB_NAME DB_SSLMODE   (the old tool\'s variables)',
  'PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE PGSSLMODE     (libpq\'s)',
  'MIGRATE_DIR MIGRATE_SERVICE       defaults for --dir and --service',
  'NO_COLOR CI                       plain output',
  'Precedence: --database-url > DATABASE_URL > DB_* > PG* > localhost:5432',
]

const LEGACY = [
  'The old tool\'s flags work unchanged:',
  '  migrate -action=up -dry-run -service=discovery-svc',
  '  migrate -action=generate -service=chat-svc -description="add read receipts"',
  '(-flag=value, -flag value, --flag=value and --flag value are all accepted)',
]

const PEERS = [
  'create/new -> generate   migrate -> up   rollback -> down   redo -> down, then up --steps 1',
  'force V -> mark V   baseline -> mark --to V   validate -> verify   info -> status',
]

/** Sections appended to `--help`; per command when one is named. */
export function HELP_SECTIONS(command: string | undefined): { title?: string; body: string }[] {
  const indent = (lines: string[]) => lines.map((l) => '  ' + l).join('\n')
  if (command && COMMAND_HELP[command]) {
    return [{ title: 'Exit codes', body: indent(COMMAND_HELP[command]!.exit) }, { title: 'Environment', body: indent(ENV) }]
  }
  const common = OPTIONS.filter((o) => o.common)
  const width = Math.max(...common.map((o) => o.flag.length))
  const forSome = (o: (typeof OPTIONS)[number]) => (o.commands === '*' ? '' : ` [${commandsWith(optionName(o.flag)).join(', ')}]`)
  return [
    { title: 'Common options', body: indent(common.map((o) => `${o.flag.padEnd(width)}  ${o.description}${forSome(o)}`)) },
    { title: 'Exit codes', body: indent(EXIT_CODES) },
    { title: 'Environment', body: indent(ENV) },
    { title: 'Legacy form', body: indent(LEGACY) },
    { title: 'Other tools\' verbs', body: indent(PEERS) },
    { body: 'Run `link-migrate <command> --help` for the options a command accepts and its exit codes.' },
  ]
}
