// Shared bits of the guarantee tests (and test/migrator.test.ts). Not a test
// file itself (no `.test.ts`).
import type { Sql } from 'postgres'
import type { Test } from 'uvu'
import { runCli, type CliOptions, type CliResult } from '../helpers/cli.js'

/**
 * uvu's reporter crashes (and then prints nothing at all) on an error whose
 * `details` is an array, which every MigrateError has. Tests registered
 * through this wrapper rethrow such errors as plain Errors that carry code,
 * message and details, so an unexpected library error is readable.
 */
export function readable<T>(test: Test<T>): (name: string, fn: (ctx: T) => unknown) => void {
  return (name, fn) =>
    test(name, async (ctx) => {
      try {
        await fn(ctx)
      } catch (e) {
        const d = (e as { details?: unknown }).details
        if (e instanceof Error && Array.isArray(d)) {
          const code = (e as { code?: string }).code
          const plain = new Error(`${e.name}${code ? ` [${code}]` : ''}: ${e.message}${d.length ? '\n      ' + d.join('\n      ') : ''}`)
          plain.stack = plain.message + '\n' + (e.stack ?? '').split('\n').slice(1).join('\n')
          throw plain
        }
        throw e
      }
    })
}

export interface TimedResult extends CliResult {
  /** ms since `origin` (performance.now()) when the process was started and when it closed. */
  startedAt: number
  endedAt: number
  args: string[]
}

/** runCli with start and end times, for ordering assertions. */
export async function runTimed(args: string[], opts: CliOptions = {}): Promise<TimedResult> {
  const startedAt = performance.now()
  const r = await runCli(args, opts)
  return { ...r, startedAt, endedAt: performance.now(), args }
}

/** Polls `check` until it returns a truthy value; throws after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | null | false>, timeoutMs = 10_000, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await check()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, everyMs))
  }
}

/** A CLI result as text for assertion messages. */
export function show(r: CliResult): string {
  return `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`
}

export const WAITING = /Waiting for another migration of service /

/** The lines of a CLI run (stdout and stderr) that match `re`. */
export function lines(r: CliResult, re: RegExp): string[] {
  return (r.stdout + '\n' + r.stderr).split('\n').map(withoutTimes).filter((l) => re.test(l))
}

/**
 * A log line without the times the CLI adds after the old tool's words
 * (`Successfully applied migration 001_x (35 ms)`, `All migrations completed
 * successfully (2 migrations applied, total 1.2 s)`): tests compare names
 * and order; test/cli/output.test.ts asserts the times themselves.
 */
export function withoutTimes(line: string): string {
  return line
    .replace(/^(.*(?:Successfully (?:applied|rolled back) migration|Skipped migration) .*) \((?:\d+(?:\.\d+)? (?:ms|s)|\d+ min \d+ s)\)$/, '$1')
    .replace(/^(.*All migrations completed successfully) \(\d+ migrations? (?:applied|rolled back), total [^)]*\)$/, '$1')
}

/**
 * Holds advisory key `key` on a connection of `sql`; a migration doing
 * `pg_advisory_lock(key)` waits until open(): a run stopped at a known point.
 */
export async function advisoryGate(sql: Sql, key: number) {
  const conn = await sql.reserve()
  await conn`select pg_advisory_lock(${key})`
  return {
    async waiting() {
      await waitFor(`a migration to wait on gate ${key}`, async () => {
        const [r] = await sql<{ n: number }[]>`select count(*)::int as n from pg_locks where locktype = 'advisory' and objid = ${key} and not granted`
        return r!.n > 0
      })
    },
    async open() {
      await conn`select pg_advisory_unlock_all()`
      conn.release()
    },
  }
}

/** pg_terminate_backend of the database's sessions matching `where` (SQL); waits until they are gone; how many there were. */
export async function terminateBackends(sql: Sql, where: string): Promise<number> {
  const [r] = await sql<{ n: number }[]>`
    select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where datname = current_database() and ${sql.unsafe(where)}`
  await waitFor('the backend to be gone', async () => {
    const [g] = await sql<{ n: number }[]>`select count(*)::int as n from pg_stat_activity where datname = current_database() and ${sql.unsafe(where)}`
    return g!.n === 0
  })
  return r!.n
}

/** What a library call failed with (a MigrateError's fields), or undefined when it succeeded. */
export interface Failure {
  code?: string
  message?: string
  sqlState?: string
  completed?: { version: number }[]
}

export function failureOf(call: Promise<unknown>): Promise<Failure | undefined> {
  return call.then(
    () => undefined,
    (e: unknown) => e as Failure,
  )
}
