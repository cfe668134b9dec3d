// Pure tests of src/cli/values.ts: durations and whole numbers from flags.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { MAX_DURATION_MS, parseDuration, parseInteger } from '../../src/cli/values.js'
import { ConfigError } from '../../src/errors.js'

/** Asserts `fn` throws a ConfigError (exit 2) with exactly `message`. */
function refused(fn: () => unknown, message: string): void {
  let error: unknown
  try {
    fn()
  } catch (e) {
    error = e
  }
  assert.instance(error, ConfigError, message)
  const e = error as ConfigError
  assert.equal({ code: e.code, exitCode: e.exitCode, message: e.message }, { code: 'CONFIG_INVALID', exitCode: 2, message })
}

// ------------------------------------------------------------ parseDuration

const duration = suite('values: parseDuration')

duration('units and combinations, in milliseconds', () => {
  const cases: [string, number][] = [
    ['10m', 600_000],
    ['5s', 5_000],
    ['200ms', 200],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1h2m3s4ms', 3_723_004],
    ['1.5s', 1_500],
    ['0.5m', 30_000],
    ['2.5ms', 3],
    ['0.4ms', 1], // never rounded down to 0
    ['596h', 2_145_600_000],
    [' 10m ', 600_000],
  ]
  assert.equal(
    cases.map(([v]) => parseDuration('--timeout', v)),
    cases.map(([, ms]) => ms),
  )
})

duration('a bare number is seconds', () => {
  assert.equal(
    ['30', '1', '0.5', '0.0001', '007', ' 2 '].map((v) => parseDuration('--lock-timeout', v)),
    [30_000, 1_000, 500, 1, 7_000, 2_000],
  )
})

duration('anything else is refused, naming the flag and the value', () => {
  for (const v of ['', ' ', 'abc', '10x', '10 m', '10M', '1H', '-5s', '+5s', '1e3', 's', 'ms10', '10m junk', '.5s', '5.s', '1,5s', '1_000ms', 'Infinity']) {
    refused(() => parseDuration('--timeout', v), `--timeout must be a duration such as 30s, 10m, 500ms or 1h, got ${JSON.stringify(v)}`)
  }
})

duration('zero is refused in every spelling (a 0ms timer would cancel every migration)', () => {
  for (const v of ['0', '0.0', '0s', '0ms', '0m0s', '0h']) {
    refused(() => parseDuration('--timeout', v), `--timeout must be longer than 0, got ${JSON.stringify(v)}`)
  }
})

duration('longer than a 32-bit millisecond timer is refused', () => {
  assert.is(MAX_DURATION_MS, 2 ** 31 - 1)
  assert.is(parseDuration('--timeout', `${MAX_DURATION_MS}ms`), MAX_DURATION_MS)
  for (const v of ['597h', `${MAX_DURATION_MS + 1}ms`, '2147484', '1000000h', `${'9'.repeat(400)}h`]) {
    refused(() => parseDuration('--timeout', v), `--timeout must be at most 596h, got ${JSON.stringify(v)}`)
  }
})

duration('the flag named is the one given', () => {
  refused(() => parseDuration('--ddl-lock-timeout', 'soon'), '--ddl-lock-timeout must be a duration such as 30s, 10m, 500ms or 1h, got "soon"')
  refused(() => parseDuration('-- link-migrate:lock-timeout', '0s'), '-- link-migrate:lock-timeout must be longer than 0, got "0s"')
})

// ------------------------------------------------------------- parseInteger

const integer = suite('values: parseInteger')

integer('whole numbers, leading zeros and surrounding blanks allowed', () => {
  assert.equal(
    ['5', '007', ' 12 ', '0', '2147483647'].map((v) => parseInteger('--steps', v)),
    [5, 7, 12, 0, 2147483647],
  )
})

integer('not a whole number', () => {
  for (const v of ['', ' ', 'x', '1.5', '-1', '+1', '1e3', '0x10', '1 2', '٣']) {
    refused(() => parseInteger('--steps', v), `--steps must be a whole number, got ${JSON.stringify(v)}`)
  }
})

integer('out of range, with the bounds in the message', () => {
  refused(() => parseInteger('--steps', '0', 1), '--steps must be between 1 and 2147483647, got 0')
  refused(() => parseInteger('--steps', ' 0 ', 1), '--steps must be between 1 and 2147483647, got 0')
  refused(() => parseInteger('--to', '2147483648'), '--to must be between 0 and 2147483647, got 2147483648')
  refused(() => parseInteger('--to', '99999999999999999999999'), '--to must be between 0 and 2147483647, got 99999999999999999999999')
  refused(() => parseInteger('--retries', '11', 0, 10), '--retries must be between 0 and 10, got 11')
  assert.is(parseInteger('--retries', '10', 0, 10), 10)
  assert.is(parseInteger('version', '1', 1), 1)
})

duration.run()
integer.run()
