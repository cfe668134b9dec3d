// Pure tests of src/source/checksum.ts: SHA-256 of the up file, CRLF -> LF (SPEC 3).
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { checksum, checksumBytes } from '../../src/source/checksum.js'

const sum = suite('checksum')

sum('known SHA-256 vectors, lowercase hex (checked with sha256sum)', () => {
  const vectors: [string, string][] = [
    ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    ['SELECT 1;\n', 'b4e0497804e46e0a0b0b8c31975b062152d551bac49c3c2e80932567b4085dcd'],
    ['CREATE TABLE users (id int);\nSELECT 1;\n', 'ab9059f7c855a36e460f0b73fcc66934ddbbd7527e7e07f2a23f33b9ac89d7e2'],
  ]
  assert.equal(
    vectors.map(([text]) => checksum(text)),
    vectors.map(([, hex]) => hex),
  )
})

sum('text is hashed as UTF-8 bytes', () => {
  // printf 'é' | sha256sum: the two bytes c3 a9, not Latin-1 e9.
  assert.is(checksum('é'), '4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c')
})

sum('CRLF and LF give the same checksum', () => {
  const lf = 'CREATE TABLE users (id int);\nSELECT 1;\n'
  assert.is(checksum(lf.replace(/\n/g, '\r\n')), checksum(lf))
  assert.is(checksum('CREATE TABLE users (id int);\r\nSELECT 1;\n'), checksum(lf)) // mixed endings
  assert.is(checksum('\r\n'), checksum('\n'))
})

sum('only CRLF pairs change: a lone CR is content', () => {
  assert.is.not(checksum('a\rb'), checksum('a\nb'))
  assert.is.not(checksum('a\rb'), checksum('ab'))
  // "\r\r\n" is a CR then a CRLF: one CR stays, so this hashes the bytes
  // of "a\r\nb" (printf 'a\r\nb' | sha256sum), not those of "a\nb".
  assert.is(checksum('a\r\r\nb'), '18745f36a05e29072709042d6062ce54f1b08ff36c27ba80c39f81fb010c8ce2')
  assert.is.not(checksum('a\r\r\nb'), checksum('a\nb'))
})

sum('content is hashed as given: dropping the BOM is the scanner\'s job', () => {
  // scan() decodes files with the BOM removed; the same text without BOM
  // must then match (test/source/scan.test.ts checks the whole path).
  assert.is(checksum('SELECT 1;\n'), 'b4e0497804e46e0a0b0b8c31975b062152d551bac49c3c2e80932567b4085dcd')
  assert.is.not(checksum('\uFEFFSELECT 1;\n'), checksum('SELECT 1;\n'))
})

sum('any whitespace change outside CRLF is a change', () => {
  const base = checksum('SELECT 1;\n')
  for (const variant of ['SELECT 1;', 'SELECT 1;\n\n', 'SELECT  1;\n', ' SELECT 1;\n', 'select 1;\n']) {
    assert.is.not(checksum(variant), base, `~> ${JSON.stringify(variant)}`)
  }
})

sum('from the bytes: the same checksum as from the text, CRLF and lone CRs included', () => {
  const texts = ['', 'SELECT 1;\n', '\r\n', '\r', 'a\r\r\nb\r', 'é\r\n😀\r\nx', 'a\rb\r\nc\r\n\r\nd', '\r\n\r\n\r', 'CREATE TABLE t (x text);\r\n'.repeat(1000)]
  for (const text of texts) assert.is(checksumBytes(Buffer.from(text, 'utf8')), checksum(text), `~> ${JSON.stringify(text.slice(0, 40))}`)
})

sum.run()
