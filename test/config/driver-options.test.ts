// Pure tests of src/config/driver-options.ts: no server, no real files.
import postgres from 'postgres'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { ConnectionConfig } from '../../src/config/connection.js'
import { toPostgresOptions, type TlsOptions } from '../../src/config/driver-options.js'
import { config, PW, resolve, throwsConfig } from '../helpers/config.js'

// ---------------------------------------------------------------- postgres.js options

const pgOptions = suite('toPostgresOptions')

const base = (fields: Partial<ConnectionConfig> = {}): ConnectionConfig =>
  config({ host: 'db.internal', user: 'linkuser', password: PW, database: 'linkdb', display: 'postgres://linkuser:***@db.internal:5432/linkdb', ...fields })

const common = {
  host: ['db.internal'],
  port: [5432],
  user: 'linkuser',
  password: PW,
  database: 'linkdb',
  connection: { application_name: 'link-migrate' },
}

const noFiles = (path: string): string => {
  throw new Error(`unexpected read of ${path}`)
}
const fakeCa = (path: string) => `PEM from ${path}`

pgOptions('disable -> ssl false', () => {
  assert.equal(toPostgresOptions(base({ sslmode: 'disable' }), { readFile: noFiles }), { ...common, ssl: false })
})

pgOptions('allow and prefer -> "prefer"', () => {
  assert.equal(toPostgresOptions(base({ sslmode: 'allow' }), { readFile: noFiles }), { ...common, ssl: 'prefer' })
  assert.equal(toPostgresOptions(base({ sslmode: 'prefer', sslrootcert: '/ca.pem' }), { readFile: noFiles }), { ...common, ssl: 'prefer' })
})

pgOptions('require -> "require"; with an sslrootcert file it verifies the chain as libpq does', () => {
  assert.equal(toPostgresOptions(base({ sslmode: 'require' }), { readFile: noFiles }), { ...common, ssl: 'require' })
  const { ssl, ...rest } = toPostgresOptions(base({ sslmode: 'require', sslrootcert: '/ca.pem' }), { readFile: fakeCa })
  const { checkServerIdentity, ...tls } = ssl as TlsOptions
  assert.equal({ rest, tls }, { rest: common, tls: { rejectUnauthorized: true, ca: 'PEM from /ca.pem' } })
  assert.is(checkServerIdentity?.('anything', {} as never), undefined)
})

pgOptions('verify-ca -> CA checked, name not', () => {
  const { ssl, ...rest } = toPostgresOptions(base({ sslmode: 'verify-ca', sslrootcert: '/etc/ssl/rds.pem' }), { readFile: fakeCa })
  const { checkServerIdentity, ...tls } = ssl as TlsOptions
  assert.equal({ rest, tls }, { rest: common, tls: { rejectUnauthorized: true, ca: 'PEM from /etc/ssl/rds.pem' } })
  assert.is(checkServerIdentity?.('other.host', {} as never), undefined)
})

pgOptions('verify-full -> CA and servername; without sslrootcert or with "system", Node\'s CAs', () => {
  assert.equal(toPostgresOptions(base({ sslmode: 'verify-full', sslrootcert: '/ca.pem' }), { readFile: fakeCa }), {
    ...common,
    ssl: { rejectUnauthorized: true, ca: 'PEM from /ca.pem', servername: 'db.internal' },
  })
  assert.equal(toPostgresOptions(base({ sslmode: 'verify-full' }), { readFile: noFiles }), {
    ...common,
    ssl: { rejectUnauthorized: true, servername: 'db.internal' },
  })
  assert.equal(toPostgresOptions(base({ sslmode: 'verify-full', sslrootcert: 'system' }), { readFile: noFiles }), {
    ...common,
    ssl: { rejectUnauthorized: true, servername: 'db.internal' },
  })
})

pgOptions('verify-full on an IP host checks the certificate against that IP', () => {
  const { ssl, ...rest } = toPostgresOptions(base({ host: '10.1.2.3', sslmode: 'verify-full' }), { readFile: noFiles })
  const { checkServerIdentity, ...tls } = ssl as TlsOptions
  assert.equal({ rest, tls }, { rest: { ...common, host: ['10.1.2.3'] }, tls: { rejectUnauthorized: true } })
  const cert = { subject: { CN: 'x' }, subjectaltname: 'IP Address:10.1.2.3' } as never
  assert.is(checkServerIdentity?.('localhost', cert), undefined)
  assert.instance(checkServerIdentity?.('10.1.2.3', { subject: { CN: 'x' }, subjectaltname: 'IP Address:10.9.9.9' } as never), Error)
})

pgOptions('unix socket: path to the socket file, never TLS', () => {
  assert.equal(toPostgresOptions(base({ host: '/var/run/postgresql/', port: 5433, sslmode: 'verify-full' }), { readFile: noFiles }), {
    ...common,
    host: ['/var/run/postgresql/'],
    port: [5433],
    path: '/var/run/postgresql/.s.PGSQL.5433',
    ssl: false,
  })
})

pgOptions('IPv6, no password, application name and connect timeout', () => {
  const { password: _, ...withoutPassword } = common
  assert.equal(
    toPostgresOptions(base({ host: '::1', password: undefined, applicationName: 'svc', connectTimeout: 0, sslmode: 'disable' })),
    { ...withoutPassword, host: ['::1'], connection: { application_name: 'svc' }, connect_timeout: 0, ssl: false },
  )
})

pgOptions('an unreadable sslrootcert is a ConfigError', () => {
  const enoent = () => {
    throw Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' })
  }
  throwsConfig(() => toPostgresOptions(base({ sslmode: 'verify-full', sslrootcert: '/nope.pem' }), { readFile: enoent }), 'cannot read the sslrootcert file "/nope.pem" (ENOENT)')
  throwsConfig(() => toPostgresOptions(base({ sslmode: 'verify-ca', sslrootcert: '/nope.pem' })), 'cannot read the sslrootcert file "/nope.pem" (ENOENT)')
})

pgOptions('postgres.js accepts the options as they are', async () => {
  const sql = postgres(toPostgresOptions(resolve({}, 'postgres://u:x@[::1]:5433/d?sslmode=require&application_name=svc')) as unknown as postgres.Options<{}>)
  const o = sql.options
  assert.equal(
    { host: o.host, port: o.port, path: o.path, user: o.user, database: o.database, ssl: o.ssl, app: o.connection.application_name },
    { host: ['::1'], port: [5433], path: false as unknown as string, user: 'u', database: 'd', ssl: 'require', app: 'svc' },
  )
  await sql.end()
})

pgOptions.run()
