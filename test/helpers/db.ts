// Database helpers for tests. The server is the one test/run.mjs started (or
// whatever TEST_DATABASE_URL points at); every test works in its own
// database made by freshDatabase(), so test files can run in parallel.
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';

/** The superuser URL of the test server (postgres://postgres:<pw>@127.0.0.1:<port>/postgres). */
export function testUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) {
    throw new Error(
      'TEST_DATABASE_URL is not set: run the tests with `npm test` (which starts a throwaway PostgreSQL), ' +
        'or set TEST_DATABASE_URL=postgres://user:password@host:port/postgres (a superuser that may create databases)',
    );
  }
  return url;
}

/** `url` with its database name replaced by `db` (everything else, including the %-encoded password, kept). */
export function withUrlDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = '/' + encodeURIComponent(db);
  return u.toString();
}

let admin: postgres.Sql | null = null;

/**
 * A shared superuser connection pool on the maintenance database, created on
 * first use. Idle connections close after a second, so a test file that
 * forgets closeAdmin() still exits.
 */
export function adminSql(): postgres.Sql {
  if (!admin) {
    admin = postgres(testUrl(), { max: 2, idle_timeout: 1, connect_timeout: 10, onnotice: () => {} });
  }
  return admin;
}

/** Ends the shared admin pool (safe to call when it was never opened). */
export async function closeAdmin(): Promise<void> {
  const a = admin;
  admin = null;
  if (a) await a.end({ timeout: 5 });
}

export interface FreshDatabase {
  /** database name: lm_<prefix>_<random> */
  name: string;
  /** superuser URL of that database */
  url: string;
  /** postgres.js pool on that database (max 4 connections) */
  sql: postgres.Sql;
  /** ends `sql` and drops the database WITH (FORCE); idempotent */
  drop(): Promise<void>;
}

function quoteIdent(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}

/** Creates an empty, uniquely named database and a pool on it. */
export async function freshDatabase(prefix = 'lm'): Promise<FreshDatabase> {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9_]+/g, '_').slice(0, 40).replace(/^_+|_+$/g, '') || 'db';
  const name = `lm_${clean}_${randomBytes(5).toString('hex')}`;
  // template0: nobody is ever connected to it, so concurrent CREATE DATABASE
  // never fails with "source database is being accessed by other users".
  await adminSql().unsafe(`create database ${quoteIdent(name)} template template0`);
  const url = withUrlDatabase(testUrl(), name);
  const sql = postgres(url, { max: 4, idle_timeout: 5, connect_timeout: 10, onnotice: () => {} });
  let dropped = false;
  return {
    name,
    url,
    sql,
    async drop(): Promise<void> {
      if (dropped) return;
      dropped = true;
      await sql.end({ timeout: 5 }).catch(() => undefined);
      await adminSql().unsafe(`drop database if exists ${quoteIdent(name)} with (force)`);
    },
  };
}

/** Fresh databases of one test file, all dropped by dropAll() in the suite's `after` hook. */
export function databases(prefix: string) {
  const made: FreshDatabase[] = [];
  return {
    async fresh(): Promise<FreshDatabase> {
      const db = await freshDatabase(prefix);
      made.push(db);
      return db;
    },
    async dropAll(): Promise<void> {
      await Promise.all(made.splice(0).map((d) => d.drop().catch(() => undefined)));
      await closeAdmin();
    },
  };
}
