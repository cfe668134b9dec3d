// SPEC 2 / issue 7 point 8: TLS against a PRIVATE PostgreSQL cluster with a
// self-signed CA and server certificate made here with openssl (the shared
// test server is not touched). The cluster accepts TCP only over TLS
// (hostssl), so a connection that works used TLS.
//  - DB_SSLMODE=require connects (no verification),
//  - verify-full without the CA fails with a clear message (exit 1),
//  - verify-full with the CA (sslrootcert in the URL, PGSSLROOTCERT or
//    DB_SSLROOTCERT) connects,
//  - verify-full against a certificate for another host name fails naming
//    the mismatch; verify-ca with the CA still connects (it does not check names).
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import postgres from 'postgres'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { migrationsDir, tmpDir } from '../helpers/tmp.js'
import { giveToPostgres, startCluster, type Cluster } from './servers.js'
import { lines, readable, runTimed, show } from './util.js'

const test = suite('TLS: sslmode require, verify-full, sslrootcert')
const it = readable(test)
const S: { pg?: Cluster; certs?: string; dir?: string; db?: string } = {}

function haveOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'pipe' })
    return true
  } catch {
    return false
  }
}

/** A CA, and two server certificates signed by it: one for 127.0.0.1/localhost, one for db.internal only. */
function makeCerts(dir: string): void {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=link-migrate test CA')
  for (const [name, san] of [
    ['server', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
    ['other', 'subjectAltName=DNS:db.internal'],
  ] as const) {
    fs.writeFileSync(path.join(dir, `${name}.ext`), `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n${san}\n`)
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name === 'server' ? '127.0.0.1' : 'db.internal'}`)
    ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`)
  }
}

const available = haveOpenssl()

test.before(async () => {
  if (!available) return
  S.certs = await tmpDir('lm-certs-')
  makeCerts(S.certs)
  S.pg = await startCluster({
    hba: ['hostssl all all 127.0.0.1/32 scram-sha-256'],
    tls: true,
    conf: ['ssl = on', "ssl_cert_file = 'server.crt'", "ssl_key_file = 'server.key'"],
    files: {
      'server.crt': fs.readFileSync(path.join(S.certs, 'server.crt')),
      'server.key': fs.readFileSync(path.join(S.certs, 'server.key')),
    },
  })
  const admin = postgres(S.pg.url, { max: 1, ssl: 'require', onnotice: () => {} })
  await admin`create database lm_ssl`
  await admin.end({ timeout: 5 })
  S.db = 'lm_ssl'
  S.dir = await migrationsDir({
    '001_ssl_seen.up.sql': 'create table ssl_seen (version int, ssl boolean);\ninsert into ssl_seen select 1, ssl from pg_stat_ssl where pid = pg_backend_pid();\n',
    '002_ssl_again.up.sql': 'insert into ssl_seen select 2, ssl from pg_stat_ssl where pid = pg_backend_pid();\n',
  })
})
test.after(async () => {
  S.pg?.stop()
})

/** URL of the TLS database with the password; `query` appended. */
function url(query = ''): string {
  const u = new URL(S.pg!.url)
  u.pathname = '/' + S.db
  return u.toString() + query
}

/** DB_* variables for the TLS database. */
function dbEnv(extra: Record<string, string>): Record<string, string> {
  const u = new URL(S.pg!.url)
  return { DB_HOST: u.hostname, DB_PORT: u.port, DB_USER: 'postgres', DB_PASSWORD: decodeURIComponent(u.password), DB_NAME: S.db!, ...extra }
}

