// Pure tests of src/cli/argv.ts: the legacy Go-style form, and values kept
// as typed (SPEC 1 "Legacy form").
import { cac } from 'cac'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { normalizeArgv, optionString, unmark, VALUE_FLAGS, type NormalizedArgv } from '../../src/cli/argv.js'
import { ConfigError } from '../../src/errors.js'

/** The marker normalizeArgv puts before a value so mri keeps it a string (internal to argv.ts). */
const M = '\u0001'

/** Expected result with no -action. */
function plain(...args: string[]): NormalizedArgv {
  return { args, legacyAction: undefined }
}

/** Asserts normalizeArgv(argv) throws a ConfigError (usage, exit 2) with exactly `message`. */
function refused(argv: string[], message: string): void {
  let error: unknown
  try {
    normalizeArgv(argv)
  } catch (e) {
    error = e
  }
  assert.instance(error, ConfigError, `~> ${JSON.stringify(argv)}`)
  const e = error as ConfigError
  assert.equal({ code: e.code, exitCode: e.exitCode, message: e.message }, { code: 'USAGE', exitCode: 2, message }, `~> ${JSON.stringify(argv)}`)
}

/** normalizeArgv then cac, as src/cli/main.ts does: the option values a command sees. */
function parsedOptions(argv: string[]): Record<string, unknown> {
  const cli = cac('link-migrate')
  cli.command('up').option('--dir <dir>', '').option('--to <version>', '').option('--steps <n>', '').option('--service <name>', '')
  return cli.parse(['node', 'link-migrate', ...normalizeArgv(argv).args], { run: false }).options
}

// ------------------------------------------------------------------ modern

const modern = suite('argv: modern form')

modern('commands, switches and arguments pass through', () => {
  assert.equal(normalizeArgv([]), plain())
  assert.equal(normalizeArgv(['up', '--dry-run', '--json']), plain('up', '--dry-run', '--json'))
  assert.equal(normalizeArgv(['generate', 'add', 'user', 'avatars']), plain('generate', 'add', 'user', 'avatars'))
  assert.equal(normalizeArgv(['mark', '5', '--pending']), plain('mark', '5', '--pending'))
  assert.equal(normalizeArgv(['status', '--no-color', '--exit-code']), plain('status', '--no-color', '--exit-code'))
})

modern('values of value flags are marked, with = or a space', () => {
  assert.equal(normalizeArgv(['up', '--dir', 'db/migrations', '--service=svc']), plain('up', `--dir=${M}db/migrations`, `--service=${M}svc`))
  assert.equal(
    normalizeArgv(['up', '--database-url', 'postgres://u:p@h:5432/db?sslmode=require&x=y']),
    plain('up', `--database-url=${M}postgres://u:p@h:5432/db?sslmode=require&x=y`),
  )
  assert.equal(normalizeArgv(['generate', '--description=a=b c']), plain('generate', `--description=${M}a=b c`))
  assert.equal(normalizeArgv(['up', '--dir=']), plain('up', `--dir=${M}`))
  assert.equal(normalizeArgv(['up', '--timeout', '10m', '--to', '3']), plain('up', `--timeout=${M}10m`, `--to=${M}3`))
})

modern('value flags keep leading zeros through cac: --dir 001 stays "001"', () => {
  const o = parsedOptions(['up', '--dir', '001', '--to', '007', '--steps=010', '--service', '1e3'])
  assert.equal(
    { dir: optionString(o.dir), to: optionString(o.to), steps: optionString(o.steps), service: optionString(o.service) },
    { dir: '001', to: '007', steps: '010', service: '1e3' },
  )
})

modern('every value flag is shielded', () => {
  for (const flag of VALUE_FLAGS) {
    if (flag === 'action') continue
    assert.equal(normalizeArgv([`--${flag}`, '0']), plain(`--${flag}=${M}0`), `~> --${flag}`)
  }
})

modern('single-letter flags and words that are not flags pass through', () => {
  assert.equal(normalizeArgv(['-h']), plain('-h'))
  assert.equal(normalizeArgv(['-v']), plain('-v'))
  assert.equal(normalizeArgv(['-h=1']), plain('-h=1'))
  assert.equal(normalizeArgv(['mark', '-1']), plain('mark', '-1'))
  assert.equal(normalizeArgv(['---x', '-_x', '-', 'a=b']), plain('---x', '-_x', '-', 'a=b'))
})

modern('-- ends the flags: everything after it is kept as is', () => {
  assert.equal(normalizeArgv(['generate', '--', '-dir', 'x', '--dry-run=false']), plain('generate', '--', '-dir', 'x', '--dry-run=false'))
  refused(['up', '--dir', '--', 'x'], '--dir needs a value, got the flag -- (write --dir=-- if that is the value)')
})

modern('a flag no command knows is refused as typed, with the nearest known one', () => {
  assert.equal(normalizeArgv(['-verbose']), plain('--verbose'))
  refused(['up', '--dri-run'], 'unknown flag --dri-run (did you mean --dry-run?)')
  refused(['-actoin=up'], 'unknown flag -actoin (did you mean -action?)')
  refused(['up', '--Dir'], 'unknown flag --Dir (did you mean --dir?)')
  refused(['up', '--verb'], 'unknown flag --verb (did you mean --verbose?)')
  refused(['up', '--foo'], 'unknown flag --foo (see link-migrate --help)')
})

