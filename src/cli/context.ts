/**
 * Flags + environment -> output settings, target directory/service, the
 * connection, and a migrator wired to the progress renderer. Every bad value
 * fails here, before the database is touched (exit 2).
 */
import { resolveConnection } from '../config/resolve.js'
import { type ConnectionConfig } from '../config/connection.js'
import { resolveTarget, type Target } from '../config/target.js'
import { ConfigError } from '../errors.js'
import { createMigrator, type Migrator, type MigratorOptions } from '../migrator.js'
import { optionString } from './argv.js'
import type { Io } from './io.js'
import { createProgress } from './progress.js'
import { Output } from './render.js'
import { parseDuration, parseInteger } from './values.js'

/** Options as cac hands them over (values still carry argv.ts's marker). */
export type Flags = Record<string, unknown>

export interface Context {
  command: string
  flags: Flags
  out: Output
  env: Record<string, string | undefined>
  cwd: string
  /** The directory and service, when the command has them. */
  target?: Target
  /** The resolved connection (not for generate and lint). */
  connection?: ConnectionConfig
  dryRun: boolean
  /** The migrator settings from the flags (what a fleet run gives every target). */
  migratorSettings: Pick<MigratorOptions, 'allowTransactionControl' | 'trackingSchema' | 'dryRun' | 'migrationTimeout' | 'lockTimeout' | 'ddlLockTimeout' | 'retries' | 'waitForDatabase'>
  /** Creates the migrator (connection resolved and validated first). */
  migrator(): Migrator
  str(name: string): string | undefined
  int(name: string, flag: string, min?: number, max?: number): number | undefined
  close(): Promise<void>
}

/** Commands that read or write the service's records. */
const BOOKKEEPING = new Set(['up', 'down', 'status', 'verify', 'mark', 'repair'])

const NEEDS_DIR = new Set(['up', 'down', 'status', 'verify', 'generate', 'mark', 'repair', 'lint', 'check'])

export async function createContext(command: string, flags: Flags, io: Io, args: string[] = []): Promise<Context> {
  const env = io.env
  // cac stores `--database-url` under its camel-cased key `databaseUrl` only.
  const str = (name: string) => optionString(flags[name] ?? flags[name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())])
  const format = str('format') ?? 'text'
  if (format !== 'text' && format !== 'github') throw new ConfigError(`--format must be text or github, got ${JSON.stringify(format)}`, 'USAGE')
  const tty = Boolean(io.stdout.isTTY)
  const ci = Boolean(env.CI && env.CI !== 'false' && env.CI !== '0')
  const color =
    flags.color !== false && !env.NO_COLOR && (env.FORCE_COLOR ? env.FORCE_COLOR !== '0' : tty && !ci) && env.TERM !== 'dumb'
  const out = new Output({
    json: flags.json === true,
    quiet: flags.quiet === true,
    verbose: flags.verbose === true,
    color,
    github: format === 'github',
    stdout: io.stdout,
    stderr: io.stderr,
  })
  const int = (name: string, flag: string, min = 0, max?: number) => {
    const v = str(name)
    return v === undefined ? undefined : parseInteger(flag, v, min, max)
  }

  const allServices = command === 'status' && flags.all === true
  let target: Target | undefined
  // `lint a.sql b.sql` reads only the files given: no directory needed.
  // `lint --explain RULE` reads no files at all.
  const looseFiles = command === 'lint' && (args.length > 0 || str('explain') !== undefined)
  if (NEEDS_DIR.has(command) && !looseFiles) {
    try {
      target = resolveTarget({
        dir: str('dir'),
        service: str('service'),
        env,
        cwd: io.cwd,
        allowMissingDir: command === 'generate',
      })
    } catch (e) {
      // `status --all` reads only the database; a directory is optional there.
      if (!allServices) throw e
    }
  }
  out.setService(target?.service)
  out.setFileBase(target?.dir, io.cwd)

  const dryRun = flags.dryRun === true
  const timeoutMs = str('timeout') === undefined ? undefined : parseDuration('--timeout', str('timeout')!)
  const lockTimeoutMs = str('lock-timeout') === undefined ? undefined : parseDuration('--lock-timeout', str('lock-timeout')!)
  const waitSeconds = int('wait', '--wait')
  const ddlLockTimeoutMs =
    str('ddl-lock-timeout') === undefined ? undefined : parseDuration('--ddl-lock-timeout', str('ddl-lock-timeout')!)
  const retries = int('retries', '--retries')
  const trackingSchema = str('tracking-schema')
  // PostgreSQL cuts longer names to 63 bytes (with only a NOTICE): the tables would land in another schema.
  if (trackingSchema !== undefined && Buffer.byteLength(trackingSchema) > 63) {
    throw new ConfigError(`--tracking-schema is ${Buffer.byteLength(trackingSchema)} bytes long; PostgreSQL names are at most 63 bytes`)
  }
  if (trackingSchema !== undefined && !/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/.test(trackingSchema)) {
    throw new ConfigError(`--tracking-schema must be a plain identifier (letters, digits, _), got ${JSON.stringify(trackingSchema)}`)
  }

  let connection: ConnectionConfig | undefined
  // generate and lint never connect: a bad DB_PORT must not stop them.
  if (command !== 'generate' && command !== 'lint') {
    connection = resolveConnection({ databaseUrl: str('database-url'), env })
    out.addSecret(connection.password)
    if (out.verbose) out.log(`Using database ${connection.display}`, 'detail')
  }
  // Only up/down print their events as JSON lines; the others' one document stays alone on stdout.
  const onEvent = await createProgress(out, { tty, ci, jsonEvents: command === 'up' || command === 'down' })

  const envAllow = env.MIGRATE_ALLOW_TRANSACTION_CONTROL
  if (envAllow !== undefined && !['', '0', '1', 'true', 'false'].includes(envAllow)) {
    throw new ConfigError(`MIGRATE_ALLOW_TRANSACTION_CONTROL must be 1 or 0, got ${JSON.stringify(envAllow)}`)
  }
  const migratorSettings = {
    allowTransactionControl: flags.allowTransactionControl === true || envAllow === '1' || envAllow === 'true',
    trackingSchema,
    dryRun,
    migrationTimeout: timeoutMs,
    lockTimeout: lockTimeoutMs,
    ddlLockTimeout: ddlLockTimeoutMs,
    retries,
    waitForDatabase: waitSeconds === undefined ? undefined : waitSeconds * 1000,
  }
  let migrator: Migrator | undefined
  return {
    command,
    flags,
    out,
    env,
    cwd: io.cwd,
    target,
    connection,
    dryRun,
    migratorSettings,
    str,
    int,
    migrator() {
      return (migrator ??= createMigrator({
        ...migratorSettings,
        dir: target?.dir ?? io.cwd,
        service: target?.service ?? 'link-migrate',
        // A name derived from the directory must be the service's: refused when generic or recorded elsewhere.
        serviceDerived: target?.serviceFrom === 'directory' && BOOKKEEPING.has(command),
        connection,
        env,
        onEvent,
      }))
    },
    async close() {
      onEvent.stop()
      await migrator?.close()
    },
  }
}
