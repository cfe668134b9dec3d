// Pure tests of src/config/resolve.ts (and the URL parsing, env layering and
// field checks it composes): no server, no real files.
import { userInfo } from 'node:os'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { resolveConnection } from '../../src/config/resolve.js'
import { config, PW, PW_ENC, resolve, throwsConfig, type Env } from '../helpers/config.js'

// ---------------------------------------------------------------- precedence

const precedence = suite('resolveConnection: precedence')

const ALL: Env = {
  DATABASE_URL: 'postgres://envurl:envpw@envurl-host:5001/envurl_db',
  DB_HOST: 'dbhost',
  DB_PORT: '5002',
  DB_USER: 'dbuser',
  DB_PASSWORD: 'dbpw',
  DB_NAME: 'dbname',
  DB_SSLMODE: 'require',
  PGHOST: 'pghost',
  PGPORT: '5003',
  PGUSER: 'pguser',
  PGPASSWORD: 'pgpw',
  PGDATABASE: 'pgdb',
  PGSSLMODE: 'disable',
}

precedence('--database-url beats everything', () => {
  assert.equal(
    resolve(ALL, 'postgres://flag:flagpw@flag-host:5000/flag_db'),
    config({
      host: 'flag-host',
      port: 5000,
      user: 'flag',
      password: 'flagpw',
      database: 'flag_db',
      sslmode: 'disable', // the URL has no sslmode: PGSSLMODE fills it, as in libpq
      source: 'flag',
      display: 'postgres://flag:***@flag-host:5000/flag_db',
    }),
  )
})

precedence('DATABASE_URL beats DB_* and PG*', () => {
  assert.equal(
    resolve(ALL),
    config({
      host: 'envurl-host',
      port: 5001,
      user: 'envurl',
      password: 'envpw',
      database: 'envurl_db',
      sslmode: 'disable',
      source: 'DATABASE_URL',
      display: 'postgres://envurl:***@envurl-host:5001/envurl_db',
    }),
  )
})

precedence('DB_* beats PG*', () => {
  const { DATABASE_URL: _, ...env } = ALL
  assert.equal(
    resolve(env),
    config({
      host: 'dbhost',
      port: 5002,
      user: 'dbuser',
      password: 'dbpw',
      database: 'dbname',
      sslmode: 'require',
      source: 'DB_*',
      display: 'postgres://dbuser:***@dbhost:5002/dbname',
    }),
  )
})

precedence('PG* beats the defaults', () => {
  assert.equal(
    resolve({ PGHOST: 'pghost', PGPORT: '5003', PGUSER: 'pguser', PGPASSWORD: 'pgpw', PGDATABASE: 'pgdb', PGSSLMODE: 'disable', PGAPPNAME: 'svc', PGCONNECT_TIMEOUT: '7' }),
    config({
      host: 'pghost',
      port: 5003,
      user: 'pguser',
      password: 'pgpw',
      database: 'pgdb',
      sslmode: 'disable',
      connectTimeout: 7,
      applicationName: 'svc',
      source: 'PG*',
      display: 'postgres://pguser:***@pghost:5003/pgdb',
    }),
  )
})

precedence('defaults: localhost:5432, the OS user, database = user, no password', () => {
  assert.equal(resolve({}), config({ display: 'postgres://osuser@localhost:5432/osuser' }))
})

precedence('default user is os.userInfo() when not injected', () => {
  const me = userInfo().username
  assert.equal(
    resolveConnection({ env: {} }),
    config({ user: me, database: me, display: `postgres://${encodeURIComponent(me)}@localhost:5432/${encodeURIComponent(me)}` }),
  )
})

precedence('database defaults to the resolved user, wherever the user came from', () => {
  assert.equal(resolve({ DB_USER: 'linkuser' }), config({ user: 'linkuser', database: 'linkuser', source: 'DB_*', display: 'postgres://linkuser@localhost:5432/linkuser' }))
  assert.equal(resolve({ PGUSER: 'pguser' }), config({ user: 'pguser', database: 'pguser', source: 'PG*', display: 'postgres://pguser@localhost:5432/pguser' }))
})

