// Pure tests of src/source/name.ts: migration file names (SPEC 3).
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { MAX_INTEGER_VERSION, MAX_VERSION, nameAdvice, parseName, slugify, versionWidth, type ParsedName } from '../../src/source/name.js'

/** The parse of `file`, which must be a migration file name. */
function parsed(file: string): ParsedName {
  const p = parseName(file)
  if (!p) throw new Error(`${file} did not parse`)
  return p
}

// ---------------------------------------------------------------- parseName

const parse = suite('name: parseName')

parse('MAX_VERSION is the largest exact JavaScript integer; MAX_INTEGER_VERSION the largest PostgreSQL integer', () => {
  assert.is(MAX_VERSION, 2 ** 53 - 1)
  assert.is(MAX_INTEGER_VERSION, 2 ** 31 - 1)
})

parse('dotted form, up and down', () => {
  assert.equal(parseName('001_create_users.up.sql'), {
    digits: '001',
    version: 1,
    description: 'create_users',
    direction: 'up',
    stem: '001_create_users',
    style: 'dot',
  })
  assert.equal(parseName('001_create_users.down.sql'), {
    digits: '001',
    version: 1,
    description: 'create_users',
    direction: 'down',
    stem: '001_create_users',
    style: 'dot',
  })
})

parse('underscore form, up and down', () => {
  assert.equal(parseName('042_add_index_up.sql'), {
    digits: '042',
    version: 42,
    description: 'add_index',
    direction: 'up',
    stem: '042_add_index',
    style: 'underscore',
  })
  assert.equal(parseName('042_add_index_down.sql'), {
    digits: '042',
    version: 42,
    description: 'add_index',
    direction: 'down',
    stem: '042_add_index',
    style: 'underscore',
  })
})

parse('any digit width: 7_x and 007_x are both version 7, the digits are kept as written', () => {
  assert.equal(parseName('7_x.up.sql'), { digits: '7', version: 7, description: 'x', direction: 'up', stem: '7_x', style: 'dot' })
  assert.equal(parseName('007_x.up.sql'), { digits: '007', version: 7, description: 'x', direction: 'up', stem: '007_x', style: 'dot' })
  assert.equal(parseName('0000007_x_down.sql'), {
    digits: '0000007',
    version: 7,
    description: 'x',
    direction: 'down',
    stem: '0000007_x',
    style: 'underscore',
  })
  assert.equal(parseName('20240131120000_init.up.sql'), {
    digits: '20240131120000',
    version: 20240131120000,
    description: 'init',
    direction: 'up',
    stem: '20240131120000_init',
    style: 'dot',
  })
})

parse('version 0 and versions past MAX_VERSION still parse (the scanner judges them)', () => {
  assert.equal(parseName('000_zero.up.sql'), { digits: '000', version: 0, description: 'zero', direction: 'up', stem: '000_zero', style: 'dot' })
  assert.equal(parsed('2147483648_over.up.sql').version, MAX_INTEGER_VERSION + 1)
  assert.equal(parsed('9007199254740991_max.up.sql').version, MAX_VERSION)
  assert.equal(parsed('9007199254740992_over.up.sql').version > MAX_VERSION, true)
  // Far past Number precision: still a number above the limit, never NaN.
  const huge = parsed(`${'9'.repeat(400)}_huge.up.sql`)
  assert.equal({ digits: huge.digits.length, above: huge.version > MAX_VERSION }, { digits: 400, above: true })
})

parse('descriptions with dots (real projects: 0130_2.10.0_schema)', () => {
  assert.equal(parseName('0130_2.10.0_schema.up.sql'), {
    digits: '0130',
    version: 130,
    description: '2.10.0_schema',
    direction: 'up',
    stem: '0130_2.10.0_schema',
    style: 'dot',
  })
  assert.equal(parseName('0130_2.10.0_schema_down.sql'), {
    digits: '0130',
    version: 130,
    description: '2.10.0_schema',
    direction: 'down',
    stem: '0130_2.10.0_schema',
    style: 'underscore',
  })
  assert.equal(parseName('5_x.up.down.sql'), { digits: '5', version: 5, description: 'x.up', direction: 'down', stem: '5_x.up', style: 'dot' })
})

parse('the dotted form wins: 001_a_up.up.sql is an up file described a_up', () => {
  assert.equal(parseName('001_a_up.up.sql'), { digits: '001', version: 1, description: 'a_up', direction: 'up', stem: '001_a_up', style: 'dot' })
  assert.equal(parseName('001_a_down.up.sql'), {
    digits: '001',
    version: 1,
    description: 'a_down',
    direction: 'up',
    stem: '001_a_down',
    style: 'dot',
  })
  assert.equal(parseName('001_a.up_down.sql'), {
    digits: '001',
    version: 1,
    description: 'a.up',
    direction: 'down',
    stem: '001_a.up',
    style: 'underscore',
  })
})

parse('a description may hold any character but "/"', () => {
  for (const description of ['add users', 'Café_ü', '😀', 'a-b+c=d', '__', 'x.y.z', "it's", 'tab\there', 'line\nbreak', '_']) {
    assert.equal(
      parseName(`003_${description}.up.sql`),
      { digits: '003', version: 3, description, direction: 'up', stem: `003_${description}`, style: 'dot' },
      `~> ${JSON.stringify(description)}`,
    )
  }
  assert.is(parseName('003_a/b.up.sql'), null)
})