modern('a switch given a value that is not a Go boolean is refused (it would read as off)', () => {
  refused(['up', '-dry-run=yes'], '--dry-run does not take a value (only true or false), got "yes"')
  refused(['up', '--strict=no'], '--strict does not take a value (only true or false), got "no"')
  refused(['up', '--json='], '--json does not take a value (only true or false), got ""')
  // A misspelt value flag is named as typed.
  refused(['up', '--Dir=x'], 'unknown flag --Dir (did you mean --dir?)')
})

// ------------------------------------------------------------------ legacy

const legacy = suite('argv: legacy Go form')

legacy('every flag of the old tool, with =', () => {
  assert.equal(normalizeArgv(['-action=up', '-service=discovery-svc', '-dir=d', '-dry-run', '-description=a b', '-help']), {
    args: ['up', `--service=${M}discovery-svc`, `--dir=${M}d`, '--dry-run', `--description=${M}a b`, '--help'],
    legacyAction: 'up',
  })
})

legacy('with -- instead of -', () => {
  assert.equal(normalizeArgv(['--action=down', '--service=discovery-svc', '--dry-run']), {
    args: ['down', `--service=${M}discovery-svc`, '--dry-run'],
    legacyAction: 'down',
  })
})

legacy('with a space instead of =', () => {
  assert.equal(normalizeArgv(['-action', 'generate', '-service', 'chat-svc', '-dir', 'd', '-description', 'add user avatars']), {
    args: ['generate', `--service=${M}chat-svc`, `--dir=${M}d`, `--description=${M}add user avatars`],
    legacyAction: 'generate',
  })
})

legacy('the command goes first wherever -action stood', () => {
  assert.equal(normalizeArgv(['-service=x', '-dry-run', '-action=status']), {
    args: ['status', `--service=${M}x`, '--dry-run'],
    legacyAction: 'status',
  })
})

legacy('-action given twice: the same is fine, different is refused', () => {
  assert.equal(normalizeArgv(['-action=up', '--action', 'up']), { args: ['up'], legacyAction: 'up' })
  refused(['-action=up', '-action=down'], '-action given twice (up, down)')
  refused(['-action', 'up', '--action=verify'], '-action given twice (up, verify)')
  refused(['-action='], '-action needs a value')
})

legacy('Go booleans: -dry-run=false is dropped, -dry-run=true is kept', () => {
  for (const off of ['false', '0', 'f', 'F', 'FALSE', 'False']) {
    assert.equal(normalizeArgv(['-action=up', `-dry-run=${off}`]), { args: ['up'], legacyAction: 'up' }, `~> ${off}`)
  }
  for (const on of ['true', '1', 't', 'T', 'TRUE', 'True']) {
    assert.equal(normalizeArgv(['-action=up', `-dry-run=${on}`]), { args: ['up', '--dry-run'], legacyAction: 'up' }, `~> ${on}`)
  }
})

legacy('-help in any case is --help', () => {
  assert.equal(normalizeArgv(['-help']), plain('--help'))
  assert.equal(normalizeArgv(['-HELP']), plain('--help'))
  assert.equal(normalizeArgv(['--Help']), plain('--help'))
  assert.equal(normalizeArgv(['-action=up', '-help=true']), { args: ['up', '--help'], legacyAction: 'up' })
})

// ------------------------------------------------------------------ errors

const errors = suite('argv: a value flag without its value')

errors('at the end of the line, naming the flag', () => {
  refused(['up', '--dir'], '--dir needs a value')
  refused(['-action=up', '-service'], '--service needs a value')
  refused(['-action'], '--action needs a value')
  refused(['status', '--database-url'], '--database-url needs a value')
})

errors('followed by another flag, naming both', () => {
  refused(['up', '--service', '--dry-run'], '--service needs a value, got the flag --dry-run (write --service=--dry-run if that is the value)')
  refused(['-action=up', '-dir', '-dry-run'], '--dir needs a value, got the flag -dry-run (write --dir=-dry-run if that is the value)')
  refused(['-action', '-help'], '--action needs a value, got the flag -help (write --action=-help if that is the value)')
  // With = the value is whatever follows.
  assert.equal(normalizeArgv(['generate', '--description=-x']), plain('generate', `--description=${M}-x`))
  // A negative number is a value, not a flag (parseInteger refuses it later).
  assert.equal(normalizeArgv(['down', '--to', '-1']), plain('down', `--to=${M}-1`))
})

// ------------------------------------------------------ optionString, unmark

const option = suite('argv: optionString and unmark')

option('absent values', () => {
  assert.equal([undefined, null, false].map(optionString), [undefined, undefined, undefined])
})

option('the marker is stripped; other values are stringified; the last of repeated flags wins', () => {
  assert.is(optionString(`${M}001`), '001')
  assert.is(optionString(`${M}`), '')
  assert.is(optionString('plain'), 'plain')
  assert.is(optionString(true), 'true')
  assert.is(optionString(7), '7')
  assert.is(optionString([`${M}a`, `${M}b`]), 'b')
})

option('repeated value flags through cac: the last one', () => {
  assert.is(optionString(parsedOptions(['up', '--dir', 'a', '-dir=b']).dir), 'b')
})

option('unmark removes every marker', () => {
  assert.is(unmark(`--foo=${M}bar`), '--foo=bar')
  assert.is(unmark(`${M}a${M}b`), 'ab')
  assert.is(unmark('clean'), 'clean')
})

modern.run()
legacy.run()
errors.run()
option.run()
