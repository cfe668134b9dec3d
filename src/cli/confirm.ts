/**
 * Rolling back more than one migration asks first (`down --to 0` wipes a
 * service's schema): on a terminal a y/N question, without one `--yes` is
 * required. Single-step `down` never asks.
 */
import { createInterface } from 'node:readline'
import { ConfigError } from '../errors.js'

/** Resolves true when the user said yes; throws ConfigError (exit 2) when nobody can be asked. */
export async function confirmMany(what: string, io: { stdin?: NodeJS.ReadableStream & { isTTY?: boolean }; stderr: NodeJS.WritableStream; tty: boolean }): Promise<boolean> {
  if (!io.stdin?.isTTY || !io.tty) {
    throw new ConfigError(`${what}: add --yes to confirm (there is no terminal to ask on)`, 'USAGE')
  }
  const rl = createInterface({ input: io.stdin, output: io.stderr })
  try {
    const answer = await new Promise<string>((resolve) => rl.question(`${what}. Continue? [y/N] `, resolve))
    return /^y(es)?$/i.test(answer.trim())
  } finally {
    rl.close()
  }
}
