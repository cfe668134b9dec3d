// Shared by the pure tests of src/config/: a password that needs every kind
// of URL encoding, the expected config with defaults, and leak checks.
import * as assert from 'uvu/assert'
import type { ConnectionConfig } from '../../src/config/connection.js'
import { resolveConnection } from '../../src/config/resolve.js'
import { ConfigError, isMigrateError } from '../../src/errors.js'

/** A password with every character that needs encoding in a URL. */
export const PW = 'p@ss:w/rd%1'
export const PW_ENC = encodeURIComponent(PW) // p%40ss%3Aw%2Frd%251

export type Env = Record<string, string | undefined>

export function resolve(env: Env, databaseUrl?: string): ConnectionConfig {
  return resolveConnection({ env, databaseUrl, osUser: 'osuser' })
}

/** The expected config: defaults plus overrides, in one whole object. */
export function config(fields: Partial<ConnectionConfig> & Pick<ConnectionConfig, 'display'>): ConnectionConfig {
  return {
    host: 'localhost',
    port: 5432,
    user: 'osuser',
    database: 'osuser',
    sslmode: 'prefer',
    applicationName: 'link-migrate',
    source: 'default',
    warnings: [],
    ...fields,
  }
}

/** Runs `fn`, asserts it throws a ConfigError (exit 2) with exactly `message`, and that no form of PW leaks. */
export function throwsConfig(fn: () => unknown, message: string): void {
  let error: unknown
  try {
    fn()
  } catch (e) {
    error = e
  }
  assert.instance(error, ConfigError)
  assert.ok(isMigrateError(error))
  const e = error as ConfigError
  assert.equal({ name: e.name, code: e.code, exitCode: e.exitCode, message: e.message }, { name: 'ConfigError', code: 'CONFIG_INVALID', exitCode: 2, message })
  assertNoPassword(e.message)
}

export function assertNoPassword(text: string): void {
  for (const form of [PW, PW_ENC, 'p@ss', 'w/rd', 'rd%1', 'p%40ss', 'secret']) {
    assert.not.ok(text.includes(form), `"${form}" leaked into: ${text}`)
  }
}