if (!available) {
  if (process.env.CI === 'true') {
    it('openssl is installed', () => assert.unreachable('openssl is missing: .ci/run installs it'))
  } else {
    console.log('SKIP test/guarantees/ssl.test.ts: openssl not found')
    test.skip('TLS tests (openssl not installed)', () => {})
  }
} else {
  it('the server accepts TCP only over TLS: sslmode=disable is refused by pg_hba (exit 1)', async () => {
    const r = await runTimed(['status', '--dir', S.dir!, '--service', 'ssl-svc'], { env: dbEnv({ DB_SSLMODE: 'disable' }) })
    assert.is(r.code, 1, show(r))
    assert.match(lines(r, /Error:/)[0] ?? '', /no pg_hba\.conf entry .*no encryption/)
  })

  it('DB_SSLMODE=require connects (and the migration ran over TLS)', async () => {
    const r = await runTimed(['up', '--dir', S.dir!, '--service', 'ssl-svc', '--to', '1'], { env: dbEnv({ DB_SSLMODE: 'require' }) })
    assert.is(r.code, 0, show(r))
    const sql = postgres(url(), { max: 1, ssl: 'require', onnotice: () => {} })
    try {
      const rows = await sql<{ version: number; ssl: boolean }[]>`select version, ssl from ssl_seen order by version`
      assert.equal(rows.map((x) => [x.version, x.ssl]), [[1, true]])
    } finally {
      await sql.end({ timeout: 5 })
    }
  })

  it('verify-full without the CA: exit 1, one line saying the certificate is not trusted', async () => {
    for (const env of [dbEnv({ DB_SSLMODE: 'verify-full' }), { DATABASE_URL: url('?sslmode=verify-full') }]) {
      const r = await runTimed(['status', '--dir', S.dir!, '--service', 'ssl-svc'], { env })
      assert.is(r.code, 1, show(r))
      const err = lines(r, /Error:/)
      assert.is(err.length, 1, show(r))
      console.log(`    message: ${err[0]}`)
      assert.match(err[0]!, /^\[ssl-svc-migrations\] Error: cannot connect to database "lm_ssl" on 127\.0\.0\.1:\d+ as user "postgres": /)
      assert.match(err[0]!, /certificate/i)
      assert.match(err[0]!, /sslrootcert/)
    }
  })

  it('verify-full with the CA connects: sslrootcert in the URL, PGSSLROOTCERT, DB_SSLROOTCERT', async () => {
    const ca = path.join(S.certs!, 'ca.crt')
    const viaUrl = await runTimed(['status', '--dir', S.dir!, '--service', 'ssl-svc'], { env: { DATABASE_URL: url(`?sslmode=verify-full&sslrootcert=${encodeURIComponent(ca)}`) } })
    assert.is(viaUrl.code, 0, show(viaUrl))
    const viaPg = await runTimed(['status', '--dir', S.dir!, '--service', 'ssl-svc'], { env: { DATABASE_URL: url('?sslmode=verify-full'), PGSSLROOTCERT: ca } })
    assert.is(viaPg.code, 0, show(viaPg))
    const viaDb = await runTimed(['up', '--dir', S.dir!, '--service', 'ssl-svc'], { env: dbEnv({ DB_SSLMODE: 'verify-full', DB_SSLROOTCERT: ca }) })
    assert.is(viaDb.code, 0, show(viaDb))
    assert.is(lines(viaDb, /Successfully applied migration 002_ssl_again/).length, 1, show(viaDb))
  })

  it('sslmode=require against a server without TLS (the shared test server): exit 1, asking whether it accepts TLS', async () => {
    const shared = process.env.TEST_DATABASE_URL
    if (!shared) return
    const r = await runTimed(['status', '--dir', S.dir!, '--service', 'ssl-svc'], { env: { DATABASE_URL: `${shared}?sslmode=require` } })
    if (r.code === 0) {
      console.log('    SKIP: the shared test server accepts TLS')
      return
    }
    assert.is(r.code, 1, show(r))
    assert.match(lines(r, /Error:/)[0] ?? '', /does it accept TLS\? sslmode is require/)
  })

  it('a missing sslrootcert file: exit 2 naming it', async () => {
    const missing = path.join(S.certs!, 'nope.crt')
    const r = await runTimed(['status', '--dir', S.dir!, '--service', 'ssl-svc'], { env: dbEnv({ DB_SSLMODE: 'verify-full', DB_SSLROOTCERT: missing }) })
    assert.ok(r.code === 2 || r.code === 1, show(r))
    assert.ok(r.stderr.includes(missing), show(r))
  })

  it('verify-full against a certificate for another host name: exit 1 naming the mismatch; verify-ca still connects', async () => {
    // The server now presents the db.internal certificate.
    for (const f of ['crt', 'key']) {
      const target = path.join(S.pg!.data, `server.${f}`)
      fs.writeFileSync(target, fs.readFileSync(path.join(S.certs!, `other.${f}`)), { mode: 0o600 })
      giveToPostgres(target)
    }
    await S.pg!.reload()
    const ca = path.join(S.certs!, 'ca.crt')
    const r = await runTimed(['status', '--dir', S.dir!, '--service', 'ssl-svc'], { env: dbEnv({ DB_SSLMODE: 'verify-full', DB_SSLROOTCERT: ca }) })
    assert.is(r.code, 1, show(r))
    const err = lines(r, /Error:/)
    assert.is(err.length, 1, show(r))
    console.log(`    message: ${err[0]}`)
    assert.match(err[0]!, /127\.0\.0\.1/)
    assert.match(err[0]!, /db\.internal/)
    assert.match(err[0]!, /does not match|not in the cert/i)
    const ok = await runTimed(['status', '--dir', S.dir!, '--service', 'ssl-svc'], { env: dbEnv({ DB_SSLMODE: 'verify-ca', DB_SSLROOTCERT: ca }) })
    assert.is(ok.code, 0, show(ok))
    const req = await runTimed(['status', '--dir', S.dir!, '--service', 'ssl-svc'], { env: dbEnv({ DB_SSLMODE: 'require' }) })
    assert.is(req.code, 0, show(req))
  })
}

test.run()
