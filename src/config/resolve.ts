/**
 * Where to connect: turns the `--database-url` flag and the environment into
 * one validated {@link ConnectionConfig}, and that into postgres.js options.
 *
 * Precedence (SPEC section 2), highest first:
 *
 * 1. `--database-url URL`
 * 2. `DATABASE_URL`
 * 3. the old Go tool's `DB_HOST`, `DB_PORT`, `DB_USER`, `DB_PASSWORD`,
 *    `DB_NAME`, `DB_SSLMODE` (and `DB_SSLROOTCERT`)
 * 4. libpq's `PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`,
 *    `PGSSLMODE`, `PGSSLROOTCERT`, `PGCONNECT_TIMEOUT`, `PGAPPNAME`
 * 5. defaults: host `localhost`, port 5432, user = the OS user, database =
 *    the user name, sslmode `prefer`, application name `link-migrate`.
 *
 * Mixing rules:
 * - A URL (1 or 2) replaces the whole DB_* group: DB_* is not read at all.
 *   Fields the URL leaves out are filled from PG* and then the defaults,
 *   exactly as libpq and postgres.js do, so `psql "$DATABASE_URL"` and
 *   link-migrate reach the same server with the same environment.
 * - Without a URL, each field is taken from DB_* when set, else from PG*,
 *   else from the defaults (per field, not per group).
 * - An empty environment variable counts as unset (compose files often
 *   write `DB_PASSWORD=`). An explicitly empty `--database-url` is an error.
 *
 * Validation collects every problem in the fields actually used, then throws
 * one {@link ConfigError} (exit 2) listing them all, one per line. A URL that
 * cannot be taken apart is reported alone (nothing else can be checked).
 *
 * Passwords never reach a message: values from a URL's user/host/port part are
 * not echoed (a mistyped URL can shift password text into them), and every
 * echoed value goes through {@link redactUrl} and then {@link redactSecrets}
 * with every password the input holds.
 */
import { ConfigError } from '../errors.js'
import { DEFAULT_APPLICATION_NAME, type ConnectionConfig, type ResolveInput, type SslMode } from './connection.js'
import { defaultOsUser, settingLayers } from './env.js'
import { checkHost, checkPort, checkSslMode, checkTimeout, type Check, type Field, type Key } from './fields.js'
import { collectSecrets, printable, redactSecrets, redactUrl } from './redact.js'

function formatProblems(problems: string[]): string {
  return problems.length === 1
    ? problems[0]!
    : `${problems.length} problems in the connection settings:\n` + problems.map((p) => '  ' + p).join('\n')
}

/**
 * Resolves where to connect from the flag and the environment (precedence and
 * mixing rules in this module's header).
 *
 * @throws {ConfigError} (exit code 2) for an empty `--database-url`, a URL that
 *   is malformed or not postgres://, or any bad port, host, sslmode or
 *   connect_timeout; all problems in one message, one per line, each naming
 *   the variable or URL part at fault, none containing the password.
 * @example
 * resolveConnection({ env: { DB_HOST: 'db', DB_USER: 'linkuser', DB_PASSWORD: 's3cret', DB_NAME: 'linkdb' } }).display
 * // 'postgres://linkuser:***@db:5432/linkdb'
 */
export function resolveConnection(input: ResolveInput): ConnectionConfig {
  const { env } = input
  const fail = (problems: string[]) => new ConfigError(formatProblems(problems))
  // Only echoed values are redacted, not whole messages: with the common dev
  // password "postgres", masking the text would turn "postgres://" into "***://".
  const secrets = collectSecrets(input)
  const check: Check = {
    problems: [],
    got: (f) => (f.echo ? `, got "${printable(redactSecrets(redactUrl(f.value), secrets))}"` : ''),
  }

  if (input.databaseUrl !== undefined && input.databaseUrl.trim() === '') throw fail(['--database-url is empty'])
  const { urlName, layers, warnings } = settingLayers(input)

  const pick = (key: Key): Field | undefined => {
    for (const layer of layers) if (layer.fields[key]) return layer.fields[key]
    return undefined
  }
  const source = urlName ? layers[0]!.source : (layers.find((l) => Object.keys(l.fields).length > 0)?.source ?? 'default')

  const { problems } = check
  const hostField = pick('host')
  const portField = pick('port')
  const sslmodeField = pick('sslmode')
  const timeoutField = pick('connectTimeout')
  const host = hostField ? checkHost(hostField, check) : 'localhost'
  const port = portField ? checkPort(portField, check) : 5432
  const user = pick('user')?.value ?? input.osUser ?? defaultOsUser(env)
  const password = pick('password')?.value
  const database = pick('database')?.value ?? user // libpq: the database defaults to the user name
  const sslrootcert = pick('sslrootcert')?.value
  // libpq 16: sslrootcert=system makes verify-full the default and forbids weaker modes,
  // since the system CAs would vouch for any host otherwise.
  let sslmode: SslMode | undefined = sslrootcert === 'system' ? 'verify-full' : 'prefer'
  if (sslmodeField) {
    sslmode = checkSslMode(sslmodeField, check)
    if (sslmode && sslrootcert === 'system' && sslmode !== 'verify-full') {
      problems.push(`${sslmodeField.label} must be verify-full when sslrootcert is "system", got "${sslmode}"`)
    }
  }
  const connectTimeout = timeoutField ? checkTimeout(timeoutField, check) : undefined
  const applicationName = pick('applicationName')?.value ?? DEFAULT_APPLICATION_NAME

  if (problems.length > 0 || host === undefined || port === undefined || sslmode === undefined) throw fail(problems)

  // Optional fields are left out rather than set to undefined, so the object compares and prints cleanly.
  return {
    host,
    port,
    user,
    ...(password !== undefined ? { password } : {}),
    database,
    sslmode,
    ...(sslrootcert !== undefined ? { sslrootcert } : {}),
    ...(connectTimeout !== undefined ? { connectTimeout } : {}),
    applicationName,
    source,
    display: displayUrl({ host, port, user, password, database }),
    warnings,
  }
}

/** `postgres://user[:***]@host:port/db`, a valid libpq URL minus the password. */
function displayUrl(c: Pick<ConnectionConfig, 'host' | 'port' | 'user' | 'password' | 'database'>): string {
  const auth = encodeURIComponent(c.user) + (c.password ? ':***' : '') + '@'
  const db = '/' + encodeURIComponent(c.database)
  if (c.host.startsWith('/')) {
    // Readable socket form: the directory appears as written, in ?host= (libpq accepts an empty host with a port).
    return `postgres://${auth}:${c.port}${db}?host=${encodeURIComponent(c.host).replace(/%2F/g, '/')}`
  }
  const host = c.host.includes(':') ? `[${c.host}]` : c.host
  return `postgres://${auth}${host}:${c.port}${db}`
}