precedence('empty variables count as unset', () => {
  assert.equal(
    resolve({ DATABASE_URL: '', DB_HOST: '', DB_PASSWORD: '', PGHOST: 'pghost', PGPASSWORD: 'pgpw' }),
    config({ host: 'pghost', password: 'pgpw', source: 'PG*', display: 'postgres://osuser:***@pghost:5432/osuser' }),
  )
  assert.equal(resolve({ DATABASE_URL: '  \n' }), config({ display: 'postgres://osuser@localhost:5432/osuser' }))
})

// ---------------------------------------------------------------- mixing

const mixing = suite('resolveConnection: mixing DB_*, PG* and URLs')

mixing('DB_* wins per field; PG* fills the fields DB_* leaves out', () => {
  assert.equal(
    resolve({ DB_HOST: 'dbhost', DB_PASSWORD: 'dbpw', PGHOST: 'pghost', PGPORT: '6543', PGUSER: 'pguser', PGPASSWORD: 'pgpw', PGSSLMODE: 'require' }),
    config({
      host: 'dbhost',
      port: 6543,
      user: 'pguser',
      password: 'dbpw',
      database: 'pguser',
      sslmode: 'require',
      source: 'DB_*',
      display: 'postgres://pguser:***@dbhost:6543/pguser',
    }),
  )
})

mixing('a URL ignores DB_* entirely', () => {
  assert.equal(
    resolve({ DATABASE_URL: 'postgres://urlhost/urldb', DB_USER: 'dbuser', DB_PASSWORD: 'dbpw', DB_PORT: 'not-even-checked', DB_SSLMODE: 'bogus' }),
    config({ host: 'urlhost', database: 'urldb', source: 'DATABASE_URL', display: 'postgres://osuser@urlhost:5432/urldb' }),
  )
})

mixing('PG* fills what a URL leaves out (libpq), including PGPASSWORD', () => {
  assert.equal(
    resolve({ PGUSER: 'pguser', PGPASSWORD: PW, PGPORT: '6000', PGAPPNAME: 'svc', PGHOST: 'pghost' }, 'postgres://urlhost/urldb'),
    config({
      host: 'urlhost',
      port: 6000,
      user: 'pguser',
      password: PW,
      database: 'urldb',
      applicationName: 'svc',
      source: 'flag',
      display: 'postgres://pguser:***@urlhost:6000/urldb',
    }),
  )
  assert.equal(
    resolve({ PGHOST: 'pghost', PGDATABASE: 'pgdb' }, 'postgresql://'),
    config({ host: 'pghost', database: 'pgdb', source: 'flag', display: 'postgres://osuser@pghost:5432/pgdb' }),
  )
})

mixing('the URL password wins over PGPASSWORD', () => {
  assert.equal(
    resolve({ PGPASSWORD: 'pgpw' }, 'postgres://u:urlpw@h/d'),
    config({ host: 'h', user: 'u', password: 'urlpw', database: 'd', source: 'flag', display: 'postgres://u:***@h:5432/d' }),
  )
})

mixing('an empty password in a URL counts as none', () => {
  assert.equal(resolve({}, 'postgres://u:@h/d'), config({ host: 'h', user: 'u', database: 'd', source: 'flag', display: 'postgres://u@h:5432/d' }))
})

// ---------------------------------------------------------------- URL forms

const urls = suite('resolveConnection: URL forms')

const fromUrl = (url: string, env: Env = {}) => resolve(env, url)

urls('postgres:// and postgresql://, any case', () => {
  const expected = config({ host: 'h', user: 'u', database: 'd', source: 'flag', display: 'postgres://u@h:5432/d' })
  assert.equal(fromUrl('postgres://u@h/d'), expected)
  assert.equal(fromUrl('postgresql://u@h/d'), expected)
  assert.equal(fromUrl('PostgreSQL://u@h/d'), expected)
})

