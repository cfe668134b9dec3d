// Tests of src/config/target.ts on real temporary directories: which
// migrations directory and which service name (SPEC 1).
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { checkService, MAX_SERVICE_LENGTH, resolveTarget, serviceFromDir, type Target } from '../../src/config/target.js'
import { ConfigError } from '../../src/errors.js'
import { tmpDir } from '../helpers/tmp.js'

type Env = Record<string, string | undefined>
type Input = Parameters<typeof resolveTarget>[0]

/** A fresh working directory named `name` holding the given subdirectories. */
async function workspace(dirs: string[] = [], name = 'repo'): Promise<string> {
  const cwd = join(await tmpDir(), name)
  await mkdir(cwd)
  for (const d of dirs) await mkdir(join(cwd, d), { recursive: true })
  return cwd
}

/** Asserts `fn` throws a ConfigError (exit 2) with exactly this code and message. */
function throwsConfig(fn: () => unknown, code: string, message: string): void {
  let error: unknown
  try {
    fn()
  } catch (e) {
    error = e
  }
  assert.instance(error, ConfigError)
  const e = error as ConfigError
  assert.equal({ name: e.name, code: e.code, exitCode: e.exitCode, message: e.message }, { name: 'ConfigError', code, exitCode: 2, message })
}

/** dir and service (where the name came from is asserted in its own test). */
function target(input: Partial<Input> & { cwd: string }): Omit<Target, 'serviceFrom'> {
  const { serviceFrom: _from, ...rest } = resolveTarget({ env: {}, ...input })
  return rest
}

// --------------------------------------------------------------- directory

const dir = suite('target: directory precedence')

dir('--dir beats MIGRATE_DIR and ./migrations', async () => {
  const cwd = await workspace(['migrations', 'flag', 'env'])
  assert.equal(target({ cwd, dir: 'flag', env: { MIGRATE_DIR: 'env' } }), { dir: join(cwd, 'flag'), service: 'flag' })
})

dir('MIGRATE_DIR beats ./migrations', async () => {
  const cwd = await workspace(['migrations', 'env'])
  assert.equal(target({ cwd, env: { MIGRATE_DIR: 'env' } }), { dir: join(cwd, 'env'), service: 'env' })
})

dir('./migrations beats ./SERVICE/migrations', async () => {
  const cwd = await workspace(['migrations', 'svc/migrations'])
  assert.equal(target({ cwd, service: 'svc' }), { dir: join(cwd, 'migrations'), service: 'svc' })
})

dir('./SERVICE/migrations when there is no ./migrations (from the monorepo root)', async () => {
  const cwd = await workspace(['discovery-svc/migrations', 'ai-svc/migrations'], 'backend')
  assert.equal(target({ cwd, service: 'discovery-svc' }), { dir: join(cwd, 'discovery-svc', 'migrations'), service: 'discovery-svc' })
  assert.equal(target({ cwd, env: { MIGRATE_SERVICE: 'ai-svc' } }), { dir: join(cwd, 'ai-svc', 'migrations'), service: 'ai-svc' })
})

dir('an empty MIGRATE_DIR is unset', async () => {
  const cwd = await workspace(['migrations'], 'discovery-svc')
  assert.equal(target({ cwd, env: { MIGRATE_DIR: '' } }), { dir: join(cwd, 'migrations'), service: 'discovery-svc' })
})

dir('relative paths resolve against cwd, absolute ones are kept', async () => {
  const cwd = await workspace(['a/b/migrations'])
  const other = await workspace(['x-svc/migrations'], 'other')
  assert.equal(target({ cwd, dir: 'a/b/migrations/' }), { dir: join(cwd, 'a/b/migrations'), service: 'b' })
  assert.equal(target({ cwd, dir: './a/../a/b/migrations' }), { dir: join(cwd, 'a/b/migrations'), service: 'b' })
  assert.equal(target({ cwd, dir: join(other, 'x-svc/migrations') }), { dir: join(other, 'x-svc/migrations'), service: 'x-svc' })
  assert.equal(target({ cwd, env: { MIGRATE_DIR: join(other, 'x-svc/migrations') } }), {
    dir: join(other, 'x-svc/migrations'),
    service: 'x-svc',
  })
})

dir('an empty --dir is refused rather than read as the working directory', async () => {
  const cwd = await workspace(['migrations'])
  throwsConfig(() => target({ cwd, dir: '' }), 'CONFIG_INVALID', '--dir is empty')
  throwsConfig(() => target({ cwd, dir: '  ' }), 'CONFIG_INVALID', '--dir is empty')
})

// ------------------------------------------------------------ not found

const missing = suite('target: a directory that is not there')

