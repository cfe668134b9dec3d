// A fleet for the fleet tests: three PostgreSQL servers on 127.0.0.1 (the
// shared test server and two private clusters) and 150 databases spread
// over them, made with CREATE DATABASE ... TEMPLATE template0 (cheap) and
// dropped again by stop(). Each test uses its own migrations directory and
// service, so scenarios do not see each other's records. Not a test file.
import fs from 'node:fs'
import path from 'node:path'
import postgres from 'postgres'
import { testUrl, withUrlDatabase } from '../helpers/db.js'
import { migrationsDir, tmpDir } from '../helpers/tmp.js'
import { freePort, startCluster, type Cluster } from '../guarantees/servers.js'

export interface FleetDb {
  name: string
  /** Index of the server (0: shared test server, 1 and 2: private clusters). */
  server: number
  url: string
}

export interface Fleet {
  dbs: FleetDb[]
  /** A superuser pool per server (on its maintenance database). */
  admins: postgres.Sql[]
  /** A pool on one database (cached, max 2). */
  sql(db: FleetDb): postgres.Sql
  /** A URL on 127.0.0.1 where nothing listens. */
  deadUrl(name: string): string
  stop(): Promise<void>
}

const quote = (name: string) => '"' + name.replace(/"/g, '""') + '"'

/** Starts two private clusters and creates `count` databases, round-robin over the three servers. */
export async function startFleet(prefix: string, count = 150): Promise<Fleet> {
  const clusters: Cluster[] = []
  const admins: postgres.Sql[] = []
  const pools = new Map<string, postgres.Sql>()
  const made: FleetDb[] = []
  const stop = async () => {
    for (const p of pools.values()) await p.end({ timeout: 5 }).catch(() => undefined)
    const shared = admins[0]
    if (shared) {
      for (const db of made.filter((d) => d.server === 0)) {
        await shared.unsafe(`drop database if exists ${quote(db.name)} with (force)`).catch(() => undefined)
      }
    }
    for (const a of admins) await a.end({ timeout: 5 }).catch(() => undefined)
    for (const c of clusters) c.stop()
  }
  try {
    const [a, b] = await Promise.all([startCluster({ conf: ['max_connections = 120'] }), startCluster({ conf: ['max_connections = 120'] })])
    clusters.push(a!, b!)
    const urls = [testUrl(), a!.url, b!.url]
    for (const u of urls) admins.push(postgres(u, { max: 3, onnotice: () => {} }))
    const all: FleetDb[] = Array.from({ length: count }, (_, i) => {
      const server = i % 3
      const name = `${prefix}_${String(i + 1).padStart(3, '0')}`
      return { name, server, url: withUrlDatabase(urls[server]!, name) }
    })
    // Three at a time per server: CREATE DATABASE copies files and checkpoints.
    await Promise.all(
      [0, 1, 2].map(async (s) => {
        for (const db of all.filter((d) => d.server === s)) {
          await admins[s]!.unsafe(`create database ${quote(db.name)} template template0`)
          made.push(db)
        }
      }),
    )
    const dead = await freePort()
    return {
      dbs: all,
      admins,
      sql(db) {
        let p = pools.get(db.name)
        if (!p) pools.set(db.name, (p = postgres(db.url, { max: 2, idle_timeout: 2, onnotice: () => {} })))
        return p
      },
      deadUrl: (name) => `postgres://postgres@127.0.0.1:${dead}/${name}`,
      stop,
    }
  } catch (e) {
    await stop()
    throw e
  }
}

/**
 * A migrations directory of `n` migrations creating tables `<prefix>_tN`;
 * `extra` adds or replaces files.
 */
export async function fleetMigrations(prefix: string, n = 3, extra: Record<string, string> = {}): Promise<string> {
  const files: Record<string, string> = {}
  for (let i = 1; i <= n; i++) {
    const v = String(i).padStart(3, '0')
    files[`${v}_${prefix}_t${i}.up.sql`] = `create table ${prefix}_t${i} (id int primary key, note text);\ninsert into ${prefix}_t${i} values (1, 'x');\n`
    files[`${v}_${prefix}_t${i}.down.sql`] = `drop table ${prefix}_t${i};\n`
  }
  return migrationsDir({ ...files, ...extra })
}

/** Versions recorded for `service` in `db` with how often each: [[1,1],[2,1]]. */
export async function records(sql: postgres.Sql, service: string): Promise<number[][]> {
  const [has] = await sql<{ ok: boolean }[]>`select to_regclass('migration_records') is not null as ok`
  if (!has!.ok) return []
  const rows = await sql<{ version: number; n: number }[]>`
    select version::int as version, count(*)::int as n from migration_records where service = ${service} group by version order by version`
  return rows.map((r) => [r.version, r.n])
}

/** [[1,1],...,[n,1]]: each version 1..n recorded exactly once. */
export const once = (n: number): number[][] => Array.from({ length: n }, (_, i) => [i + 1, 1])

/** A targets file in a temp dir; returns its path. */
export async function targetsFile(lines: string[]): Promise<string> {
  const dir = await tmpDir('lm-fleet-')
  const file = path.join(dir, 'targets.txt')
  fs.writeFileSync(file, lines.join('\n') + '\n')
  return file
}

/** `url` with its password replaced (a login that must fail). */
export function wrongPassword(url: string): string {
  const u = new URL(url)
  u.password = 'Wr0ng-Pa55word-xyz'
  return u.toString()
}