urls('percent-encoded user, password and database', () => {
  assert.equal(
    fromUrl(`postgres://link%20user:${PW_ENC}@db:5432/link%2Fdb%3F`),
    config({
      host: 'db',
      user: 'link user',
      password: PW,
      database: 'link/db?',
      source: 'flag',
      display: 'postgres://link%20user:***@db:5432/link%2Fdb%3F',
    }),
  )
})

urls('unencoded "@" and ":" in the password still work (the last "@" ends the user info)', () => {
  assert.equal(
    fromUrl('postgres://u:p@ss:w@db/d'),
    config({ host: 'db', user: 'u', password: 'p@ss:w', database: 'd', source: 'flag', display: 'postgres://u:***@db:5432/d' }),
  )
})

urls('?sslmode=, ?application_name=, ?connect_timeout=, ?sslrootcert=', () => {
  assert.equal(
    fromUrl('postgres://u@h/d?sslmode=verify-full&application_name=discovery%20svc&connect_timeout=15&sslrootcert=%2Fetc%2Fca.pem'),
    config({
      host: 'h',
      user: 'u',
      database: 'd',
      sslmode: 'verify-full',
      sslrootcert: '/etc/ca.pem',
      connectTimeout: 15,
      applicationName: 'discovery svc',
      source: 'flag',
      display: 'postgres://u@h:5432/d',
    }),
  )
})

urls('?host=/dir is a unix socket; so is a percent-encoded host starting with /', () => {
  const socket = config({
    host: '/var/run/postgresql',
    user: 'u',
    database: 'db',
    source: 'flag',
    display: 'postgres://u@:5432/db?host=/var/run/postgresql',
  })
  assert.equal(fromUrl('postgres://u@/db?host=/var/run/postgresql'), socket)
  assert.equal(fromUrl('postgres://u@%2Fvar%2Frun%2Fpostgresql/db'), socket)
  assert.equal(fromUrl('postgres://u@%2Fvar%2Frun%2Fpostgresql:5432/db'), socket)
})

urls('query parameters override the authority, as in libpq', () => {
  assert.equal(
    fromUrl('postgres://a:apw@ahost:1/adb?host=qhost&port=2&user=q&password=qpw&dbname=qdb'),
    config({ host: 'qhost', port: 2, user: 'q', password: 'qpw', database: 'qdb', source: 'flag', display: 'postgres://q:***@qhost:2/qdb' }),
  )
})

urls('IPv6 in brackets, with and without a port', () => {
  assert.equal(fromUrl('postgres://u:x@[::1]:5433/d'), config({ host: '::1', port: 5433, user: 'u', password: 'x', database: 'd', source: 'flag', display: 'postgres://u:***@[::1]:5433/d' }))
  assert.equal(fromUrl('postgres://[2001:db8::5]/d'), config({ host: '2001:db8::5', database: 'd', source: 'flag', display: 'postgres://osuser@[2001:db8::5]:5432/d' }))
})

urls('unknown parameters are ignored with a warning; client certificates are not supported', () => {
  assert.equal(
    fromUrl('postgres://u@h/d?schema=public&sslcert=%2Fc.pem&&connection_limit=5&constructor=x'),
    config({
      host: 'h',
      user: 'u',
      database: 'd',
      source: 'flag',
      display: 'postgres://u@h:5432/d',
      warnings: [
        'ignoring parameter "schema" in --database-url: link-migrate does not use it',
        'ignoring parameter "sslcert" in --database-url: link-migrate does not use it',
        'ignoring parameter "connection_limit" in --database-url: link-migrate does not use it',
        'ignoring parameter "constructor" in --database-url: link-migrate does not use it',
      ],
    }),
  )
})

urls('surrounding whitespace (a newline from a secret file) is dropped; sslmode is case-insensitive', () => {
  assert.equal(
    fromUrl('  postgres://u@h/d?sslmode=REQUIRE\n'),
    config({ host: 'h', user: 'u', database: 'd', sslmode: 'require', source: 'flag', display: 'postgres://u@h:5432/d' }),
  )
})

