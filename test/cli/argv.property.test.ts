// Property-based tests of src/cli/argv.ts (fast-check): random argv arrays.
import { cac } from 'cac'
import fc from 'fast-check'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { normalizeArgv, optionString, VALUE_FLAGS } from '../../src/cli/argv.js'
import { ConfigError } from '../../src/errors.js'

const RUNS = { numRuns: 200 }
const MARK = '\u0001'

const flagNames = [...VALUE_FLAGS, 'dry-run', 'help', 'HELP', 'json', 'strict', 'no-color', 'x', 'h', 'v']
const boolWords = ['true', 'false', '1', '0', 't', 'f', 'T', 'F', 'TRUE', 'False', 'yes', '']

/** One argv word: flags of every shape, Go booleans, commands, numbers, and arbitrary text. */
const word: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('up', 'down', 'status', '--', '-', '001', '-1', '007', 'a b', '=', '-h', '-v'),
  fc.tuple(fc.constantFrom('-', '--'), fc.constantFrom(...flagNames)).map(([d, n]) => d + n),
  fc
    .tuple(fc.constantFrom('-', '--'), fc.constantFrom(...flagNames), fc.oneof(fc.constantFrom(...boolWords), fc.string()))
    .map(([d, n, v]) => `${d}${n}=${v}`),
  fc.string(),
  fc.string({ unit: 'grapheme' }),
)

const argvArb = fc.array(word, { maxLength: 12 })

/** Everything a word can come back as: itself, a marked value, or the -action command. */
function recoverable(args: string[], legacyAction: string | undefined): Set<string> {
  const out = new Set<string>(args)
  for (const a of args) {
    const i = a.indexOf(`=${MARK}`)
    if (a.startsWith('--') && i > 0) out.add(a.slice(i + 2))
  }
  if (legacyAction !== undefined) out.add(legacyAction)
  return out
}

const props = suite('argv: properties')

props('normalizeArgv throws nothing but a usage ConfigError', () => {
  fc.assert(
    fc.property(argvArb, (argv) => {
      try {
        normalizeArgv(argv)
      } catch (e) {
        return e instanceof ConfigError && e.code === 'USAGE' && e.exitCode === 2
      }
      return true
    }),
    RUNS,
  )
})

props('every word that is not a flag is preserved', () => {
  fc.assert(
    fc.property(argvArb, (argv) => {
      let result
      try {
        result = normalizeArgv(argv)
      } catch {
        return true // covered by the property above
      }
      const kept = recoverable(result.args, result.legacyAction)
      return argv.filter((w) => !w.startsWith('-')).every((w) => kept.has(w))
    }),
    RUNS,
  )
})

props('everything after -- is kept verbatim and in order', () => {
  fc.assert(
    fc.property(fc.array(word, { maxLength: 6 }), fc.array(word, { maxLength: 6 }), (before, after) => {
      let result
      try {
        result = normalizeArgv([...before, '--', ...after])
      } catch {
        return true
      }
      // From the first bare `--` on, the output is the input's tail. (Ours may
      // have been taken as the value of a flag just before it: then no bare one.)
      const at = result.args.indexOf('--')
      const tail = result.args.slice(at)
      return at === -1 || tail.slice(tail.length - after.length - 1).join('\0') === ['--', ...after].join('\0')
    }),
    RUNS,
  )
})

props('a value given with = reaches the command exactly as typed, through cac', () => {
  fc.assert(
    fc.property(fc.constantFrom('dir', 'service', 'to', 'description', 'database-url'), fc.string(), (flag, value) => {
      const cli = cac('link-migrate')
      cli.command('up').option(`--${flag} <v>`, '')
      const parsed = cli.parse(['node', 'link-migrate', 'up', ...normalizeArgv([`-${flag}=${value}`]).args], { run: false })
      const key = flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())
      assert.is(optionString(parsed.options[key]), value)
    }),
    RUNS,
  )
})

props.run()
