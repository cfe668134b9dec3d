/**
 * Keeping passwords out of every message: masking the password of any URL in
 * a text, masking known secrets in all their encodings, collecting the
 * secrets an input holds, and escaping values shown in one-line messages.
 */
import type { ResolveInput } from './connection.js'
import { indexOfAny, misplacedAt, SCHEME } from './url.js'

/**
 * A value as it may be shown in a one-line message: line breaks, tabs and
 * other control characters escaped (`db\nx` shows as `db\\nx`), so a value
 * pasted with a newline cannot split or forge a log line.
 */
export function printable(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f]/g, (c) =>
    c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  )
}

const URL_TOKEN = /[a-z][a-z0-9+.-]*:\/\/\S*/gi

/**
 * Spans [start, end) of password text in one URL, found by structure when the
 * URL is sound and as widely as could be a password when it is not.
 */
function passwordSpans(url: string, loose = false): Array<[number, number]> {
  // Loose: the text is meant to be a URL (DATABASE_URL), so a mistyped
  // scheme (`postgres:://`, `postgres:/`, none at all) still has a password.
  const scheme = SCHEME.exec(url) ?? (loose ? /^(?:[a-z][a-z0-9+.-]*:+\/*)?/i.exec(url) : null)
  if (!scheme) return []
  const base = scheme[0].length
  const rest = url.slice(base)
  const authEnd = indexOfAny(rest, /[/?#]/)
  const spans: Array<[number, number]> = []
  // When the "@" is misplaced the password ran past the authority: mask up to the last "@".
  const at = misplacedAt(rest, authEnd) ? rest.lastIndexOf('@') : rest.slice(0, authEnd).lastIndexOf('@')
  if (at >= 0) {
    const colon = rest.indexOf(':')
    if (colon >= 0 && colon < at) spans.push([base + colon + 1, base + at])
  } else {
    // No user info at all: in `postgres://user:secret` the "port" is really a password.
    const authority = rest.slice(0, authEnd)
    const colon = authority.indexOf(':')
    if (!authority.startsWith('[') && colon >= 0 && !/^\d*$/.test(authority.slice(colon + 1))) {
      spans.push([base + colon + 1, base + authEnd])
    }
  }
  const from = Math.max(at, authEnd)
  for (const m of rest.slice(from).matchAll(/[?&]password=([^&#]*)/gi)) {
    const start = base + from + m.index! + m[0].length - m[1]!.length
    if (m[1]) spans.push([start, start + m[1].length])
  }
  return spans
}

function maskSpans(url: string, spans: Array<[number, number]>): string {
  let out = url
  for (const [start, end] of [...spans].sort((a, b) => b[0] - a[0])) out = out.slice(0, start) + '***' + out.slice(end)
  return out
}

/**
 * Replaces the password of every URL in `text` with `***`: the user-info
 * password and any `password=` query parameter. Works on malformed URLs too,
 * masking as much as could be password (up to the last `@`). When the whole
 * text is one URL it may contain spaces; otherwise URLs end at whitespace.
 * Never throws.
 *
 * @example
 * redactUrl('postgres://linkuser:s3cret@db:5432/linkdb') // 'postgres://linkuser:***@db:5432/linkdb'
 */
export function redactUrl(text: string): string {
  const lead = text.length - text.trimStart().length
  if (SCHEME.test(text.trimStart())) {
    return text.slice(0, lead) + maskSpans(text.slice(lead), passwordSpans(text.slice(lead)))
  }
  return text.replace(URL_TOKEN, (url) => maskSpans(url, passwordSpans(url)))
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** A pattern matching `secret` with any mix of literal and percent-encoded characters (either hex case). */
/** Secrets shorter than this are masked only as whole words. */
const SHORT_SECRET = 6

function secretPattern(secret: string): string {
  let out = ''
  for (const ch of secret) {
    const encoded = [...Buffer.from(ch, 'utf8')].map((b) => '%' + b.toString(16).padStart(2, '0')).join('')
    const alternatives = [escapeRegExp(ch), encoded.replace(/[0-9a-f]{2}/g, (h) => `[${h[0]}${h[0]!.toUpperCase()}][${h[1]}${h[1]!.toUpperCase()}]`)]
    if (ch === ' ') alternatives.push('\\+') // form encoding
    out += `(?:${alternatives.join('|')})`
  }
  return out
}

/**
 * Replaces every occurrence of each secret in `text` with `***`, including
 * its percent-encoded forms (`p%40ss`, `p%40ss%2fx`, partly encoded, either
 * hex case) and its JSON-escaped form. Empty secrets are skipped. A short or
 * common secret also masks unrelated text that contains it (the dev password
 * `postgres` turns `postgres://` into `***://`): that is the price of a last
 * line of defence, so apply it to text that may carry foreign input (server
 * messages, values echoed back), not to fixed wording. Never throws.
 *
 * @example
 * redactSecrets('auth failed for p%40ss', ['p@ss']) // 'auth failed for ***'
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  const patterns = new Set<string>()
  for (const secret of secrets) {
    if (!secret) continue
    // A short secret ("e", "pass") masked everywhere would shred ordinary words
    // ("conn***ct"); it is masked where it stands alone, and always in URLs (redactUrl).
    const alone = secret.length < SHORT_SECRET ? (p: string) => `(?<![A-Za-z0-9])${p}(?![A-Za-z0-9])` : (p: string) => p
    patterns.add(alone(secretPattern(secret)))
    const json = JSON.stringify(secret).slice(1, -1)
    if (json !== secret) patterns.add(escapeRegExp(json))
  }
  if (patterns.size === 0) return text
  // Longest first, so one secret containing another is masked whole.
  const re = new RegExp([...patterns].sort((a, b) => b.length - a.length).join('|'), 'g')
  return text.replace(re, '***')
}

/**
 * Every password the input holds, decoded and as written: `DB_PASSWORD`,
 * `PGPASSWORD`, and the passwords of `--database-url` and `DATABASE_URL`
 * (found even in malformed URLs). Feed it to {@link redactSecrets}; it works
 * when {@link resolveConnection} has thrown. Never throws.
 */
export function collectSecrets(input: Pick<ResolveInput, 'databaseUrl' | 'env'>): string[] {
  const out = new Set<string>()
  for (const password of [input.env.DB_PASSWORD, input.env.PGPASSWORD]) if (password) out.add(password)
  for (const url of [input.databaseUrl, input.env.DATABASE_URL]) {
    if (!url) continue
    const trimmed = url.trim()
    for (const [start, end] of passwordSpans(trimmed, true)) {
      const written = trimmed.slice(start, end)
      out.add(written)
      try {
        out.add(decodeURIComponent(written))
      } catch {
        // malformed percent-encoding: the written form is all there is
      }
    }
  }
  return [...out].filter((s) => s !== '')
}
