import { main } from './main.js'

// process.exitCode (not process.exit) so piped stdout is flushed before exit.
main({ argv: process.argv.slice(2), env: process.env, cwd: process.cwd(), stdout: process.stdout, stderr: process.stderr }).then(
  (code) => {
    process.exitCode = code
  },
)
