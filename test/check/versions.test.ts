/**
 * compareOutcomes(), the pure half of `check --pg-version 14,18`: one
 * difference per migration whose outcome differs, each outcome with the
 * versions that had it; the later migrations and the round trip that did
 * not run because of it are not more differences. (The whole command, on
 * real servers, is in postgres.test.ts.)
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { CheckResult, MigrationCheck, RoundTripCheck } from '../../src/check/types.js'
import { compareOutcomes } from '../../src/check/versions.js'

const timings = { upMs: 0, downMs: 0, reupMs: 0, snapshotMs: 0 }
const ok = (name: string): MigrationCheck => ({ version: Number(name.slice(0, 3)), name, upFile: `${name}.up.sql`, downFile: `${name}.down.sql`, status: 'ok', differences: [], rewrites: [], timings })
const failed = (name: string, message: string): MigrationCheck => ({
  ...ok(name),
  status: 'failed',
  failedAt: 'up',
  error: { code: 'MIGRATION_FAILED', message, details: [] },
})
const notRun = (name: string): MigrationCheck => ({ ...ok(name), status: 'not-run', reason: 'not run: the up of 002 failed' })
const rt = (status: RoundTripCheck['status']): RoundTripCheck => ({ status, differences: [], ms: 0 })

function result(serverVersion: string, migrations: MigrationCheck[], roundTrip: RoundTripCheck['status'] = 'ok'): CheckResult {
  return {
    ok: migrations.every((m) => m.status === 'ok') && roundTrip === 'ok',
    complete: true,
    forwardOnly: false,
    service: 'svc',
    engine: 'postgres',
    serverVersion,
    migrations,
    roundTrip: { down: rt(roundTrip), up: rt(roundTrip) },
    timings: { engine: { totalMs: 0 }, migrationsMs: 0, roundTripMs: 0, snapshotMs: 0, closeMs: 0, totalMs: 0 },
  }
}

const test = suite('compareOutcomes')

test('the same outcome everywhere: no difference', () => {
  assert.equal(compareOutcomes([result('14.23', [ok('001_a')]), result('18.4', [ok('001_a')])]), [])
  assert.equal(compareOutcomes([]), [])
})

test('a migration that fails on one major: one line, outcomes grouped by version; what it kept from running is not another', () => {
  const err = '002_b.up.sql:1:45: syntax error at or near "nulls"'
  const diffs = compareOutcomes([
    result('14.23', [ok('001_a'), failed('002_b', err), notRun('003_c')], 'not-run'),
    result('15.18', [ok('001_a'), ok('002_b'), ok('003_c')]),
    result('18.4', [ok('001_a'), ok('002_b'), ok('003_c')]),
  ])
  assert.equal(diffs, [
    {
      subject: '002_b',
      outcomes: [
        { outcome: `fails (up: ${err})`, serverVersions: ['14.23'] },
        { outcome: 'ok', serverVersions: ['15.18', '18.4'] },
      ],
      message: `002_b: fails (up: ${err}) on PostgreSQL 14.23; ok on PostgreSQL 15.18, 18.4`,
    },
  ])
})

test('a down that restores on one major and not on another, and a round trip that differs on its own', () => {
  const leaves: MigrationCheck = {
    ...ok('001_a'),
    status: 'not-restored',
    differences: [{ message: 'down of 001 leaves column t.x' } as MigrationCheck['differences'][number]],
  }
  const a = result('16.14', [leaves], 'ok')
  const b = result('17.10', [ok('001_a')], 'ok')
  b.roundTrip.up = { status: 'failed', differences: [], error: { code: 'MIGRATION_FAILED', message: '001_a.up.sql: boom', details: [] }, ms: 0 }
  assert.equal(
    compareOutcomes([a, b]).map((d) => d.message),
    [
      '001_a: down does not restore the schema (down of 001 leaves column t.x) on PostgreSQL 16.14; ok on PostgreSQL 17.10',
      'round trip (all up again): ok on PostgreSQL 16.14; fails (001_a.up.sql: boom) on PostgreSQL 17.10',
    ],
  )
})

test.run()
