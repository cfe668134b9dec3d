import { createHash } from 'node:crypto'

/**
 * SPEC 3: SHA-256, lowercase hex, of the up file's text after the BOM is
 * dropped (the scanner already did that) and CRLF is turned into LF, so a
 * Windows checkout verifies the same as a Linux one. Never throws.
 */
export function checksum(content: string): string {
  const normalized = content.includes('\r\n') ? content.replace(/\r\n/g, '\n') : content
  return createHash('sha256').update(normalized, 'utf8').digest('hex')
}
