// End-to-end: the service name derived from the directory is refused when it
// cannot be the service's (SPEC 1 "Service name"): the old tool's container
// flow (`/app/migrations`, `./migrate -action=up`, no -service) must not apply
// discovery-svc's migrations a second time under "app".
import { cp } from 'node:fs/promises';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { tmpDir } from '../helpers/tmp.js';
import { assertExit, copyFixture, lines, records, recorder, show, snapshot, trackingExists } from './support.js';
import { databases } from '../helpers/db.js';

const test = suite('cli: derived service names');
const dbs = databases('cli_service');
const { run, assertNoSecrets } = recorder();

test.after(async () => {
  await dbs.dropAll();
});

/** The container layout: <root>/app/migrations holding discovery-svc's files. */
async function container(): Promise<string> {
  const { dir } = await copyFixture('discovery-svc');
  const app = path.join(await tmpDir('lm-app-'), 'app');
  await cp(dir, path.join(app, 'migrations'), { recursive: true });
  return app;
}

test('the container flow: files recorded under discovery-svc are not applied again as "app" (exit 2, nothing written)', async () => {
  const db = await dbs.fresh();
  const app = await container();
  assertExit(await run(['up', '--service', 'discovery-svc', '--dir', 'migrations'], { cwd: app, env: { DATABASE_URL: db.url } }), 0);
  const before = await snapshot(db.sql);
  for (const args of [['-action=up'], ['up'], ['status'], ['down'], ['mark', '--to', '3'], ['repair'], ['up', '--dry-run']]) {
    const r = await run(args, { cwd: app, env: { DATABASE_URL: db.url } });
    assertExit(r, 2);
    assert.is(r.stdout, '', show(r));
    assert.equal(lines(r.stderr), [
      `[app-migrations] Error: the service name "app" was derived from the directory ${path.join(app, 'migrations')}, but 7 of these 7 migrations are recorded under service "discovery-svc": give --service discovery-svc (or MIGRATE_SERVICE=discovery-svc) to continue as that service, or --service NAME for another`,
    ]);
  }
  assert.is(await snapshot(db.sql), before);
  // Named, it is that service: nothing pending.
  const ok = await run(['-action=up'], { cwd: app, env: { DATABASE_URL: db.url, MIGRATE_SERVICE: 'discovery-svc' } });
  assertExit(ok, 0);
  assert.match(ok.stdout, /Found 0 pending migrations/);
  assert.is(await snapshot(db.sql), before);
});

test('a generic derived name (app, src, a single letter) is refused before the database is written', async () => {
  const db = await dbs.fresh();
  const app = await container();
  const r = await run(['-action=up'], { cwd: app, env: { DATABASE_URL: db.url } });
  assertExit(r, 2);
  assert.equal(lines(r.stderr), [
    `[app-migrations] Error: the service name "app" was derived from the directory ${path.join(app, 'migrations')} and is too generic to name a service: give --service NAME (or MIGRATE_SERVICE=NAME) (the name its migrations are recorded under, e.g. discovery-svc)`,
  ]);
  assert.not.ok(await trackingExists(db.sql));
  // Given explicitly, even a generic name is the user's choice.
  const named = await run(['up', '--service', 'app'], { cwd: app, env: { DATABASE_URL: db.url } });
  assertExit(named, 0);
  assert.is((await records(db.sql, 'app')).length, 7);
  // generate never needs the service's records.
  assertExit(await run(['generate', 'add notes'], { cwd: app }), 0);
});

test('a derived name that is the service\'s own works as before', async () => {
  const db = await dbs.fresh();
  const { root } = await copyFixture('discovery-svc');
  const r = await run(['up', '--dir', 'discovery-svc/migrations'], { cwd: root, env: { DATABASE_URL: db.url } });
  assertExit(r, 0);
  assert.is((await records(db.sql, 'discovery-svc')).length, 7);
});

test('no password in any output of this file', () => {
  assertNoSecrets();
});

test.run();
