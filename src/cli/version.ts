/** The version, injected by the build (`define` in build.config.ts). Tiny on purpose: bin.ts loads it first. */
declare const __VERSION__: string

export const VERSION = typeof __VERSION__ === 'string' ? __VERSION__ : '0.0.0-dev'

/** `--version` alone (also the Go-style `-version`). */
export function isVersionRequest(argv: string[]): boolean {
  return argv.length === 1 && ['--version', '-v', '-version', 'version'].includes(argv[0]!)
}
