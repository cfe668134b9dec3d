/**
 * createMigrator: the engine the CLI uses, as a library (SPEC 9). It never
 * prints, never exits, never reads argv: results are returned, progress goes
 * out as events, failures are thrown as typed MigrateErrors. A thin facade:
 * each operation lives in src/engine/, over the context they share.
 */
import { Context } from './engine/context.js'
import { down } from './engine/down.js'
import { generate } from './engine/generate.js'
import { markFromGolangMigrate, markTo, markVersions } from './engine/mark.js'
import { repair } from './engine/repair.js'
import { status, statusAll } from './engine/status.js'
import type { Migrator, MigratorOptions } from './engine/types.js'
import { up } from './engine/up.js'
import { verify } from './engine/verify.js'
import { lint as lintTarget } from './lint/index.js'

export type { GenerateResult, MarkOptions, MarkResult, Migrator, MigratorOptions, RepairResult, RunOptions } from './engine/types.js'

/**
 * Creates a migrator. Validates options at once (throws ConfigError);
 * connects lazily on the first method that needs the database.
 *
 * @example
 * const m = createMigrator({ dir: 'migrations', service: 'discovery-svc', url: process.env.DATABASE_URL })
 * try { const { pending } = await m.status() } finally { await m.close() }
 */
export function createMigrator(options: MigratorOptions): Migrator {
  const ctx = new Context(options)
  return {
    service: ctx.service,
    dir: ctx.dir,
    up: (opts) => up(ctx, opts),
    down: (opts) => down(ctx, opts),
    status: () => status(ctx),
    statusAll: () => statusAll(ctx),
    verify: () => verify(ctx),
    lint: (opts = {}) => lintTarget({ dir: ctx.dir }, { useTransactions: options.useTransactions, ...opts }),
    generate: (description) => generate(ctx, description),
    mark: (version, opts = {}) => markVersions(ctx, [version], opts.pending ?? false, opts.dryRun ?? options.dryRun ?? false),
    markTo: (to, opts) => markTo(ctx, to, opts),
    markFromGolangMigrate: (opts) => markFromGolangMigrate(ctx, opts),
    repair: (opts) => repair(ctx, opts),
    close: () => ctx.close(),
  }
}
