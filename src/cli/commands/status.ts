import { describeInterruption, interruptionState } from '../../core/interrupted.js'
import { EXIT } from '../../errors.js'
import type { StatusEntry } from '../../types.js'
import type { Context } from '../context.js'
import { table } from '../table.js'

/** `status`: the migration table; `--all` every service; `--exit-code` 4 when pending. */
export default async function status(ctx: Context): Promise<number> {
  const { out } = ctx
  const m = ctx.migrator()
  if (ctx.flags.all === true) {
    const services = await m.statusAll()
    if (out.json) out.jsonDocument({ services })
    else if (services.length === 0) out.print('No service has applied migrations in this database.')
    else
      out.print(
        table(
          ['SERVICE', 'VERSION', 'MIGRATIONS', 'LAST APPLIED', 'DESCRIPTION'],
          services.map((s) => [s.service, String(s.version), String(s.applied), s.appliedAt, s.description ?? '']),
        ),
      )
    return 0
  }
  const result = await m.status()
  if (out.json) out.jsonDocument(result)
  else {
    out.print(`Service: ${result.service}`)
    // Version 0 is a version (golang-migrate sets start there): say when nothing is applied at all.
    const none = result.migrations.every((e) => e.appliedAt === null)
    out.print(`Current version: ${result.currentVersion}${none ? ' (nothing applied)' : ''}`)
    out.print(`Pending: ${result.pending}`)
    for (const name of result.invalidIndexes) {
      out.log(`Warning: index ${name} is INVALID (a CREATE INDEX CONCURRENTLY failed); the next up drops and rebuilds it`, 'warn')
    }
    if (result.migrations.length > 0) {
      out.print('')
      out.print(table(['VERSION', 'NAME', 'STATE', 'APPLIED AT'], result.migrations.map(row)))
    }
    // What an unfinished run did and how to resolve it (verify exits 3 on it).
    for (const e of result.migrations) {
      if (e.interrupted) out.log(`Warning: ${describeInterruption(e.name, e.version, e.interrupted)}`, 'warn')
    }
  }
  return ctx.flags.exitCode === true && result.pending > 0 ? EXIT.pending : EXIT.ok
}

function row(e: StatusEntry): string[] {
  const state = e.interrupted
    ? interruptionState(e.interrupted)
    : e.state === 'modified'
      ? 'modified (file changed since applied)'
      : e.state === 'missing'
        ? 'missing file'
        : e.state
  return [String(e.version), e.name, state, e.appliedAt ?? '']
}
