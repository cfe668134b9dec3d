/** What the CLI reads and writes: its arguments, environment, directory and streams (injected for tests). */
export interface Io {
  argv: string[]
  env: Record<string, string | undefined>
  cwd: string
  stdout: NodeJS.WritableStream & { isTTY?: boolean }
  stderr: NodeJS.WritableStream
}