urls('sslrootcert=system makes verify-full the default (libpq 16)', () => {
  assert.equal(
    fromUrl('postgres://u@h/d?sslrootcert=system'),
    config({ host: 'h', user: 'u', database: 'd', sslmode: 'verify-full', sslrootcert: 'system', source: 'flag', display: 'postgres://u@h:5432/d' }),
  )
})

urls('display is itself a URL that resolves to the same target', () => {
  for (const url of [
    `postgres://link%20user:${PW_ENC}@db:6000/link%2Fdb`,
    'postgres://u:x@[::1]:5433/d',
    'postgres://u:x@/d?host=/var/run/postgresql',
  ]) {
    const c = fromUrl(url)
    const again = fromUrl(c.display.replace(':***@', `:${encodeURIComponent(c.password ?? '')}@`))
    assert.equal(again, c)
  }
})

// ---------------------------------------------------------------- DB_* / PG* values

const envValues = suite('resolveConnection: environment values')

envValues('DB_HOST may be a socket directory or a bracketed or bare IPv6 address', () => {
  assert.equal(resolve({ DB_HOST: '/tmp' }), config({ host: '/tmp', source: 'DB_*', display: 'postgres://osuser@:5432/osuser?host=/tmp' }))
  assert.equal(resolve({ DB_HOST: '[::1]' }), config({ host: '::1', source: 'DB_*', display: 'postgres://osuser@[::1]:5432/osuser' }))
  assert.equal(resolve({ PGHOST: 'fe80::1' }), config({ host: 'fe80::1', source: 'PG*', display: 'postgres://osuser@[fe80::1]:5432/osuser' }))
})

envValues('numbers, keywords and hosts are trimmed (a CR from a CRLF .env file)', () => {
  assert.equal(
    resolve({ DB_HOST: 'db\r', DB_PORT: ' 5433\r', DB_SSLMODE: 'verify-ca\r', DB_SSLROOTCERT: '/ca.pem', PGCONNECT_TIMEOUT: '0' }),
    config({ host: 'db', port: 5433, sslmode: 'verify-ca', sslrootcert: '/ca.pem', connectTimeout: 0, source: 'DB_*', display: 'postgres://osuser@db:5433/osuser' }),
  )
})

envValues('every sslmode is accepted, allow included', () => {
  for (const mode of ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const) {
    assert.equal(resolve({ DB_SSLMODE: mode }), config({ sslmode: mode, source: 'DB_*', display: 'postgres://osuser@localhost:5432/osuser' }))
  }
})

envValues('port boundaries 1 and 65535', () => {
  assert.equal(resolve({ PGPORT: '1' }).port, 1)
  assert.equal(resolve({ PGPORT: '65535' }).port, 65535)
})

// ---------------------------------------------------------------- validation

const validation = suite('resolveConnection: validation errors')

const MODES = 'disable, allow, prefer, require, verify-ca, verify-full'

validation('DB_PORT / PGPORT not a number or out of range', () => {
  throwsConfig(() => resolve({ DB_PORT: 'abc' }), 'DB_PORT must be a port number (1-65535), got "abc"')
  throwsConfig(() => resolve({ DB_PORT: '0' }), 'DB_PORT must be a port number (1-65535), got "0"')
  throwsConfig(() => resolve({ PGPORT: '65536' }), 'PGPORT must be a port number (1-65535), got "65536"')
  throwsConfig(() => resolve({ PGPORT: '54.32' }), 'PGPORT must be a port number (1-65535), got "54.32"')
})

validation('a bad DB_PORT is not rescued by a good PGPORT', () => {
  throwsConfig(() => resolve({ DB_PORT: 'abc', PGPORT: '5432' }), 'DB_PORT must be a port number (1-65535), got "abc"')
})