missing('nothing found: names the one place tried', async () => {
  const cwd = await workspace()
  throwsConfig(() => target({ cwd }), 'DIR_NOT_FOUND', `migrations directory not found; tried: ${join(cwd, 'migrations')}`)
})

missing('with a service: names both places tried', async () => {
  const cwd = await workspace()
  const message = `migrations directory not found; tried: ${join(cwd, 'migrations')}, ${join(cwd, 'svc', 'migrations')}`
  throwsConfig(() => target({ cwd, service: 'svc' }), 'DIR_NOT_FOUND', message)
  throwsConfig(() => target({ cwd, env: { MIGRATE_SERVICE: 'svc' } }), 'DIR_NOT_FOUND', message)
})

missing('--dir and MIGRATE_DIR that do not exist say where the path came from', async () => {
  const cwd = await workspace(['migrations'])
  throwsConfig(() => target({ cwd, dir: 'nope' }), 'DIR_NOT_FOUND', `migrations directory not found; tried: ${join(cwd, 'nope')} (--dir)`)
  throwsConfig(
    () => target({ cwd, env: { MIGRATE_DIR: 'gone/migrations' } }),
    'DIR_NOT_FOUND',
    `migrations directory not found; tried: ${join(cwd, 'gone/migrations')} (MIGRATE_DIR)`,
  )
})

missing('a directory that is a file', async () => {
  const cwd = await workspace()
  await writeFile(join(cwd, 'schema.sql'), 'x')
  throwsConfig(
    () => target({ cwd, dir: 'schema.sql' }),
    'DIR_NOT_FOUND',
    `${join(cwd, 'schema.sql')} is not a directory; tried: ${join(cwd, 'schema.sql')} (--dir)`,
  )
  throwsConfig(
    () => target({ cwd, env: { MIGRATE_DIR: 'schema.sql' } }),
    'DIR_NOT_FOUND',
    `${join(cwd, 'schema.sql')} is not a directory; tried: ${join(cwd, 'schema.sql')} (MIGRATE_DIR)`,
  )
})

missing('a file named migrations is passed over for ./SERVICE/migrations', async () => {
  const cwd = await workspace(['svc/migrations'])
  await writeFile(join(cwd, 'migrations'), 'x')
  assert.equal(target({ cwd, service: 'svc' }), { dir: join(cwd, 'svc', 'migrations'), service: 'svc' })
  throwsConfig(() => target({ cwd }), 'DIR_NOT_FOUND', `migrations directory not found; tried: ${join(cwd, 'migrations')}; found here: svc/migrations (--service svc)`)
})

missing('not found: the */migrations folders seen from here, with the --service that picks each', async () => {
  const cwd = await workspace(['chat-svc/migrations', 'discovery-svc/migrations', 'docs'])
  throwsConfig(
    () => target({ cwd }),
    'DIR_NOT_FOUND',
    `migrations directory not found; tried: ${join(cwd, 'migrations')}; found here: chat-svc/migrations (--service chat-svc), discovery-svc/migrations (--service discovery-svc)`,
  )
})

missing('where the service name came from', async () => {
  const cwd = await workspace(['svc/migrations'])
  assert.is(resolveTarget({ cwd, env: {}, dir: 'svc/migrations' }).serviceFrom, 'directory')
  assert.is(resolveTarget({ cwd, env: {}, service: 'svc' }).serviceFrom, '--service')
  assert.is(resolveTarget({ cwd, env: { MIGRATE_SERVICE: 'svc' } }).serviceFrom, 'MIGRATE_SERVICE')
})

missing('allowMissingDir (generate): the directory it would use may be created', async () => {
  const cwd = await workspace()
  await writeFile(join(cwd, 'file'), 'x')
  assert.equal(target({ cwd, dir: 'new-svc/migrations', allowMissingDir: true }), { dir: join(cwd, 'new-svc/migrations'), service: 'new-svc' })
  assert.equal(target({ cwd, env: { MIGRATE_DIR: 'db' }, allowMissingDir: true }), { dir: join(cwd, 'db'), service: 'db' })
  // The implicit places too: ./SERVICE/migrations with a service, else ./migrations; never over a file.
  assert.equal(target({ cwd, service: 'svc', allowMissingDir: true }), { dir: join(cwd, 'svc', 'migrations'), service: 'svc' })
  assert.equal(target({ cwd, allowMissingDir: true }), { dir: join(cwd, 'migrations'), service: 'repo' })
  throwsConfig(
    () => target({ cwd, dir: 'file', allowMissingDir: true }),
    'DIR_NOT_FOUND',
    `${join(cwd, 'file')} is not a directory; tried: ${join(cwd, 'file')} (--dir)`,
  )
})

// ----------------------------------------------------------------- service

const service = suite('target: service name')

