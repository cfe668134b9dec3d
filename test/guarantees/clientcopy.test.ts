// Issue 13, point 4: a statement that waits for client data (COPY ... FROM
// STDIN) or sends it (COPY ... TO STDOUT) is refused before anything runs,
// with file:line:col; never "Successfully applied" for a file that did not run.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { closeAdmin, freshDatabase, type FreshDatabase } from '../helpers/db.js'
import { migrationsDir } from '../helpers/tmp.js'
import { lines, readable, runTimed, show } from './util.js'

const copy = suite('COPY over the client connection')
const test = readable(copy)
const C: { db?: FreshDatabase } = {}
copy.before(async () => {
  C.db = await freshDatabase('clientcopy')
})
copy.after(async () => {
  await C.db?.drop()
  await closeAdmin()
})

for (const [what, stmt] of [
  ['COPY ... FROM STDIN', 'copy cc_two (id) from stdin;'],
  ['COPY ... TO STDOUT', 'copy (select 1) to stdout;'],
] as const) {
  test(`${what} in 002: up refuses before 001 runs (exit 1, file:line:col); lint flags it`, async () => {
    const dir = await migrationsDir({
      '001_one.up.sql': 'create table cc_one (id int);\n',
      '002_two.up.sql': `create table cc_two (id int);\n  ${stmt}\n1\n2\n\\.\n`.replace('\n1\n2\n\\.\n', '\n'),
    })
    const r = await runTimed(['up', '--dir', dir, '--service', 'cc-svc', '--database-url', C.db!.url], { timeoutMs: 30_000 })
    assert.is(r.code, 1, show(r))
    assert.match(r.stderr, new RegExp(`002_two\\.up\\.sql:2:3: ${what.replace(/\./g, '\\.')} exchanges rows with the client`), show(r))
    assert.equal(lines(r, /Successfully applied/), [], show(r))
    const [t] = await C.db!.sql<{ ok: boolean }[]>`select to_regclass('cc_one') is null and to_regclass('cc_two') is null as ok`
    assert.ok(t!.ok, 'nothing ran')

    const l = await runTimed(['lint', '--dir', dir, '--service', 'cc-svc'], { timeoutMs: 30_000 })
    assert.is(l.code, 1, show(l))
    assert.match(l.stdout + l.stderr, /002_two\.up\.sql:2:3.*copy-over-client/, show(l))
  })
}

copy.run()