validation('a port in a URL is not echoed (it may be shifted password text)', () => {
  throwsConfig(() => fromUrl('postgres://u:secret@h:99999/d'), 'port in --database-url must be a port number (1-65535)')
  throwsConfig(() => resolve({ DATABASE_URL: 'postgres://u:secret' }), 'port in DATABASE_URL must be a port number (1-65535)')
  throwsConfig(() => fromUrl('postgres://h/d?port=x'), 'port in --database-url must be a port number (1-65535), got "x"')
})

validation('unknown sslmode, named by its source', () => {
  throwsConfig(() => resolve({ DB_SSLMODE: 'requir' }), `DB_SSLMODE must be one of ${MODES}, got "requir"`)
  throwsConfig(() => resolve({ PGSSLMODE: 'on' }), `PGSSLMODE must be one of ${MODES}, got "on"`)
  throwsConfig(() => fromUrl('postgres://h/d?sslmode=true'), `sslmode in --database-url must be one of ${MODES}, got "true"`)
  throwsConfig(() => resolve({ DATABASE_URL: 'postgres://h/d?sslmode=ssl' }), `sslmode in DATABASE_URL must be one of ${MODES}, got "ssl"`)
})

validation('sslrootcert=system with a weaker sslmode', () => {
  throwsConfig(
    () => fromUrl('postgres://h/d?sslrootcert=system&sslmode=require'),
    'sslmode in --database-url must be verify-full when sslrootcert is "system", got "require"',
  )
  throwsConfig(() => resolve({ PGSSLROOTCERT: 'system', PGSSLMODE: 'verify-ca' }), 'PGSSLMODE must be verify-full when sslrootcert is "system", got "verify-ca"')
})

validation('newlines and control characters in a value are escaped (one line, no forged log line)', () => {
  throwsConfig(() => resolve({ DB_PORT: '5432\nINFO ok\t\u0001' }), 'DB_PORT must be a port number (1-65535), got "5432\\nINFO ok\\t\\x01"')
})

validation('bad hosts', () => {
  throwsConfig(() => resolve({ DB_HOST: 'db:5432' }), 'DB_HOST must be a host name, IP address or socket directory, got "db:5432" (put the port in DB_PORT)')
  throwsConfig(() => resolve({ PGHOST: 'a,b' }), 'PGHOST lists several hosts, got "a,b"; link-migrate connects to one host')
  throwsConfig(() => resolve({ DB_HOST: 'my host' }), 'DB_HOST must be a host name, IP address or socket directory, got "my host"')
  const several = (n: number) =>
    `--database-url lists several hosts (libpq's multi-host form, ${n} hosts); link-migrate connects to one host: give the primary's address`
  throwsConfig(() => fromUrl('postgres://h1,h2/d'), several(2))
  // With ports it used to read as a malformed IPv6 address.
  throwsConfig(() => fromUrl('postgres://u:pw@h1:5432,h2:5433,h3/d?target_session_attrs=read-write'), several(3))
  // a URL pasted into DB_HOST: echoed, but redacted
  throwsConfig(
    () => resolve({ DB_HOST: 'postgres://u:secret@h/d' }),
    'DB_HOST must be a host name, IP address or socket directory, got "postgres://u:***@h/d"',
  )
})

validation('connect_timeout', () => {
  throwsConfig(() => fromUrl('postgres://h/d?connect_timeout=-1'), 'connect_timeout in --database-url must be a whole number of seconds (0 = no limit), got "-1"')
  throwsConfig(() => resolve({ PGCONNECT_TIMEOUT: '10s' }), 'PGCONNECT_TIMEOUT must be a whole number of seconds (0 = no limit), got "10s"')
})

validation('wrong scheme', () => {
  throwsConfig(() => resolve({ DATABASE_URL: `mysql://u:${PW_ENC}@h/d` }), 'DATABASE_URL must start with postgres:// or postgresql://, got "mysql://"')
  throwsConfig(() => fromUrl(`postgis://u:${PW}@h/d`), '--database-url must start with postgres:// or postgresql://, got "postgis://"')
})

