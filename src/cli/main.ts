/**
 * The link-migrate CLI: cac setup, the legacy `-action=` form, one
 * try/catch, exit codes (SPEC 1). Commands live in ./commands.
 */
import { cac, type CAC } from 'cac'
import { ConfigError, EXIT, isMigrateError } from '../errors.js'
import { normalizeArgv, unknownFlag, unmark } from './argv.js'
import { createContext, type Flags } from './context.js'
import type { Io } from './io.js'
import { HELP_SECTIONS, COMMAND_HELP } from './help.js'
import { acceptedNames, COMMAND_NAMES, commandsWith, type CommandName, optionsOf } from './options.js'
import { nearest, PEER_VERBS } from './suggest.js'
import { failedRunLine } from './json.js'
import { Output } from './render.js'
import { isVersionRequest, VERSION } from './version.js'


type Handler = (ctx: Awaited<ReturnType<typeof createContext>>, args: string[]) => Promise<number>

const lazy = (load: () => Promise<{ default: Handler }>): Handler => async (ctx, args) => (await load()).default(ctx, args)

const COMMANDS: Record<CommandName, { usage: string; handler: Handler }> = {
  up: { usage: 'up', handler: lazy(() => import('./commands/up.js')) },
  down: { usage: 'down', handler: lazy(() => import('./commands/down.js')) },
  status: { usage: 'status', handler: lazy(() => import('./commands/status.js')) },
  verify: { usage: 'verify', handler: lazy(() => import('./commands/verify.js')) },
  generate: { usage: 'generate [...description]', handler: lazy(() => import('./commands/generate.js')) },
  lint: { usage: 'lint [...files]', handler: lazy(() => import('./commands/lint.js')) },
  check: { usage: 'check', handler: lazy(() => import('./commands/check.js')) },
  mark: { usage: 'mark [version]', handler: lazy(() => import('./commands/mark.js')) },
  repair: { usage: 'repair', handler: lazy(() => import('./commands/repair.js')) },
}

/** Each command gets only the options it accepts (options.ts), so its --help lists exactly those. */
function buildCli(name: string): CAC {
  const cli = cac(name)
  for (const cmd of COMMAND_NAMES) {
    const def = COMMANDS[cmd]
    const c = cli.command(def.usage, COMMAND_HELP[cmd]!.summary)
    for (const o of optionsOf(cmd)) c.option(o.flag, o.description)
    // cac gives negated flags a default of true and prints "(default: true)" after --no-color.
    for (const o of c.options) if (o.negated) delete o.config.default
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
  // The command word, once known: a failed up/down --json still ends with its result line.
  let word: string | undefined
  try {
    const normalized = normalizeArgv(io.argv).args
    // `link-migrate help [command]` as git and go tools accept it.
    const args = normalized[0] === 'help' ? [...normalized.slice(1), '--help'] : normalized
    word = firstWord(args)
    if (word !== undefined && !isCommand(word)) throw unknownCommand(word, args)
    if (word !== undefined) checkFlags(word, args)
    const cli = buildCli('link-migrate')
    const parsed = cli.parse(['node', 'link-migrate', ...args], { run: false })
    if (parsed.options.help) return EXIT.ok
    if (parsed.options.version) {
      io.stdout.write(`link-migrate ${VERSION}\n`)
      return EXIT.ok
    }
    const command = cli.matchedCommandName as CommandName | undefined
    if (!command) {
      cli.outputHelp()
      return EXIT.usage
    }
    checkArguments(command, parsed.args.map(String))
    const ctx = await createContext(command, parsed.options as Flags, io, parsed.args.map(String))
    // --targets / --targets-query: the same command over many databases.
    const fleet = parsed.options.targets !== undefined || parsed.options.targetsQuery !== undefined
    try {
      const handler = fleet ? lazy(() => import('./commands/fleet.js')) : COMMANDS[command]!.handler
      return await handler(ctx, parsed.args.map(String))
    } catch (e) {
      ctx.out.error(e)
      if (!fleet) failedRun(ctx.out, command, e, { service: ctx.target?.service ?? null, dryRun: ctx.dryRun })
      return exitCodeOf(e)
    } finally {
      await ctx.close()
    }
  } catch (e) {
    early.error(e)
    // A fleet run (--targets) answers with one document, not event lines.
    if (!io.argv.some((a) => /^--?targets(-query)?(=|$)/.test(a))) {
      failedRun(early, word ?? commandIn(io.argv), e, { service: null, dryRun: io.argv.some((a) => /^--?dry-run(=|$)/.test(a)) })
    }
    return exitCodeOf(e)
  }
}

/** up/down --json: the `result` line after the error line (json.ts). */
function failedRun(out: Output, command: string | undefined, e: unknown, fields: { service: string | null; dryRun: boolean }): void {
  if (!out.json || (command !== 'up' && command !== 'down')) return
  out.jsonLine(failedRunLine(command, e, { ...fields, exitCode: exitCodeOf(e) }))
}

/** The command word: the first argument that is not a flag (values are joined to their flags by normalizeArgv). */
function firstWord(args: string[]): string | undefined {
  for (const a of args) {
    if (a === '--') return undefined
    if (!a.startsWith('-')) return unmark(a)
  }
  return undefined
}

/** The command of an argv that could not be parsed (`up --dri-run`, `-action=up -bad`): its first command word. */
function commandIn(argv: string[]): string | undefined {
  for (const [i, a] of argv.entries()) {
    const legacy = /^--?action(?:=(.*))?$/.exec(a)
    if (legacy) return legacy[1] ?? argv[i + 1]
    if (isCommand(a)) return a
  }
  return undefined
}

function isCommand(word: string): word is CommandName {
  return (COMMAND_NAMES as string[]).includes(word)
}

/** `upp` -> did you mean "up"?; `rollback` -> what link-migrate calls it. */
function unknownCommand(word: string, args: string[]): ConfigError {
  const peer = PEER_VERBS[word.toLowerCase()]
  if (peer) {
    // `force 3` -> `mark 3 ...`: the version the user gave, in the advice.
    const version = args.map(unmark).find((a, i, all) => i > 0 && all[i - 1] === word && /^\d+$/.test(a))
    const advice = version === undefined ? peer : peer.replace(/\bV\b/g, version)
    return new ConfigError(`unknown command "${word}"; in link-migrate: ${advice}`, 'USAGE')
  }
  const near = nearest(word, COMMAND_NAMES)
  const hint = near ? `; did you mean "${near}"?` : ''
  return new ConfigError(`unknown command "${word}"${hint} (commands: ${COMMAND_NAMES.join(', ')})`, 'USAGE')
}

/**
 * Flags the command does not accept: named, with the commands that do
 * (`status --dry-run`), or the nearest flag of this command (`--dri-run`).
 * Flags no command knows were refused already by normalizeArgv.
 */
function checkFlags(command: CommandName, args: string[]): void {
  const accepted = acceptedNames(command)
  for (const a of args) {
    if (a === '--') return
    const m = /^(-{1,2})([^=]+)/.exec(a)
    if (!m || accepted.has(m[2]!)) continue
    const others = commandsWith(m[2]!)
    if (others.length === 0) throw unknownFlag(m[1]!, m[2]!, accepted, command)
    throw new ConfigError(
      `--${m[2]} is not an option of ${command}; it is for ${others.join(', ')} (see link-migrate ${command} --help)`,
      'USAGE',
    )
  }
}

/**
 * `up 3` or `down all` must not silently run the plain command: a command
 * takes only the words its usage shows (`mark [version]`, `generate [...description]`).
 */
function checkArguments(command: CommandName, args: string[]): void {
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
