/**
 * The batch not yet deployed, from git: the migration files added since a
 * ref (`lint --git-base origin/main`), committed or not. I/O only: runs git.
 */
import { execFile } from 'node:child_process'
import { ConfigError } from '../errors.js'

/**
 * The `.sql` files of `dir` added since `ref` (committed, staged, or
 * untracked), as paths relative to `dir`. Throws ConfigError naming
 * `--git-base` when git fails (not a repository, unknown ref, no git).
 *
 * @example await addedSince('origin/main', 'migrations') // ['014_add_index.up.sql']
 */
export async function addedSince(ref: string, dir: string): Promise<string[]> {
  if (ref.startsWith('-')) throw new ConfigError(`--git-base ${ref}: not a git ref`, 'USAGE')
  const added = await git(ref, dir, ['diff', '--name-only', '--diff-filter=A', '--relative', '--no-renames', ref, '--', '.'])
  const untracked = await git(ref, dir, ['ls-files', '--others', '--exclude-standard', '--', '.'])
  return [...new Set([...added, ...untracked])].filter((p) => p.toLowerCase().endsWith('.sql')).sort()
}

function git(ref: string, cwd: string, args: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        const why = (stderr.trim().split('\n')[0] ?? '') || error.message
        reject(new ConfigError(`--git-base ${ref}: git failed in ${cwd}: ${why}`, 'USAGE'))
      } else resolve(stdout.split('\n').filter(Boolean))
    })
  })
}
