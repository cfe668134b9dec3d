// Targets files: name=URL or bare URLs, # comments, ${ENV} (percent-encoded
// inside a URL), errors naming file:line and the variable, never a password;
// deduplication by host/port/database. Pure: no server.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { parseTargets } from '../../src/index.js'
import { resolveTargets } from '../../src/fleet/targets.js'
import { readable } from '../guarantees/util.js'

const test = suite('fleet: targets files')
const it = readable(test)
const opts = (env: Record<string, string> = {}) => ({ file: 'targets.txt', env })

it('name=URL, bare URLs, comments and blank lines', () => {
  const text = [
    '# tenants',
    '',
    'eu-1=postgres://app@eu-db:5432/t1',
    '  postgresql://app@us-db/t2   # US, decommissioned soon',
    'staging = postgres://app@st/app?sslmode=require',
  ].join('\r\n')
  assert.equal(parseTargets(text, opts()), [
    { name: 'eu-1', url: 'postgres://app@eu-db:5432/t1', origin: 'targets.txt:3' },
    { name: '', url: 'postgresql://app@us-db/t2', origin: 'targets.txt:4' },
    { name: 'staging', url: 'postgres://app@st/app?sslmode=require', origin: 'targets.txt:5' },
  ])
})

it('${VAR} inside a URL is percent-encoded; a whole-URL variable is taken as it is', () => {
  const env = { PW: 'p@ss/w#rd?', TENANT_URL: 'postgres://app:x%40y@h/db' }
  assert.equal(
    parseTargets('a=postgres://app:${PW}@h/a\nb=${TENANT_URL}\n', opts(env)).map((t) => t.url),
    ['postgres://app:p%40ss%2Fw%23rd%3F@h/a', 'postgres://app:x%40y@h/db'],
  )
})

it('errors name the file, the line and the variable, and never show a password', () => {
  const cases: [string, RegExp][] = [
    ['# only comments\n\n', /^targets\.txt: no targets/],
    ['a=postgres://u@h/a\nb=postgres://u:${MISSING}@h/b', /^targets\.txt:2: environment variable MISSING is not set \(used as \$\{MISSING\}\)$/],
    ['a=postgres://u:${1BAD}@h/a', /^targets\.txt:1: \$\{1BAD\} is not a variable name$/],
    ['a=mysql://u:hunter2@h/a', /^targets\.txt:1: expected name=URL or a postgres:\/\/ URL, got "a=mysql:\/\/u:\*\*\*@h\/a"$/],
    ['just words', /^targets\.txt:1: expected name=URL or a postgres:\/\/ URL/],
  ]
  for (const [text, re] of cases) {
    const err = (() => {
      try {
        parseTargets(text, opts())
      } catch (e) {
        return e as Error & { exitCode?: number }
      }
    })()
    assert.ok(err, text)
    assert.match(err!.message, re)
    assert.is(err!.exitCode, 2)
    assert.not.match(err!.message, /hunter2/)
  }
})

it('duplicates by host, port and database: the first name wins, the rest are listed', () => {
  const { targets, duplicates } = resolveTargets(
    [
      { name: 'a', url: 'postgres://app@DB1:5432/t1', origin: 'f:1' },
      { name: 'b', url: 'postgres://other@db1/t1', origin: 'f:2' },
      { name: '', url: 'postgres://app@db1:6432/t1', origin: 'f:3' },
      { name: '', url: 'postgres://app@db2/t1', origin: 'f:4' },
    ],
    {},
  )
  assert.equal(
    targets.map((t) => [t.name, t.key]),
    [
      ['a', 'db1:5432/t1'],
      ['t1', 'db1:6432/t1'],
      ['db2:5432/t1', 'db2:5432/t1'],
    ],
  )
  assert.equal(duplicates, [{ target: 'b', sameAs: 'a', origin: 'f:2' }])
  // The same name for two databases is a mistake in the file.
  assert.throws(
    () => resolveTargets([{ name: 'x', url: 'postgres://h1/a', origin: 'f:1' }, { name: 'x', url: 'postgres://h2/a', origin: 'f:2' }], {}),
    /f:2: the name x is used twice for different databases/,
  )
})

test.run()
