// The seed guide's two flows, end to end, with the built bundle against a
// real PostgreSQL: examples/flows/container.sh (the old tool's image: /app
// with ./migrate and ./migrations, `./migrate -action=up -service=...`, DB_*
// variables, the entrypoint) and examples/flows/ci.sh (lint and check
// offline, the old tool's `-action=up -dry-run`, a status gate, up --json).
// Their output is the transcript NOTES.md quotes; the password never shows.
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { closeAdmin, freshDatabase, type FreshDatabase } from '../helpers/db.js';
import { tmpDir } from '../helpers/tmp.js';
import { BUNDLE, ROOT, cleanEnv, run } from './support.js';

const test = suite('flows: container and CI');
const dbs: FreshDatabase[] = [];
test.after(async () => {
  for (const db of dbs.splice(0)) await db.drop().catch(() => undefined);
  await closeAdmin();
});

function password(): string {
  const pw = process.env.TEST_PG_PASSWORD;
  if (!pw) throw new Error('TEST_PG_PASSWORD is not set: run the tests with `node test/run.mjs`');
  return pw;
}

/** The transcript, checked: every step ended as expected (the script exits 1 otherwise) and no form of the password. */
function transcript(r: { code: number | null; output: string }, what: string): string {
  assert.is(r.code, 0, `${what}:\n${r.output}`);
  for (const form of [password(), encodeURIComponent(password())]) assert.not.ok(r.output.includes(form), `${what} printed the password`);
  console.log(`--- ${what}\n${r.output}`);
  return r.output;
}

test('container flow: -action=up -service=discovery-svc with DB_* twice, status, verify; no -service refused naming discovery-svc; entrypoint; down and up', async () => {
  const db = await freshDatabase('flow_container');
  dbs.push(db);
  const url = new URL(db.url);
  const env = cleanEnv({
    LINK_MIGRATE_BUNDLE: BUNDLE,
    TMPDIR: await tmpDir('lm-flow-'),
    DB_HOST: url.hostname,
    DB_PORT: url.port,
    DB_USER: decodeURIComponent(url.username),
    DB_PASSWORD: password(),
    DB_NAME: url.pathname.slice(1),
  });
  const out = transcript(await run('sh', [path.join(ROOT, 'examples/flows/container.sh')], { env, timeoutMs: 240_000 }), 'examples/flows/container.sh');
  assert.match(out, '[discovery-svc-migrations] Found 7 pending migrations');
  assert.match(out, /Successfully applied migration 007_add_listing_search_index \(/);
  assert.match(out, '[discovery-svc-migrations] Found 0 pending migrations');
  assert.match(out, /\[app-migrations\] Error: the service name "app" was derived from the directory \/\S+\/app\/migrations, but 7 of these 7 migrations are recorded under service "discovery-svc": give --service discovery-svc/);
  assert.match(out, 'service started');
  assert.match(out, /Successfully rolled back migration 007_add_listing_search_index \(/);
  const [row] = await db.sql<{ version: number }[]>`select version::int as version from schema_versions where service = 'discovery-svc'`;
  assert.is(row?.version, 7);
  const [other] = await db.sql<{ n: number }[]>`select count(*)::int as n from migration_records where service <> 'discovery-svc'`;
  assert.is(other?.n, 0, 'nothing recorded under "app"');
});

test('CI flow: lint --format github and check offline, -action=up -dry-run writes nothing, status --exit-code 4 then 0, up --json ends with its result', async () => {
  const db = await freshDatabase('flow_ci');
  dbs.push(db);
  const env = cleanEnv({ LINK_MIGRATE_BUNDLE: BUNDLE, TMPDIR: await tmpDir('lm-flow-'), DATABASE_URL: db.url });
  const out = transcript(await run('sh', [path.join(ROOT, 'examples/flows/ci.sh')], { env, timeoutMs: 300_000 }), 'examples/flows/ci.sh');
  assert.match(out, 'Lint: 0 errors, 0 warnings, 0 notes in 2 files');
  assert.match(out, /Check passed: every down restores the schema its up started from \(8 migrations\)/);
  assert.match(out, /Would apply migration 008_add_listing_featured \(008_add_listing_featured\.up\.sql, transactional, checksum [0-9a-f]{64}\)/);
  assert.match(out, '[exit 4]');
  const result = out.split('\n').find((l) => l.startsWith('{"schemaVersion":1,"type":"result"'));
  assert.ok(result, out);
  const r = JSON.parse(result!) as { ok: boolean; currentVersion: number; results: { name: string }[] };
  assert.equal([r.ok, r.currentVersion, r.results.map((x) => x.name)], [true, 8, ['008_add_listing_featured']]);
});

test.run();
