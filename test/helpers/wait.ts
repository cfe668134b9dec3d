// Waiting for an event, never for a time: `eventually` polls a condition
// (a row in pg_stat_activity, a line of output) until it holds, and fails
// naming what it waited for once the bound is reached. Bounds are generous
// (a busy 2-core machine); they only turn a hang into a failure.
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves once `check()` is true, polling every `everyMs`; rejects after `timeoutMs`. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string,
  { timeoutMs = 30_000, everyMs = 25 }: { timeoutMs?: number; everyMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await sleep(everyMs);
  }
}

/** A gate a test opens when it is ready: `await gate.passed` inside the work it holds back. */
export function gate(): { passed: Promise<void>; open(): void } {
  let open!: () => void;
  const passed = new Promise<void>((r) => (open = r));
  return { passed, open };
}