parse('names that are not migration file names', () => {
  const names = [
    '',
    'README.md',
    'schema.sql',
    '001.up.sql', // no description
    '001_.up.sql', // empty description
    '001__up.sql', // empty description, underscore form
    '001_x.sql', // no direction
    '001_x.UP.sql',
    '001_x.up.SQL',
    '001_x.Up.sql',
    '001_x.up.sql.bak',
    '001_x.up.sql~',
    '001_x.up.sql ',
    ' 001_x.up.sql',
    '001_x.upsql',
    '001_x-up.sql',
    'v001_x.up.sql',
    'x001_y.up.sql',
    '-1_x.up.sql',
    '+1_x.up.sql',
    '1.5_x.up.sql',
    'abc_x.up.sql',
    '_x.up.sql',
    '１２_x.up.sql', // full-width digits are not digits here
    '٣_x.up.sql', // nor are Arabic-Indic ones
    '001-x.up.sql',
    '001_x.up',
    '001_x.down',
  ]
  for (const name of names) assert.is(parseName(name), null, `~> ${JSON.stringify(name)}`)
})

// --------------------------------------------------------------- nameAdvice

const advice = suite('name: nameAdvice')

advice('conventional names get no advice', () => {
  for (const name of ['001_create_users.up.sql', '042_add_index_down.sql', '999_x9.up.sql', '1000_a.up.sql', '20240131120000_init.up.sql', '0130_2.10.0_schema.up.sql']) {
    assert.equal(nameAdvice(parsed(name), name.startsWith('0130') ? 4 : 3), [], `~> ${name}`)
  }
  assert.equal(nameAdvice(parsed('000042_x.up.sql'), 6), [], '~> the directory uses 6 digits')
  assert.equal(nameAdvice(parsed('42_x.up.sql'), 0), [], '~> the directory does not pad')
})

advice('a version not as wide as the directory', () => {
  assert.equal(nameAdvice(parsed('7_x.up.sql')), ['version "7" does not follow the directory\'s names (the directory uses 3 digits: 007)'])
  assert.equal(nameAdvice(parsed('42_x.up.sql')), ['version "42" does not follow the directory\'s names (the directory uses 3 digits: 042)'])
  assert.equal(nameAdvice(parsed('0007_x.up.sql')), ['version "0007" does not follow the directory\'s names (the directory uses 3 digits: 007)'])
  assert.equal(nameAdvice(parsed('042_x.up.sql'), 6), ['version "042" does not follow the directory\'s names (the directory uses 6 digits: 000042)'])
  assert.equal(nameAdvice(parsed('007_x.up.sql'), 0), ['version "007" does not follow the directory\'s names (the directory does not pad versions: 7)'])
})

advice('versionWidth: the most common padded width, 0 without padding, 3 when empty', () => {
  assert.is(versionWidth(['000001', '000002', '000010']), 6)
  assert.is(versionWidth(['001', '042', '100', '1000', '42']), 3)
  assert.is(versionWidth(['1', '2', '12']), 0)
  assert.is(versionWidth(['20240131120000', '20240201090000']), 0)
  assert.is(versionWidth(['01', '002']), 3, 'a tie goes to the wider')
  assert.is(versionWidth([]), 3)
})

advice('a description that is not a lowercase slug (dots are fine)', () => {
  assert.equal(nameAdvice(parsed('001_AddUsers.up.sql')), ['description "AddUsers" is not a lowercase slug (a-z, 0-9, _ and .)'])
  assert.equal(nameAdvice(parsed('001_add-users_up.sql')), ['description "add-users" is not a lowercase slug (a-z, 0-9, _ and .)'])
  assert.equal(nameAdvice(parsed('001_add users.down.sql')), ['description "add users" is not a lowercase slug (a-z, 0-9, _ and .)'])
  assert.equal(nameAdvice(parsed('005_2.10.0_schema.up.sql')), [])
})

advice('both at once, in order: version, then description', () => {
  assert.equal(nameAdvice(parsed('0130_2.10.0_Schema.up.sql')), [
    'version "0130" does not follow the directory\'s names (the directory uses 3 digits: 130)',
    'description "2.10.0_Schema" is not a lowercase slug (a-z, 0-9, _ and .)',
  ])
})

// ------------------------------------------------------------------ slugify

const slug = suite('name: slugify')

slug('words become a lowercase slug', () => {
  const cases: [string, string][] = [
    ['add user avatars!', 'add_user_avatars'],
    ['Add  User--Avatars', 'add_user_avatars'],
    ['  leading and trailing  ', 'leading_and_trailing'],
    ['__already_a_slug_1__', 'already_a_slug_1'],
    ['v2.10.0 schema', 'v2_10_0_schema'],
    ['CamelCaseName', 'camelcasename'],
    ['tab\tand\nnewline', 'tab_and_newline'],
  ]
  for (const [input, want] of cases) assert.is(slugify(input), want, `~> ${JSON.stringify(input)}`)
})

slug('accents are dropped, compatibility forms decomposed', () => {
  assert.is(slugify('Café crème brûlée'), 'cafe_creme_brulee')
  assert.is(slugify('ÀÉÎÕÜ'), 'aeiou')
  assert.is(slugify('ﬁle ①'), 'file_1') // ligature and circled digit
})

slug('nothing sluggable left gives the empty string', () => {
  for (const input of ['', '!!!', '   ', '日本語', '😀']) assert.is(slugify(input), '', `~> ${JSON.stringify(input)}`)
})

slug('a slug is its own slug and a conventional description', () => {
  for (const input of ['add user avatars!', 'Café', 'v2.10.0', 'x']) {
    const s = slugify(input)
    assert.is(slugify(s), s)
    assert.equal(nameAdvice(parsed(`001_${s}.up.sql`)), [])
  }
})

parse.run()
advice.run()
slug.run()
