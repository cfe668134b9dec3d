import * as crypto from 'node:crypto'

/**
 * Node >= 20.12's one-shot hash: ~4x faster per file than createHash (which
 * looks up the algorithm in OpenSSL 3 on every call); what a no-op `up`
 * over many files mostly pays for checksums. createHash where it is missing.
 */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash

/**
 * SPEC 3: SHA-256, lowercase hex, of the up file's text after the BOM is
 * dropped (the scanner already did that) and CRLF is turned into LF, so a
 * Windows checkout verifies the same as a Linux one. Never throws.
 */
export function checksum(content: string): string {
  const normalized = content.includes('\r\n') ? content.replace(/\r\n/g, '\n') : content
  return typeof oneShot === 'function' ? oneShot('sha256', normalized, 'hex') : crypto.createHash('sha256').update(normalized, 'utf8').digest('hex')
}
