// Shared pieces of the CLI end-to-end tests (test/cli/*.test.ts): a runCli
// that records every output for the final "no password anywhere" check,
// whole-line helpers, fixture copies and a database snapshot.
import crypto from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type postgres from 'postgres';
import * as assert from 'uvu/assert';
import { runCli, type CliOptions, type CliResult } from '../helpers/cli.js';
import { withoutTimes } from '../guarantees/util.js';
import { tmpDir, writeMigrations } from '../helpers/tmp.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The test server's password (special characters: @ : / % # ?). */
export function password(): string {
  const pw = process.env.TEST_PG_PASSWORD;
  if (!pw) throw new Error('TEST_PG_PASSWORD is not set: run the tests with `node test/run.mjs`');
  return pw;
}

export interface Recorded extends CliResult {
  args: string[];
}

/**
 * A runCli that keeps every result, so a file can assert at its end that the
 * password never appeared in any stdout or stderr.
 */
export function recorder() {
  const all: Recorded[] = [];
  async function run(args: string[], opts: CliOptions = {}): Promise<Recorded> {
    const res = { ...(await runCli(args, opts)), args };
    all.push(res);
    return res;
  }
  function assertNoSecrets(): void {
    const pw = password();
    const forms = [pw, encodeURIComponent(pw), encodeURI(pw), JSON.stringify(pw).slice(1, -1)];
    assert.ok(all.length > 0, 'no CLI run was recorded');
    for (const r of all) {
      for (const [stream, text] of [['stdout', r.stdout], ['stderr', r.stderr]] as const) {
        for (const f of forms) {
          if (text.includes(f)) {
            assert.unreachable(`the password (as ${JSON.stringify(f)}) appears in ${stream} of \`${r.args.join(' ')}\``);
          }
        }
      }
    }
  }
  return { run, all, assertNoSecrets };
}

/** Output split into lines, without the final empty one, and without the times after the old tool's words (see withoutTimes). */
export function lines(text: string): string[] {
  const l = text.split('\n').map(withoutTimes);
  if (l[l.length - 1] === '') l.pop();
  return l;
}

/** Output split into lines exactly as printed (times included). */
export function rawLines(text: string): string[] {
  const l = text.split('\n');
  if (l[l.length - 1] === '') l.pop();
  return l;
}

/** `[svc-migrations] ` + each line. */
export function prefixed(service: string, ls: string[]): string[] {
  return ls.map((l) => `[${service}-migrations] ${l}`);
}

/**
 * Compares output lines with expectations: a string must equal the line, a
 * RegExp must match the whole line (it is anchored here).
 */
export function assertLines(actual: string, expected: (string | RegExp)[], what = 'output'): void {
  const got = lines(actual);
  const ok =
    got.length === expected.length &&
    expected.every((e, i) => (typeof e === 'string' ? e === got[i] : new RegExp(`^(?:${e.source})$`, e.flags).test(got[i]!)));
  if (!ok) {
    assert.unreachable(
      `${what} lines differ\n--- expected\n${expected.map(String).join('\n')}\n--- actual\n${got.join('\n')}`,
    );
  }
}

/** Escapes text for use inside a RegExp. */
export function re(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A readable failure message for a CLI result. */
export function show(r: CliResult): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;
}

export function assertExit(r: CliResult, code: number): void {
  if (r.code !== code) assert.unreachable(`expected exit ${code}\n${show(r)}`);
}

/**
 * Copies fixtures/<svc>/migrations into <tmp>/<svc>/migrations, keeping
 * only versions <= maxVersion. Returns { root, dir }.
 */
export async function copyFixture(svc: string, maxVersion = Infinity): Promise<{ root: string; dir: string }> {
  const root = await tmpDir('lm-cli-');
  const src = path.join(ROOT, 'fixtures', svc, 'migrations');
  const files: Record<string, Buffer> = {};
  for (const f of await readdir(src)) {
    if (Number.parseInt(f, 10) > maxVersion) continue;
    files[path.join(svc, 'migrations', f)] = await readFile(path.join(src, f));
  }
  await writeMigrations(root, files);
  return { root, dir: path.join(root, svc, 'migrations') };
}

/** A temp <root>/<service>/migrations directory with these files. */
export async function serviceDir(service: string, files: Record<string, string | Buffer>): Promise<{ root: string; dir: string }> {
  const root = await tmpDir('lm-cli-');
  const dir = path.join(root, service, 'migrations');
  await writeMigrations(dir, files);
  return { root, dir };
}

export async function appendTo(file: string, text: string): Promise<void> {
  await writeFile(file, (await readFile(file, 'utf8')) + text);
}

type Sql = postgres.Sql;

/** Does a relation with this name exist in the public schema? */
export async function relationExists(sql: Sql, name: string): Promise<boolean> {
  const [r] = await sql<{ n: number }[]>`
    select count(*)::int as n from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relname = ${name}`;
  return r!.n > 0;
}

export async function trackingExists(sql: Sql): Promise<boolean> {
  return (await relationExists(sql, 'migration_records')) || (await relationExists(sql, 'schema_versions'));
}

/** migration_records of a service as `version name`, in version order. */
export async function records(sql: Sql, service: string): Promise<string[]> {
  const rows = await sql<{ version: number; name: string }[]>`
    select version::int as version, name from migration_records where service = ${service} order by version, id`;
  return rows.map((r) => `${r.version} ${r.name}`);
}

/** schema_versions row of a service as `version description`, or null. */
export async function schemaVersion(sql: Sql, service: string): Promise<string | null> {
  const rows = await sql<{ version: number; description: string | null }[]>`
    select version::int as version, description from schema_versions where service = ${service}`;
  return rows[0] ? `${rows[0].version} ${rows[0].description}` : null;
}

/**
 * Everything a migration could have changed, as one comparable string:
 * relations (pg_class, with columns), namespaces, extensions, types,
 * functions, and the full content of the bookkeeping tables when they exist.
 */
export async function snapshot(sql: Sql): Promise<string> {
  const user = sql`n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast') and n.nspname not like 'pg_temp%' and n.nspname not like 'pg_toast_temp%'`;
  const parts: unknown[] = [];
  parts.push(
    await sql`select n.nspname, c.relname, c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace where ${user} order by 1, 2`,
  );
  parts.push(
    await sql`select table_schema, table_name, column_name, data_type, column_default from information_schema.columns where table_schema not in ('pg_catalog', 'information_schema') order by 1, 2, ordinal_position`,
  );
  parts.push(await sql`select nspname from pg_namespace order by 1`);
  parts.push(await sql`select extname, extversion from pg_extension order by 1`);
  parts.push(await sql`select n.nspname, t.typname from pg_type t join pg_namespace n on n.oid = t.typnamespace where ${user} order by 1, 2`);
  parts.push(await sql`select n.nspname, p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace where ${user} order by 1, 2`);
  if (await relationExists(sql, 'migration_records')) parts.push(await sql`select * from migration_records order by id`);
  if (await relationExists(sql, 'schema_versions')) parts.push(await sql`select * from schema_versions order by service`);
  if (await relationExists(sql, 'link_migrate_progress')) parts.push(await sql`select * from link_migrate_progress order by service, version`);
  return JSON.stringify(parts);
}

/** Names of user relations (tables, views, sequences, indexes) in public. */
export async function publicRelations(sql: Sql): Promise<string[]> {
  const rows = await sql<{ relname: string }[]>`
    select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' order by 1`;
  return rows.map((r) => r.relname);
}

/** Connection settings of a URL as DB_* or PG* variables. */
export function envFromUrl(url: string, style: 'DB' | 'PG'): Record<string, string> {
  const u = new URL(url);
  const pw = decodeURIComponent(u.password);
  const db = decodeURIComponent(u.pathname.slice(1));
  return style === 'DB'
    ? { DB_HOST: u.hostname, DB_PORT: u.port, DB_USER: decodeURIComponent(u.username), DB_PASSWORD: pw, DB_NAME: db, DB_SSLMODE: 'disable' }
    : { PGHOST: u.hostname, PGPORT: u.port, PGUSER: decodeURIComponent(u.username), PGPASSWORD: pw, PGDATABASE: db, PGSSLMODE: 'disable' };
}

/** A TCP port on 127.0.0.1 where nothing listens (bound, then closed). */
export async function deadPort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** SPEC 3 checksum of a file: SHA-256 of the content without BOM, CRLF as LF. */
export async function checksumOf(file: string): Promise<string> {
  let text = await readFile(file, 'utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return crypto.createHash('sha256').update(text.replace(/\r\n/g, '\n'), 'utf8').digest('hex');
}
