// Shared by the library tests (test/migrator.test.ts, test/engine/*): the
// test migrations, the plan steps they make, and result normalisation.
import { createHash } from 'node:crypto'
import type { Sql, TransactionSql } from 'postgres'
import * as assert from 'uvu/assert'
import { lockKeys } from '../../src/db/keys.js'
import type { PlanStep } from '../../src/index.js'
import type { FreshDatabase } from './db.js'
import { eventually, gate } from './wait.js'

/** The test migrations; `table` renames the table so several services can share a database. */
export const files = (table = 'widgets'): Record<string, string> =>
  Object.fromEntries(Object.entries(FILES).map(([k, v]) => [k, v.replace(/widgets/g, table)]))

export const FILES = {
  '001_create_widgets.up.sql': 'create table widgets (id int primary key, name text not null);\n',
  '001_create_widgets.down.sql': 'drop table widgets;\n',
  '002_seed_widgets.up.sql': "insert into widgets values (1, 'a'), (2, 'b');\n",
  '002_seed_widgets.down.sql': 'delete from widgets;\n',
  '003_add_color.up.sql': '-- a comment first\nalter table widgets add column color text;\n',
  '003_add_color.down.sql': 'alter table widgets drop column color;\n',
}

export const sha = (s: string) => createHash('sha256').update(s.replace(/\r\n/g, '\n'), 'utf8').digest('hex')

export function step(version: number, direction: 'up' | 'down'): PlanStep {
  const stem = Object.keys(FILES).find((f) => f.startsWith(String(version).padStart(3, '0')))!.replace(/\.(up|down)\.sql$/, '')
  const file = `${stem}.${direction}.sql`
  return {
    version,
    name: stem,
    direction,
    file,
    transactional: true,
    // The checksum of the file the step runs: a down step carries its down file's.
    checksum: sha(FILES[file as keyof typeof FILES]),
    sql: FILES[file as keyof typeof FILES],
    wrapped: false,
    statements: statementsOf(FILES[file as keyof typeof FILES]),
  }
}

/** The one statement of each FILES entry (after any comment line), as prepareStep locates it. */
export function statementsOf(sql: string): PlanStep['statements'] {
  const lines = sql.split('\n')
  const line = lines.findIndex((l) => l.length > 0 && !l.startsWith('--'))
  const text = lines[line]!.replace(/;$/, '')
  return [{ text, start: sql.indexOf(text), line: line + 1, column: 1 }]
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

/** Replaces durations and timestamps (after checking their shape) so results compare as whole objects. */
export function norm<T>(value: T): T {
  return JSON.parse(
    JSON.stringify(value, (key, v) => {
      if (key === 'durationMs' || key === 'waitedMs' || key === 'elapsedMs') {
        assert.type(v, 'number', `${key} is a number`)
        assert.ok(v >= 0, `${key} >= 0`)
        return '<ms>'
      }
      if ((key === 'appliedAt' || key === 'since') && v !== null) {
        assert.match(String(v), ISO, `${key} is an ISO timestamp`)
        return '<ts>'
      }
      return v
    }),
  ) as T
}

export function applied(version: number, direction: 'up' | 'down' = 'up') {
  const s = step(version, direction)
  return { version, name: s.name, direction, status: direction === 'up' ? 'applied' : 'rolled-back', durationMs: '<ms>' }
}

export async function tableExists(db: FreshDatabase, name: string): Promise<boolean> {
  const [row] = await db.sql<{ ok: boolean }[]>`select to_regclass(${name}) is not null as ok`
  return row!.ok
}

export async function versionRow(db: FreshDatabase, service: string) {
  const rows = await db.sql<{ version: number; description: string }[]>`
    select version::int as version, description from schema_versions where service = ${service}`
  return rows.map((r) => ({ ...r }))
}

/** Runs fn while a promise of it may hang: fails the test instead of hanging the file. */
export async function within<T>(ms: number, what: string, fn: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      fn(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms)
      }),
    ])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Runs `work` while another runner, on its own connection `other`, is inside
 * a migration of `service` (a killed runner's orphaned transaction, or one
 * behind a transaction pooler): it holds the service's transaction-level
 * lock, has done `inside`, and commits only once `work` waits on that lock
 * (seen through `watch`). No sleep decides who comes first.
 */
export async function behindOtherRunner<T>(
  other: Sql,
  watch: Sql,
  service: string,
  inside: (t: TransactionSql) => Promise<unknown>,
  work: () => Promise<T>,
  what: string,
): Promise<T> {
  const [x1, x2] = lockKeys.xact(service)
  const [otherPid] = await other<{ pid: number }[]>`select pg_backend_pid() as pid`
  const entered = gate()
  const commit = gate()
  const tx = other.begin(async (t) => {
    await t`select pg_advisory_xact_lock(${x1}, ${x2})`
    await inside(t)
    entered.open()
    await commit.passed
  })
  tx.catch(() => undefined)
  await entered.passed
  const run = work()
  run.catch(() => undefined)
  await eventually(
    async () =>
      (await watch`select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'
                     and wait_event = 'advisory' and pid <> ${otherPid!.pid}`).length > 0,
    `${what} waiting on the other runner's migration lock`,
  )
  commit.open()
  await tx
  return within(30_000, what, () => run)
}