validation('malformed URLs: the message says why and echoes nothing of the URL', () => {
  const bad = (why: string) => `DATABASE_URL is not a valid postgres:// URL: ${why}`
  const at = '"@" after the host; percent-encode special characters in the password (@ as %40, / as %2F, ? as %3F, # as %23)'
  const cases: Array<[string, string]> = [
    [`host=db user=u password=${PW}`, bad('it does not start with postgres:// or postgresql://')],
    [`db:5432/linkdb`, bad('it does not start with postgres:// or postgresql://')],
    [`postgres://u:${PW}@db/d`, bad(at)], // unencoded "/" in the password
    ['postgres://u:pa?ss@db/d', bad(at)],
    ['postgres://u:pa#ss@db/d', bad(at)],
    ['postgres://u:secret@db/d#frag', bad('it contains "#"; write it as %23')],
    ['postgres://u:secret%zz@db/d', bad('bad percent-encoding in the password')],
    ['postgres://u%zz:secret@db/d', bad('bad percent-encoding in the user name')],
    ['postgres://u:secret@db/d%zz', bad('bad percent-encoding in the database name')],
    ['postgres://u:secret@db/d?application_name=%zz', bad('bad percent-encoding in the parameter "application_name"')],
    ['postgres://u:secret@db/d?sslmode', bad('a query parameter has no "=value"')],
    ['postgres://u:secret@::1/d', bad('an IPv6 address must be in brackets, as in postgres://[::1]:5432/db')],
    ['postgres://u:secret@[::1/d', bad('unclosed "[" in the host')],
    ['postgres://u:secret@[db]/d', bad('the host in brackets is not an IPv6 address')],
    ['postgres://u:secret@[::1]x/d', bad('unexpected text after "]" in the host')],
  ]
  for (const [url, message] of cases) throwsConfig(() => resolve({ DATABASE_URL: url }), message)
})

validation('an empty --database-url is an error, not a fall-through', () => {
  throwsConfig(() => resolve({ DATABASE_URL: 'postgres://h/d' }, ''), '--database-url is empty')
  throwsConfig(() => resolve({}, '   '), '--database-url is empty')
})

validation('every problem at once, one per line', () => {
  throwsConfig(
    () => resolve({ DB_HOST: 'a,b', DB_PORT: 'abc', DB_PASSWORD: PW, PGSSLMODE: 'nope', PGCONNECT_TIMEOUT: 'x' }),
    [
      '4 problems in the connection settings:',
      '  DB_HOST lists several hosts, got "a,b"; link-migrate connects to one host',
      '  DB_PORT must be a port number (1-65535), got "abc"',
      `  PGSSLMODE must be one of ${MODES}, got "nope"`,
      '  PGCONNECT_TIMEOUT must be a whole number of seconds (0 = no limit), got "x"',
    ].join('\n'),
  )
})

validation('a password equal to a bad value is still masked (last line of defence)', () => {
  throwsConfig(() => resolve({ DB_PASSWORD: 'secret', DB_SSLMODE: 'secret' }), `DB_SSLMODE must be one of ${MODES}, got "***"`)
  throwsConfig(() => fromUrl('postgres://u:secret@h/d?connect_timeout=secret'), 'connect_timeout in --database-url must be a whole number of seconds (0 = no limit), got "***"')
})

validation('only echoed values are masked: the dev password "postgres" leaves the wording alone', () => {
  throwsConfig(
    () => resolve({ DATABASE_URL: 'postgres://postgres:postgres@db/postgres#x' }),
    'DATABASE_URL is not a valid postgres:// URL: it contains "#"; write it as %23',
  )
  throwsConfig(() => resolve({ DB_PASSWORD: 'postgres', DB_HOST: 'postgres:5432' }), 'DB_HOST must be a host name, IP address or socket directory, got "***:5432" (put the port in DB_PORT)')
})

precedence.run()
mixing.run()
urls.run()
envValues.run()
validation.run()
