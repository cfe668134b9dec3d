import { check, checkDrift, engineFor } from '../../check/index.js'
import { parseMajors } from '../../check/local.js'
import type { CheckEvent, CheckResult, DriftResult, EngineTimings, MigrationCheck, RoundTripCheck } from '../../check/types.js'
import type { VersionsResult } from '../../check/versions.js'
import { formatMs } from '../../db/lock.js'
import { ConfigError, EXIT } from '../../errors.js'
import { optionString } from '../argv.js'
import type { Context } from '../context.js'
import type { Output } from '../render.js'
import { annotateTrace, printReview, printStatements } from '../trace-output.js'
import { parseDuration } from '../values.js'

/** Thrown into the check when Ctrl-C (or SIGTERM) arrives; the check drops its scratch database and rejects with it. */
class Interrupted extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`)
  }
}

/**
 * `check`: rehearse every migration on a throwaway database and prove each
 * down undoes its up (SPEC 8); `check --drift`: compare the live database
 * with what its applied migrations make. Exit 1 when a down does not
 * restore its up, a file fails, a migration is skipped, or drift is found;
 * 130/143 when interrupted (the scratch database is dropped first).
 */
export default async function checkCommand(ctx: Context): Promise<number> {
  const engine = ctx.str('engine')
  if (engine !== undefined && engine !== 'embedded' && engine !== 'server' && engine !== 'postgres') {
    throw new ConfigError(`--engine must be embedded, server or postgres, got ${JSON.stringify(engine)}`, 'USAGE')
  }
  const drift = ctx.flags.drift === true
  if (drift && engine === 'embedded') throw new ConfigError('check --drift compares a live database: it cannot use --engine embedded', 'USAGE')
  const pgVersionRaw = ctx.str('pg-version')
  const pgVersions = pgVersionRaw === undefined ? [] : parseMajors(pgVersionRaw)
  const pgBin = ctx.str('pg-bin')
  const local = pgVersionRaw !== undefined || pgBin !== undefined
  if (local && engine !== undefined && engine !== 'postgres') {
    throw new ConfigError(`${pgBin !== undefined ? '--pg-bin' : '--pg-version'} runs check on a PostgreSQL it starts (--engine postgres), not --engine ${engine}`, 'USAGE')
  }
  if (drift && (local || engine === 'postgres')) throw new ConfigError('check --drift compares a live database: it cannot use --engine postgres, --pg-version or --pg-bin', 'USAGE')
  // `lint --trace` is this command with --locks (lint.ts hands over).
  const locks = ctx.flags.locks === true || ctx.flags.trace === true
  const failOnFlag = ctx.str('fail-on')
  if (failOnFlag !== undefined && !locks) throw new ConfigError('--fail-on needs --locks (the conditions are on the lock trace)', 'USAGE')
  if (locks && drift) throw new ConfigError('--locks traces the rehearsal: it cannot be combined with --drift', 'USAGE')
  if (locks && pgVersions.length > 1) throw new ConfigError('--locks traces one engine: give one --pg-version (or run it once per major)', 'USAGE')
  let failOn
  if (failOnFlag !== undefined) {
    const { parseConditions } = await import('../../check/trace-review.js')
    try {
      failOn = parseConditions(failOnFlag)
    } catch (e) {
      throw new ConfigError(`--fail-on: ${(e as Error).message}`, 'USAGE')
    }
  }
  const target = ctx.target!
  const timeout = ctx.str('timeout')
  const wait = ctx.int('wait', '--wait')
  const common = {
    dir: target.dir,
    service: target.service,
    connection: ctx.connection,
    env: ctx.env,
    migrationTimeout: timeout === undefined ? undefined : parseDuration('--timeout', timeout),
    waitForDatabase: wait === undefined ? undefined : wait * 1000,
  }
  // What the rehearsal needs first, and how strict it is (not for --drift).
  const rehearsal = { setup: repeated(ctx, 'setup'), with: repeated(ctx, 'with'), strictColumnOrder: ctx.flags.strictColumnOrder === true }
  if (drift && (rehearsal.setup.length > 0 || rehearsal.with.length > 0 || rehearsal.strictColumnOrder)) {
    throw new ConfigError('--setup, --with and --strict-column-order are for check, not check --drift', 'USAGE')
  }

  // Ctrl-C must not leave a scratch database behind: the first signal aborts
  // the check (which drops it, ending what runs in it); a second one is
  // handled the default way (the process ends at once). The embedded engine
  // has nothing to clean up, and while PGlite runs a query the event loop
  // (and any handler) waits: there the default, immediate exit is better.
  const controller = new AbortController()
  const chosen = { ...(engine ? { engine: engine as 'embedded' | 'server' | 'postgres' } : {}), ...(pgBin !== undefined ? { pgBin } : {}), cwd: ctx.cwd }
  const kind = engineFor({ ...common, ...chosen, ...(pgVersions[0] !== undefined ? { pgVersion: pgVersions[0] } : {}) })
  // A server engine drops its scratch database, the postgres engine stops its server and removes its directory.
  const server = drift || kind !== 'embedded'
  const signals: NodeJS.Signals[] = server ? ['SIGINT', 'SIGTERM'] : []
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      for (const s of signals) process.removeAllListeners(s)
      process.kill(process.pid, signal)
      return
    }
    ctx.out.log(`Interrupted (${signal}): cleaning up`, 'warn')
    controller.abort(new Interrupted(signal))
  }
  for (const s of signals) process.on(s, onSignal)
  const onEvent = progress(ctx)
  try {
    if (drift) {
      const result = await checkDrift({ ...common, trackingSchema: ctx.str('tracking-schema'), signal: controller.signal, onEvent })
      printDrift(ctx, result)
      return result.ok ? EXIT.ok : EXIT.failure
    }
    if (pgVersions.length > 1) {
      const { checkVersions } = await import('../../check/versions.js')
      // Each major's summary as soon as its check ends.
      const onResult = (r: CheckResult) => {
        if (ctx.out.json) return
        ctx.out.log(`PostgreSQL ${r.serverVersion}:`)
        printCheck(ctx, r)
      }
      const result = await checkVersions({ ...common, ...rehearsal, ...chosen, pgVersions, signal: controller.signal, onEvent, onResult })
      printVersions(ctx, result)
      return result.ok ? EXIT.ok : EXIT.failure
    }
    const result = await check({
      ...common,
      ...rehearsal,
      ...chosen,
      ...(pgVersions[0] !== undefined ? { pgVersion: pgVersions[0] } : {}),
      ...(locks ? { locks, failOn } : {}),
      signal: controller.signal,
      onEvent,
    })
    printCheck(ctx, result)
    return result.ok ? EXIT.ok : EXIT.failure
  } catch (e) {
    if (e instanceof Interrupted) {
      ctx.out.log('Check interrupted; nothing is left behind', 'warn')
      return e.signal === 'SIGINT' ? 130 : 143
    }
    throw e
  } finally {
    for (const s of signals) process.off(s, onSignal)
  }
}

/** Per-migration lines as the check goes (human mode), so a long check shows progress. */
function progress(ctx: Context): (e: CheckEvent) => void {
  const { out } = ctx
  // Under --json these lines go to stderr (Output.log), the document to stdout.
  return (e) => {
    switch (e.type) {
      case 'engine-ready': {
        const where =
          e.engine === 'embedded'
            ? `the embedded engine (PostgreSQL ${e.serverVersion}, in-process; no server needed)`
            : e.engine === 'postgres'
              ? `PostgreSQL ${e.serverVersion} started from ${e.source} in a temp data directory, removed afterwards`
              : `a scratch database ${e.scratchDatabase} (PostgreSQL ${e.serverVersion}), dropped afterwards`
        out.log(`Checking on ${where}; started in ${formatMs(Math.round(e.timings.totalMs))}`)
        return
      }
      case 'migration-checked':
        printMigration(ctx, e.migration, `[${e.index}/${e.total}]`)
        printStatements(out, e.migration)
        return
      case 'round-trip':
        printRoundTrip(out, e.direction, e.result)
        return
      case 'replayed':
        out.log(`Replayed ${e.name}`, 'detail')
        return
      case 'prerequisite':
        out.log(`Prerequisite applied: ${e.file}`)
        return
      case 'stale-dropped':
        out.log(`Dropped ${plural(e.names.length, 'scratch database', 'scratch databases')} left by a killed check (unused, over an hour old): ${e.names.join(', ')}`, 'warn')
        return
    }
  }
}

const STATUS_WORD: Record<MigrationCheck['status'], string> = {
  ok: 'ok',
  'not-restored': 'down does not restore the schema',
  failed: 'FAILED',
  skipped: 'skipped',
  'no-down': 'no down file',
  applied: 'applied (forward-only)',
  'not-run': 'not run',
}

/** Every value of a repeatable flag (`--setup a.sql --setup b.sql`), in order. */
function repeated(ctx: Context, name: string): string[] {
  const v = ctx.flags[name]
  if (v === undefined) return []
  return (Array.isArray(v) ? v : [v]).map((x) => {
    const s = optionString(x)
    if (s === undefined || s === '' || typeof x === 'boolean') throw new ConfigError(`--${name} needs a value`, 'USAGE')
    return s
  })
}

function printMigration(ctx: Context, m: MigrationCheck, index: string): void {
  const { out } = ctx
  const t = m.timings
  const times = m.status === 'ok' || m.status === 'not-restored' ? ` (up ${ms(t.upMs)}, down ${ms(t.downMs)}, up again ${ms(t.reupMs)}, snapshots ${ms(t.snapshotMs)})` : ''
  const kind = m.status === 'ok' || m.status === 'applied' ? 'success' : m.status === 'not-run' ? 'info' : m.status === 'skipped' || m.status === 'no-down' ? 'warn' : 'error'
  out.log(`${index} ${m.name}: ${STATUS_WORD[m.status]}${times}`, kind)
  for (const d of m.differences) out.log(`  ${d.message}`, 'error')
  for (const d of m.columnOrder ?? []) out.log(`  note: ${d.message} (PostgreSQL adds a column at the end; --strict-column-order makes this a failure)`, 'warn')
  if (m.error) {
    out.log(`  ${m.failedAt ? `${m.failedAt}: ` : ''}${m.error.message}`, 'error')
    for (const line of m.error.details) out.log(`    ${line}`, 'error')
  }
  if (m.reason && m.status !== 'not-run') out.log(`  ${m.reason}`, m.status === 'applied' ? 'detail' : 'warn')
  for (const r of m.rewrites) out.log(`  ${r.file}:${r.line}:${r.column}: ran ${r.from} as ${r.to} (${r.reason})`, 'detail')
  for (const n of m.notes ?? []) out.log(`  ${n}`, 'detail')
}

function printRoundTrip(out: Output, direction: 'down' | 'up', r: RoundTripCheck): void {
  const what = direction === 'down' ? 'Rolling back every migration' : 'Applying every migration again'
  const word = r.status === 'ok' ? 'ok' : r.status === 'not-restored' ? 'schema differs' : r.status === 'failed' ? 'FAILED' : 'not run'
  out.log(`${what}: ${word}${r.status === 'not-run' ? '' : ` (${ms(r.ms)})`}`, r.status === 'ok' ? 'success' : r.status === 'not-run' ? 'info' : 'error')
  for (const d of r.differences) out.log(`  ${d.message}`, 'error')
  for (const d of r.columnOrder ?? []) out.log(`  note: ${d.message}`, 'warn')
  if (r.error) {
    out.log(`  ${r.error.message}`, 'error')
    for (const line of r.error.details) out.log(`    ${line}`, 'error')
  }
}

function printCheck(ctx: Context, r: CheckResult): void {
  const { out } = ctx
  if (out.json) out.jsonDocument(r)
  if (out.github) annotate(ctx, r)
  if (out.github) annotateTrace(out, r)
  if (out.json) return
  printReview(out, r)
  const round = r.roundTrip
  if (round.down.status === 'not-run') out.log(`Round trip (all down, all up again): ${round.down.reason ?? 'not run'}`)
  out.log(`Timings: ${engineTimings(r.engine, r.timings.engine)}; migrations ${ms(r.timings.migrationsMs)}; round trip ${ms(r.timings.roundTripMs)}; snapshots ${ms(r.timings.snapshotMs)} of that; total ${ms(r.timings.totalMs)}`)
  const count = (s: MigrationCheck['status']) => r.migrations.filter((m) => m.status === s).length
  const notes = r.migrations.filter((m) => (m.columnOrder?.length ?? 0) > 0).length
  if (r.ok && r.forwardOnly) {
    out.log(`Check passed (forward-only: no down files): every up applies in order from empty (${r.migrations.length} migrations)`, 'success')
    return
  }
  if (r.ok) {
    const note = notes > 0 ? `; note: ${plural(notes, 'down re-adds a column at the end of its table', 'downs re-add a column at the end of their table')}` : ''
    out.log(`Check passed: every down restores the schema its up started from (${r.migrations.length} migrations)${note}`, 'success')
    return
  }
  const parts = [
    plural(count('not-restored'), 'down does not restore its up', 'downs do not restore their up'),
    plural(count('failed'), 'migration failed', 'migrations failed'),
    plural(count('skipped'), 'migration skipped', 'migrations skipped'),
    plural(count('no-down'), 'migration has no down file', 'migrations have no down file'),
    round.down.status === 'not-restored' || round.up.status === 'not-restored' ? 'the full round trip does not restore the schema' : '',
    round.down.status === 'failed' || round.up.status === 'failed' ? 'the full round trip failed' : '',
    plural(r.trace?.violations.length ?? 0, 'statement fails --fail-on', 'statements fail --fail-on'),
  ].filter(Boolean)
  out.log(`Check ${r.complete ? 'failed' : 'incomplete'}: ${parts.join(', ')}`, 'error')
}

/** After each major's check (printed as it ended): one line per migration whose outcome differs between majors. */
function printVersions(ctx: Context, r: VersionsResult): void {
  const { out } = ctx
  if (out.json) {
    out.jsonDocument(r)
    return
  }
  const versions = r.results.map((x) => x.serverVersion).join(', ')
  if (r.differences.length === 0) {
    out.log(`Same outcome on PostgreSQL ${versions}`, 'success')
    return
  }
  out.log(`Outcomes differ between PostgreSQL ${versions} (${plural(r.differences.length, 'difference', 'differences')}):`, 'error')
  for (const d of r.differences) out.log(`  ${d.message}`, 'error')
  if (out.github) for (const d of r.differences) out.annotation('error', d.message)
}

function printDrift(ctx: Context, r: DriftResult): void {
  const { out } = ctx
  if (out.json) out.jsonDocument(r)
  else {
    for (const w of r.warnings) out.log(`Warning: ${w}`, 'warn')
    if (r.error) {
      out.log(`Replaying the applied migrations failed: ${r.error.message}`, 'error')
      for (const line of r.error.details) out.log(`  ${line}`, 'error')
    }
    for (const d of r.differences) out.log(`  ${d.message}`, 'error')
    const t = r.timings
    out.log(`Timings: ${engineTimings('server', t.engine)}; replay ${ms(t.replayMs)}; snapshots ${ms(t.snapshotMs)}; total ${ms(t.totalMs)}`)
    const n = `${r.replayed.length} applied migration${r.replayed.length === 1 ? '' : 's'}`
    if (r.ok) out.log(`No drift: the live database matches its ${n}`, 'success')
    else if (r.differences.length > 0) out.log(`Drift: ${plural(r.differences.length, 'difference', 'differences')} between the live database and its ${n}`, 'error')
    else out.log('Drift check incomplete: see the warnings above', 'error')
  }
  if (out.github) for (const d of r.differences) out.annotation('error', d.message)
}

/** `::error file=...::down of 004 leaves column ...` at the down file; failures at file:line:col. */
function annotate(ctx: Context, r: CheckResult): void {
  const { out } = ctx
  const path = (file: string) => out.annotationPath(file)
  for (const m of r.migrations) {
    for (const d of m.differences) out.annotation('error', d.message, { file: path(m.downFile ?? m.upFile) })
    if (m.error) out.annotation('error', m.error.message, { file: path(m.error.file ?? m.upFile), line: m.error.line, col: m.error.column })
    if (m.status === 'skipped' || m.status === 'no-down') out.annotation('warning', m.reason ?? m.status, { file: path(m.upFile) })
    for (const d of m.columnOrder ?? []) out.annotation('notice' as 'warning', d.message, { file: path(m.downFile ?? m.upFile) })
  }
  for (const half of [r.roundTrip.down, r.roundTrip.up]) {
    for (const d of half.differences) out.annotation('error', d.message)
    if (half.error) out.annotation('error', half.error.message, { file: half.error.file ? path(half.error.file) : undefined, line: half.error.line, col: half.error.column })
  }
}

function engineTimings(engine: 'embedded' | 'server' | 'postgres', t: EngineTimings): string {
  if (engine === 'postgres') return `engine ${ms(t.totalMs)} (initdb ${ms(t.initdbMs ?? 0)}, start ${ms(t.startMs ?? 0)}, create database ${ms(t.createMs ?? 0)})`
  if (engine === 'server') return `engine ${ms(t.totalMs)} (connect ${ms(t.connectMs ?? 0)}, create database ${ms(t.createMs ?? 0)})`
  const boot = t.dataDir === 'cache' ? 'start from cached data directory' : 'initdb'
  const cache = t.cacheWriteMs !== undefined ? `, cache write ${ms(t.cacheWriteMs)}` : ''
  return `engine ${ms(t.totalMs)} (decode ${ms(t.decodeMs ?? 0)}, compile ${ms(t.compileMs ?? 0)}, ${boot} ${ms(t.bootMs ?? 0)}${cache})`
}

function ms(v: number): string {
  return formatMs(Math.round(v))
}

function plural(n: number, one: string, many: string): string {
  return n === 0 ? '' : `${n} ${n === 1 ? one : many}`
}
