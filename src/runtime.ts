/**
 * Hints for the runtime. Bun (the compiled binary) collects garbage far more
 * lazily than Node: the parse trees `lint` drops, statement by statement,
 * piled up to 7x a 200 MB file's size before a collection came (issue 13).
 * A full collection each `every` UTF-16 units of SQL handled keeps the peak
 * near Node's. Nothing on Node.
 */
const bun = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun

/** Returns a counter: call it with the size of what was just handled. */
export function collectEvery(every = 16 * 1024 * 1024): (units: number) => void {
  if (!bun) return () => {}
  let since = 0
  return (units) => {
    since += units
    if (since < every) return
    since = 0
    bun.gc(true)
  }
}
