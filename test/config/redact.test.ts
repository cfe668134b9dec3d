// Pure tests of src/config/redact.ts: no server, no real files.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { ResolveInput } from '../../src/config/connection.js'
import { collectSecrets, redactSecrets, redactUrl } from '../../src/config/redact.js'
import { resolveConnection } from '../../src/config/resolve.js'
import { assertNoPassword, PW, PW_ENC } from '../helpers/config.js'

// ---------------------------------------------------------------- redaction

const redaction = suite('redactUrl / redactSecrets / collectSecrets')

redaction('redactUrl on well-formed URLs', () => {
  assert.equal(
    [
      redactUrl(`postgres://linkuser:${PW_ENC}@db:5432/linkdb`),
      redactUrl('postgresql://u:p@ss:w@db/d?application_name=a@b'),
      redactUrl('postgres://u@db:5432/d'),
      redactUrl('postgres://db/d?user=u&password=secret&sslmode=require'),
      redactUrl('postgres://:secret@[::1]:5432/d'),
      redactUrl('mysql://root:secret@db/d'),
      redactUrl('postgres://u:x@[::1]:5432/d'),
    ],
    [
      'postgres://linkuser:***@db:5432/linkdb',
      'postgresql://u:***@db/d?application_name=a@b',
      'postgres://u@db:5432/d',
      'postgres://db/d?user=u&password=***&sslmode=require',
      'postgres://:***@[::1]:5432/d',
      'mysql://root:***@db/d',
      'postgres://u:***@[::1]:5432/d',
    ],
  )
})

redaction('redactUrl on malformed URLs masks everything that could be password', () => {
  assert.equal(
    [
      redactUrl(`postgres://u:${PW}@db/d`),
      redactUrl('postgres://u:pa?ss@db/d'),
      redactUrl('postgres://u:pa#ss@db/d'),
      redactUrl('postgres://u:secret'),
      redactUrl('postgres://u:pass word@db/d'),
      redactUrl('  postgres://u:secret@db:99999/d\n'),
      redactUrl('not a url at all'),
      redactUrl(''),
    ],
    [
      'postgres://u:***@db/d',
      'postgres://u:***@db/d',
      'postgres://u:***@db/d',
      'postgres://u:***',
      'postgres://u:***@db/d',
      '  postgres://u:***@db:99999/d\n',
      'not a url at all',
      '',
    ],
  )
})

redaction('redactUrl finds URLs inside text', () => {
  assert.equal(
    redactUrl('connect postgres://a:b@c/d failed; also tried postgresql://e:f@g/h and postgres://i/j?password=k'),
    'connect postgres://a:***@c/d failed; also tried postgresql://e:***@g/h and postgres://i/j?password=***',
  )
})

redaction('redactSecrets masks raw, fully, partly and lowercase encoded, and JSON forms', () => {
  const text = [PW, PW_ENC, 'p%40ss:w%2Frd%1', 'p%40ss%3aw%2frd%251', JSON.stringify({ pw: 'a"b\\c' })].join(' | ')
  assert.equal(redactSecrets(text, [PW, 'a"b\\c']), '*** | *** | *** | *** | {"pw":"***"}')
})

redaction('redactSecrets: longest secret first, spaces as %20 or +, non-ASCII as UTF-8 bytes, empty skipped', () => {
  assert.equal(redactSecrets('abcdef abc', ['abc', 'abcdef']), '*** ***')
  assert.equal(redactSecrets('my pw my%20pw my+pw', ['my pw']), '*** *** ***')
  assert.equal(redactSecrets('pässwörd p%C3%A4ssw%c3%b6rd', ['pässwörd']), '*** ***')
  assert.equal(redactSecrets('nothing to hide', ['', 'x(y']), 'nothing to hide')
  assert.equal(redactSecrets('a.b axb', ['a.b']), '*** axb')
})

redaction('collectSecrets gathers every password, even from malformed URLs', () => {
  assert.equal(
    collectSecrets({
      databaseUrl: `postgres://u:${PW}@db/d`,
      env: { DB_PASSWORD: 'dbpw', PGPASSWORD: 'pgpw', DATABASE_URL: `postgres://u:${PW_ENC}@db/d?password=qpw` },
    }),
    ['dbpw', 'pgpw', PW, PW_ENC, 'qpw'],
  )
  assert.equal(collectSecrets({ env: {} }), [])
})

redaction('no field but password holds the password; display and warnings never do', () => {
  const input: ResolveInput = { env: {}, databaseUrl: `postgres://u:${PW_ENC}@db/d?schema=x`, osUser: 'osuser' }
  const c = resolveConnection(input)
  const { password, ...rest } = c
  assert.is(password, PW)
  assertNoPassword(JSON.stringify(rest))
})

redaction.run()
