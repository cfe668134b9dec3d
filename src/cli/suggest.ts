/**
 * "Did you mean ...?" for a mistyped command or flag, and the verbs of
 * other migration tools (goose, golang-migrate, dbmate, Flyway, Rails) told
 * in link-migrate's words. Pure.
 */

/**
 * Edit distance with adjacent transpositions counted as one edit (optimal
 * string alignment): `actoin` is one edit from `action`, `upp` from `up`.
 */
export function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) d[0]![j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1)
      d[i]![j] = v
    }
  }
  return d[a.length]![b.length]!
}

/**
 * The candidate nearest to `word` (case-insensitive), when it is close
 * enough to be a typo: at most 1 edit for short words, 2 for longer ones,
 * or when one is a prefix of the other (`--verb` -> `--verbose`).
 */
export function nearest(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toLowerCase()
  let best: { c: string; d: number } | undefined
  for (const c of candidates) {
    const lc = c.toLowerCase()
    let d = distance(w, lc)
    if (w.length >= 3 && lc.startsWith(w)) d = Math.min(d, 1)
    if (!best || d < best.d) best = { c, d }
  }
  if (!best) return undefined
  const limit = w.length <= 4 ? 1 : 2
  return best.d <= limit ? best.c : undefined
}

/** Other tools' verbs: what to run instead (the CLI prints it as a hint, exit 2). */
export const PEER_VERBS: Record<string, string> = {
  new: 'generate "description" creates the next up/down pair',
  create: 'generate "description" creates the next up/down pair',
  migrate: 'up applies every pending migration',
  rollback: 'down rolls back the latest migration (--steps N or --to V for more)',
  undo: 'down rolls back the latest migration',
  redo: 'down, then up --steps 1, rolls the latest migration back and applies it again',
  force: 'mark V records version V as applied without running it (mark V --pending removes it)',
  baseline: 'mark --to V records every version up to V as applied',
  goto: 'up --to V (forward) or down --to V (back)',
  info: 'status shows each migration and the current version',
  validate: 'verify checks applied migrations against their files',
  fix: 'repair accepts the current checksums of edited files',
}