service('--service beats MIGRATE_SERVICE beats the directory', async () => {
  const cwd = await workspace(['derived/migrations'])
  const d = 'derived/migrations'
  assert.equal(target({ cwd, dir: d, service: 'flag', env: { MIGRATE_SERVICE: 'env' } }), { dir: join(cwd, d), service: 'flag' })
  assert.equal(target({ cwd, dir: d, env: { MIGRATE_SERVICE: 'env' } }), { dir: join(cwd, d), service: 'env' })
  assert.equal(target({ cwd, dir: d }), { dir: join(cwd, d), service: 'derived' })
  assert.equal(target({ cwd, dir: d, env: { MIGRATE_SERVICE: '' } }), { dir: join(cwd, d), service: 'derived' })
})

service('derived: the parent of a directory named migrations, else the directory itself', async () => {
  const cwd = await workspace(['discovery-svc/migrations', 'db/sql', 'chat.svc_2/migrations', 'Migrations'], 'backend')
  assert.equal(target({ cwd, dir: 'discovery-svc/migrations' }).service, 'discovery-svc')
  assert.equal(target({ cwd, dir: 'db/sql' }).service, 'sql')
  assert.equal(target({ cwd, dir: 'chat.svc_2/migrations' }).service, 'chat.svc_2')
  assert.equal(target({ cwd, dir: 'Migrations' }).service, 'Migrations')
  assert.equal(target({ cwd, dir: '.' }).service, 'backend')
  assert.equal(serviceFromDir('/srv/app/migrations'), 'app')
  assert.equal(serviceFromDir('/srv/app/migrations/'), 'app')
})

service('a derived name that is not a valid service name is refused, naming the directory', async () => {
  const cwd = await workspace(['my svc/migrations'])
  const d = join(cwd, 'my svc', 'migrations')
  throwsConfig(
    () => target({ cwd, dir: 'my svc/migrations' }),
    'SERVICE_INVALID',
    `service name derived from directory ${d} "my svc" has characters other than letters, digits, "-", "_" and "."`,
  )
  // ... unless the service is named.
  assert.equal(target({ cwd, dir: 'my svc/migrations', service: 'my-svc' }), { dir: d, service: 'my-svc' })
  throwsConfig(() => serviceFromDir('/migrations'), 'SERVICE_INVALID', 'service name derived from directory /migrations is empty')
})

service('invalid names from --service and MIGRATE_SERVICE, each naming its source', async () => {
  const cwd = await workspace(['migrations'])
  const long = 'a'.repeat(200)
  const cases: [string, string][] = [
    ['a"b', '"a\\"b" has characters other than letters, digits, "-", "_" and "."'],
    ["it's", '"it\'s" has characters other than letters, digits, "-", "_" and "."'],
    ['my svc', '"my svc" has characters other than letters, digits, "-", "_" and "."'],
    [' svc', '" svc" has characters other than letters, digits, "-", "_" and "."'],
    ['svc;drop', '"svc;drop" has characters other than letters, digits, "-", "_" and "."'],
    ['a/b', '"a/b" has characters other than letters, digits, "-", "_" and "."'],
    ['café', '"café" has characters other than letters, digits, "-", "_" and "."'],
    ['svc\n', '"svc\\n" has characters other than letters, digits, "-", "_" and "."'],
    [long, 'is 200 characters long; at most 63 are allowed'],
    ['..', '".." needs a letter or digit'],
    ['.', '"." needs a letter or digit'],
  ]
  for (const [name, rest] of cases) {
    throwsConfig(() => target({ cwd, service: name }), 'SERVICE_INVALID', `--service ${rest}`)
    throwsConfig(() => target({ cwd, env: { MIGRATE_SERVICE: name } }), 'SERVICE_INVALID', `MIGRATE_SERVICE ${rest}`)
  }
  throwsConfig(() => target({ cwd, service: '' }), 'SERVICE_INVALID', '--service is empty')
})

service('a bad service name is reported before the directory is looked for', async () => {
  const cwd = await workspace()
  throwsConfig(() => target({ cwd, dir: 'nope', service: 'a b' }), 'SERVICE_INVALID', '--service "a b" has characters other than letters, digits, "-", "_" and "."')
})

service('checkService: every allowed character, up to 63 of them', () => {
  assert.is(MAX_SERVICE_LENGTH, 63)
  for (const name of ['a', 'A-z_0.9', 'discovery-svc', '.hidden', 'v1.2', 'x'.repeat(63)]) {
    assert.is(checkService(name, '--service'), name)
  }
  throwsConfig(() => checkService('x'.repeat(64), 'the name'), 'SERVICE_INVALID', 'the name is 64 characters long; at most 63 are allowed')
})

dir.run()
missing.run()
service.run()
