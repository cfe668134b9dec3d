import { readdirSync, statSync } from 'node:fs'
import { basename, dirname, resolve } from 'node:path'
import { ConfigError } from '../errors.js'

/** Letters, digits, `-`, `_`, `.` (SPEC 1); at most PostgreSQL's identifier length. */
const SERVICE_NAME = /^[A-Za-z0-9._-]+$/
export const MAX_SERVICE_LENGTH = 63

/**
 * Validates a service name. Throws ConfigError (exit 2) naming where the name
 * came from, e.g. `--service` or `MIGRATE_SERVICE`.
 */
export function checkService(name: string, from: string): string {
  if (name.length === 0) throw new ConfigError(`${from} is empty`, 'SERVICE_INVALID')
  if (name.length > MAX_SERVICE_LENGTH) {
    throw new ConfigError(`${from} is ${name.length} characters long; at most ${MAX_SERVICE_LENGTH} are allowed`, 'SERVICE_INVALID')
  }
  if (!SERVICE_NAME.test(name)) {
    throw new ConfigError(
      `${from} ${JSON.stringify(name)} has characters other than letters, digits, "-", "_" and "."`,
      'SERVICE_INVALID',
    )
  }
  // `.` and `..` would make `./SERVICE/migrations` climb out of the working directory.
  if (/^\.+$/.test(name)) {
    throw new ConfigError(`${from} ${JSON.stringify(name)} needs a letter or digit`, 'SERVICE_INVALID')
  }
  return name
}

export interface Target {
  dir: string
  service: string
  /** Where the service name came from: derived from the directory, or given. */
  serviceFrom: '--service' | 'MIGRATE_SERVICE' | 'directory'
}

/**
 * Directory names that say nothing about the service: a name derived from
 * one of these (`/app/migrations` -> `app`) is refused by the commands that
 * read or write the bookkeeping, so migrations are never recorded under it.
 */
const GENERIC = new Set([
  'app', 'apps', 'src', 'srv', 'migrations', 'migration', 'migrate', 'code',
  'service', 'services', 'server', 'backend', 'api', 'main', 'root', 'home', 'tmp', 'temp', 'work', 'workspace',
  'data', 'project', 'repo', 'build', 'dist', 'opt', 'usr', 'var', 'lib', 'bin', 'deploy', 'docker', 'workdir',
])

/** `app`, `src`, a single letter ...: a derived name that cannot be trusted to name the service. */
export function isGenericService(name: string): boolean {
  return name.length === 1 || GENERIC.has(name.toLowerCase())
}

/**
 * SPEC 1: directory from `--dir`, else `MIGRATE_DIR`, else `./migrations`
 * when it exists, else `./SERVICE/migrations` when a service is named; the
 * service from `--service`, else `MIGRATE_SERVICE`, else derived from the
 * directory. Throws ConfigError naming every place tried.
 */
export function resolveTarget(input: {
  dir?: string
  service?: string
  env: Record<string, string | undefined>
  cwd: string
  /** generate may create the directory it was explicitly given. */
  allowMissingDir?: boolean
}): Target {
  const { env, cwd } = input
  // An empty --dir (an unset variable in a script) would silently mean the working directory.
  if (input.dir !== undefined && input.dir.trim() === '') throw new ConfigError('--dir is empty')
  const service =
    input.service !== undefined
      ? checkService(input.service, '--service')
      : env.MIGRATE_SERVICE
        ? checkService(env.MIGRATE_SERVICE, 'MIGRATE_SERVICE')
        : undefined

  const tried: string[] = []
  let dir: string | undefined
  if (input.dir !== undefined) {
    dir = resolve(cwd, input.dir)
    tried.push(`${dir} (--dir)`)
  } else if (env.MIGRATE_DIR) {
    dir = resolve(cwd, env.MIGRATE_DIR)
    tried.push(`${dir} (MIGRATE_DIR)`)
  } else {
    const local = resolve(cwd, 'migrations')
    tried.push(local)
    if (isDir(local)) dir = local
    else if (service) {
      const nested = resolve(cwd, service, 'migrations')
      tried.push(nested)
      dir = nested
    }
  }

  // generate creates the directory it would use: ./migrations when nothing else is named.
  if (!dir && input.allowMissingDir) dir = resolve(cwd, 'migrations')
  if (!dir || !(isDir(dir) || (input.allowMissingDir && !exists(dir)))) {
    const why = dir && exists(dir) && !isDir(dir) ? `${dir} is not a directory` : 'migrations directory not found'
    const seen = candidates(cwd)
    const found = seen.length ? `; found here: ${seen.map((c) => `${c}/migrations (--service ${c})`).join(', ')}` : ''
    throw new ConfigError(`${why}; tried: ${tried.join(', ')}${found}`, 'DIR_NOT_FOUND')
  }
  const serviceFrom = input.service !== undefined ? '--service' : service !== undefined ? 'MIGRATE_SERVICE' : 'directory'
  return { dir, service: service ?? serviceFromDir(dir), serviceFrom }
}

/** `discovery-svc/migrations` -> `discovery-svc`; `db/sql` -> `sql`. Throws ConfigError. */
export function serviceFromDir(dir: string): string {
  const base = basename(dir)
  const name = base === 'migrations' ? basename(dirname(dir)) : base
  return checkService(name, `service name derived from directory ${dir}`)
}

/** Subdirectories of `cwd` that hold a `migrations` directory: what `--service NAME` would pick from here. */
function candidates(cwd: string): string[] {
  try {
    return readdirSync(cwd, { withFileTypes: true })
      .filter((d) => d.isDirectory() && !d.name.startsWith('.') && d.name !== 'node_modules' && isDir(resolve(cwd, d.name, 'migrations')))
      .map((d) => d.name)
      .sort()
      .slice(0, 20)
  } catch {
    return []
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

function exists(path: string): boolean {
  try {
    statSync(path)
    return true
  } catch {
    return false
  }
}
