/**
 * Entry of the one-file CLI. `--version` answers before anything else is
 * loaded: it is on every container start path and in install checks.
 */
import { isVersionRequest, VERSION } from './version.js'

const argv = process.argv.slice(2)

// `link-migrate up | head -1`: a reader that goes away must not kill the run
// half-way (EPIPE is an unhandled 'error' event otherwise); the migrations
// still run to the end and the exit code is theirs, the output is dropped.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e
  })
}
if (isVersionRequest(argv)) {
  process.stdout.write(`link-migrate ${VERSION}\n`)
} else {
  // process.exitCode (not process.exit) so piped stdout is flushed before exit.
  void import('./main.js').then(({ main }) =>
    main({ argv, env: process.env, cwd: process.cwd(), stdout: process.stdout, stderr: process.stderr }).then((code) => {
      process.exitCode = code
    }),
  )
}
