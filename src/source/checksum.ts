import * as crypto from 'node:crypto'

/**
 * Node >= 20.12's one-shot hash: ~4x faster per file than createHash (which
 * looks up the algorithm in OpenSSL 3 on every call); what a no-op `up`
 * over many files mostly pays for checksums. createHash where it is missing.
 */
const oneShot = (crypto as { hash?: (algorithm: string, data: string | Uint8Array, encoding: 'hex') => string }).hash

/**
 * SPEC 3: SHA-256, lowercase hex, of the up file's text after the BOM is
 * dropped (the scanner already did that) and CRLF is turned into LF, so a
 * Windows checkout verifies the same as a Linux one. Never throws.
 */
export function checksum(content: string): string {
  const normalized = content.includes('\r\n') ? content.replace(/\r\n/g, '\n') : content
  return typeof oneShot === 'function' ? oneShot('sha256', normalized, 'hex') : crypto.createHash('sha256').update(normalized, 'utf8').digest('hex')
}

const CR = 0x0d
const LF = 0x0a

/**
 * The same checksum from the file's UTF-8 bytes (BOM already dropped), so a
 * large file is hashed where it lies: hashing its decoded text would encode
 * a second copy of it (200 MB for a 200 MB file: issue 13). CRLF and UTF-8
 * agree byte for byte: 0x0D 0x0A never occur inside a multi-byte character.
 */
export function checksumBytes(bytes: Uint8Array): string {
  let cr = bytes.indexOf(CR)
  while (cr !== -1 && bytes[cr + 1] !== LF) cr = bytes.indexOf(CR, cr + 1)
  if (cr === -1) {
    return typeof oneShot === 'function' ? oneShot('sha256', bytes, 'hex') : crypto.createHash('sha256').update(bytes).digest('hex')
  }
  // Hash the pieces between CRs that start a CRLF; each CRLF contributes its LF.
  const hash = crypto.createHash('sha256')
  let from = 0
  while (cr !== -1) {
    hash.update(bytes.subarray(from, cr))
    from = cr + 1
    cr = bytes.indexOf(CR, from)
    while (cr !== -1 && bytes[cr + 1] !== LF) cr = bytes.indexOf(CR, cr + 1)
  }
  hash.update(bytes.subarray(from))
  return hash.digest('hex')
}
