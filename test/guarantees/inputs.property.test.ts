// Issue 7 point 6, fuzzed (fast-check, bounded): the two input surfaces that
// test/cli/argv.property.test.ts and test/source/scan.property.test.ts do not
// cover, service names and connection settings.
//  - checkService: accepts exactly [A-Za-z0-9._-]{1,63} (not only dots) and
//    returns it unchanged; anything else is a one-line usage error (exit 2)
//    that quotes the name safely.
//  - resolveConnection: for random DATABASE_URL / DB_* / PG* values around a
//    password, it returns or throws a usage error (exit 2), nothing else; no
//    message, warning or display URL contains the password in any form.
import fc from 'fast-check'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { collectSecrets, redactSecrets, redactUrl } from '../../src/config/redact.js'
import { resolveConnection } from '../../src/config/resolve.js'
import { checkService } from '../../src/config/target.js'
import { ConfigError } from '../../src/errors.js'

const RUNS = { numRuns: 300 }
const props = suite('service names and connection settings: properties')

const VALID = /^[A-Za-z0-9._-]{1,63}$/

const serviceName = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.stringMatching(/^[A-Za-z0-9._-]{1,70}$/),
  fc.constantFrom('a"b', "it's", 'a b', 'a;b', 'drop table x;', '..', '.', 'x'.repeat(63), 'x'.repeat(64), 'héllo', 'сервис', '🚀', 'a\u0000b', 'a\nb'),
)

props('checkService accepts exactly [A-Za-z0-9._-]{1,63} (not only dots), unchanged; refuses the rest with one usage-error line', () => {
  fc.assert(
    fc.property(serviceName, (name) => {
      const ok = VALID.test(name) && !/^\.+$/.test(name)
      try {
        const got = checkService(name, '--service')
        assert.ok(ok, `accepted ${JSON.stringify(name)}`)
        assert.is(got, name)
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e
        assert.not.ok(ok, `refused ${JSON.stringify(name)}: ${e.message}`)
        assert.is(e.exitCode, 2)
        assert.is(e.code, 'SERVICE_INVALID')
        assert.not.match(e.message, /[\n\r\u0000]/, 'one line, no raw control characters')
        assert.match(e.message, /^--service /)
      }
    }),
    RUNS,
  )
})

/** A password that needs escaping and is long enough that it cannot turn up by chance. */
const password = fc
  .tuple(fc.constantFrom('Pw', 'Sx', 'Qz'), fc.string({ unit: fc.constantFrom(...'abc123@:/%#?&=+ \'"\\é€!$'.split('')), minLength: 6, maxLength: 14 }))
  .map(([a, b]) => a + b)

const port = fc.oneof(fc.constantFrom('5432', '0', '65536', '-1', 'abc', '', ' 5432 ', '99999999', '54 32'), fc.string({ maxLength: 6 }))
const sslmode = fc.oneof(fc.constantFrom('disable', 'prefer', 'require', 'verify-ca', 'verify-full', 'allow', 'REQUIRE', 'on', 'true', ''), fc.string({ maxLength: 8 }))
const host = fc.constantFrom('db', '127.0.0.1', '[::1]', '::1', '/var/run/postgresql', 'db:5432', 'a b', '', 'h1,h2', '%2Ftmp')

/** A URL around the password: well-formed, raw (unescaped), or with parts shuffled about. */
const url = fc
  .record({
    scheme: fc.constantFrom('postgres', 'postgresql', 'mysql', 'postgres:', 'http'),
    user: fc.constantFrom('u', 'link user', 'a@b', ''),
    pw: password,
    encode: fc.boolean(),
    host,
    port,
    db: fc.constantFrom('db', '', 'a/b', 'd%20b'),
    query: fc.constantFrom('', '?sslmode=require', '?sslmode=bogus', '?password=PWD', '?connect_timeout=x', '?application_name=x&foo=1', '?host=/tmp', '?port=1'),
    shape: fc.integer({ min: 0, max: 4 }),
  })
  .map((r) => {
    const pw = r.encode ? encodeURIComponent(r.pw) : r.pw
    const q = r.query.replace('PWD', pw)
    const shapes = [
      `${r.scheme}://${r.user}:${pw}@${r.host}:${r.port}/${r.db}${q}`,
      `${r.scheme}://${r.user}:${pw}@${r.host}/${r.db}${q}`,
      `${r.scheme}://${r.user}:${pw}${r.host}:${r.port}/${r.db}`, // the @ forgotten
      `${r.scheme}://${r.host}:${pw}/${r.db}`, // password where the port goes
      ` ${r.scheme}://${r.user}:${pw}@${r.host}:${r.port}/${r.db}${q}\n`,
    ]
    // A socket path where the host goes turns a misplaced password into a
    // database name, which nothing can tell from a real one: not fuzzed.
    const shape = (r.shape === 2 || r.shape === 3) && /^(\/|%2F)/.test(r.host) ? 0 : r.shape
    return { text: shapes[shape]!, pw: r.pw }
  })

function forms(pw: string): string[] {
  return [pw, encodeURIComponent(pw), encodeURI(pw), JSON.stringify(pw).slice(1, -1)]
}

function assertNoPassword(text: string, pw: string, where: string): void {
  for (const f of forms(pw)) {
    if (f.length >= 6 && text.includes(f)) assert.unreachable(`${where} contains the password (as ${JSON.stringify(f)}): ${text}`)
  }
}

props('resolveConnection with a random URL around a password: returns or throws a usage error; the password is in no message, warning or display', () => {
  fc.assert(
    fc.property(url, fc.boolean(), ({ text, pw }, viaFlag) => {
      const input = viaFlag ? { databaseUrl: text, env: {} } : { env: { DATABASE_URL: text } }
      try {
        const c = resolveConnection({ ...input, osUser: 'me' })
        assertNoPassword(c.display, pw, 'display')
        for (const w of c.warnings) assertNoPassword(w, pw, 'a warning')
        assert.not.match(c.display, /\s/)
        // An accepted URL printed anywhere is masked by output redaction.
        assertNoPassword(redactSecrets(redactUrl(`echo: ${text.trim()}`), collectSecrets(input)), pw, 'redacted output')
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e
        assert.is(e.exitCode, 2)
        assertNoPassword(e.message, pw, 'the error')
        assert.match(e.message, viaFlag ? /--database-url|postgres/ : /DATABASE_URL|postgres/)
      }
    }),
    RUNS,
  )
})

props('resolveConnection with random DB_* / PG* values beside a password: usage errors name the variable; the password is never echoed', () => {
  fc.assert(
    fc.property(password, port, sslmode, host, fc.boolean(), (pw, p, mode, h, pg) => {
      const env: Record<string, string> = pg
        ? { PGHOST: h, PGPORT: p, PGSSLMODE: mode, PGPASSWORD: pw, PGUSER: 'u' }
        : { DB_HOST: h, DB_PORT: p, DB_SSLMODE: mode, DB_PASSWORD: pw, DB_USER: 'u' }
      try {
        const c = resolveConnection({ env, osUser: 'me' })
        assertNoPassword(c.display, pw, 'display')
        assert.is(c.password, pw)
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e
        assert.is(e.exitCode, 2)
        assertNoPassword(e.message, pw, 'the error')
        assert.match(e.message, pg ? /PG(HOST|PORT|SSLMODE)/ : /DB_(HOST|PORT|SSLMODE)/)
      }
    }),
    RUNS,
  )
})

props.run()
