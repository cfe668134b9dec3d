import { isAbsolute, join, relative } from 'node:path'
import kleur from 'kleur'
import { databaseConfigured } from '../../check/engine.js'
import { resolveConnection } from '../../config/resolve.js'
import { ConfigError, EXIT } from '../../errors.js'
import { lint, RULES, type LintFinding, type LintOptions, type LintResult } from '../../lint/index.js'
import { createMigrator } from '../../migrator.js'
import type { Context } from '../context.js'
import { parseDuration } from '../values.js'

/**
 * `lint [files...]`: offline checks (SPEC 7), no database and no
 * configuration. Files given as arguments are linted as a set (the others
 * are their "earlier migrations"); else the migrations directory. The new
 * batch (whose tables are new) comes from --new-since / --assume-applied,
 * --git-base, or the applied set of a database (--database-url,
 * --against-db): the only case where lint connects. Exit 1 when any
 * finding is an error.
 */
export default async function lintCommand(ctx: Context, args: string[]): Promise<number> {
  const { out } = ctx
  const explain = ctx.str('explain')
  if (explain !== undefined) return explainRule(ctx, explain)
  if (ctx.flags.trace === true) {
    // The same rehearsal as `check --locks`, lint's lock findings confirmed or not.
    if (args.length > 0) throw new ConfigError('lint --trace rehearses the migrations directory: give --dir, not files', 'USAGE')
    return (await import('./check.js')).default(ctx)
  }
  if (ctx.str('fail-on') !== undefined) throw new ConfigError('--fail-on needs --trace (the conditions are on the lock trace)', 'USAGE')
  if (args.length > 0 && ctx.str('dir') !== undefined) {
    throw new ConfigError('lint takes either --dir or files, not both', 'USAGE')
  }
  const ddl = ctx.str('ddl-lock-timeout')
  const newSince = ctx.int('new-since', '--new-since')
  const assumeApplied = ctx.int('assume-applied', '--assume-applied')
  if (newSince !== undefined && assumeApplied !== undefined && newSince !== assumeApplied) {
    throw new ConfigError(`--new-since ${newSince} and --assume-applied ${assumeApplied} say different things; give one`, 'USAGE')
  }
  const options: LintOptions = {
    newSince: newSince ?? assumeApplied,
    gitBase: ctx.str('git-base'),
    ddlLockTimeout: ddl === undefined ? undefined : parseDuration('--ddl-lock-timeout', ddl),
    // As up will run them (flag or MIGRATE_ALLOW_TRANSACTION_CONTROL=1); else the config file's default.
    ...(ctx.migratorSettings.allowTransactionControl ? { allowTransactionControl: true } : {}),
  }
  if (ctx.str('database-url') !== undefined || ctx.flags.againstDb === true) {
    if (args.length > 0) throw new ConfigError('lint --against-db reads the applied set of the migrations directory: give --dir, not files', 'USAGE')
    options.appliedVersions = await appliedVersions(ctx)
  }
  const result = args.length > 0 ? await lint({ files: args, cwd: ctx.cwd }, options) : await ctx.migrator().lint(options)

  // Findings name files relative to the directory (or as given); people and
  // CI annotations want them relative to where lint was run.
  const base = args.length > 0 ? undefined : ctx.target?.dir
  const shown = (file: string): string => {
    if (base === undefined) return file
    const rel = relative(ctx.cwd, join(base, file))
    return rel.startsWith('..') || isAbsolute(rel) ? join(base, file) : rel
  }

  if (out.json) out.jsonDocument(result)
  else if (out.github) {
    for (const f of result.findings) {
      // GitHub knows `notice` too; Output.annotation prints the level as given.
      const level = (f.severity === 'info' ? 'notice' : f.severity) as 'error' | 'warning'
      out.annotation(level, `${f.message} [${f.rule}]`, { file: shown(f.file), line: f.line, col: f.column })
    }
  } else {
    const shownFindings = result.findings.filter((f) => !(out.quiet && f.severity === 'info'))
    for (const f of shownFindings) {
      out.print(`${shown(f.file)}:${f.line}:${f.column}  ${paint(f)}  ${kleur.dim(f.rule)}  ${f.message}`)
    }
    // Then each rule's advice and docs anchor once, indented so that
    // problem matchers keyed on `file:line:col` skip these lines.
    if (!out.quiet) {
      const rules = new Map(shownFindings.map((f) => [f.rule, f]))
      for (const [rule, f] of rules) out.print(`  ${kleur.dim(rule)}: ${f.advice} (${f.docs}; lint --explain ${rule})`)
    }
  }
  if (!out.json) out.log(summary(result), result.findings.length > 0 ? 'warn' : 'success')
  return result.ok ? EXIT.ok : EXIT.failure
}

/**
 * The versions the configured database has applied for the service
 * (`--database-url`, or `--against-db` with DATABASE_URL / DB_* / PG*):
 * every other migration is the new batch. Reads only.
 */
async function appliedVersions(ctx: Context): Promise<number[]> {
  const connection = resolveConnection({ databaseUrl: ctx.str('database-url'), env: ctx.env })
  ctx.out.addSecret(connection.password)
  if (!databaseConfigured(connection, ctx.env)) {
    throw new ConfigError('lint --against-db reads the applied migrations from a database: set DATABASE_URL (or DB_*, PGHOST) or give --database-url', 'USAGE')
  }
  const wait = ctx.int('wait', '--wait')
  const migrator = createMigrator({
    dir: ctx.target!.dir,
    service: ctx.target!.service,
    connection,
    env: ctx.env,
    trackingSchema: ctx.str('tracking-schema'),
    ...(wait === undefined ? {} : { waitForDatabase: wait * 1000 }),
  })
  try {
    const status = await migrator.status()
    // Recorded ones (an interrupted up is not applied).
    return status.migrations.filter((m) => m.appliedAt !== null).map((m) => m.version)
  } finally {
    await migrator.close()
  }
}

/**
 * `lint --explain RULE`: the rule's catalogue entry (as README has it), so
 * a finding can be looked up next to a copied `./migrate` with no docs at
 * hand. Exit 2 for an unknown rule, naming the rules.
 */
async function explainRule(ctx: Context, id: string): Promise<number> {
  const rule = RULES.find((r) => r.id === id)
  if (!rule) throw new ConfigError(`--explain ${id}: no such rule; the rules: ${RULES.map((r) => r.id).join(', ')}`, 'USAGE')
  const { EXAMPLES } = await import('../../lint/examples.js')
  const ex = EXAMPLES[rule.id] ?? { bad: '', good: '' }
  if (ctx.out.json) {
    ctx.out.jsonDocument({ rule: rule.id, severity: rule.severity, advice: rule.docs, why: rule.why, bad: ex.bad, good: ex.good, docs: `README.md#${rule.id}` })
    return EXIT.ok
  }
  const indent = (text: string) => text.split('\n').map((l) => `    ${l}`).join('\n')
  ctx.out.print(
    [
      `${kleur.bold(rule.id)} (${rule.severity})`,
      '',
      `Fix: ${rule.docs}.`,
      '',
      rule.why,
      '',
      'Bad:',
      indent(ex.bad),
      '',
      'Good:',
      indent(ex.good),
      '',
      `More: README.md#${rule.id}. Silence it for one statement with -- link-migrate:allow ${rule.id}, or set its level in link-migrate.json.`,
    ].join('\n'),
  )
  return EXIT.ok
}

function paint(f: LintFinding): string {
  return f.severity === 'error' ? kleur.red(f.severity) : f.severity === 'warning' ? kleur.yellow(f.severity) : kleur.cyan(f.severity)
}

/** `2 errors, 1 warning, 0 notes in 12 files`. */
function summary(r: LintResult): string {
  const n = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`
  return `Lint: ${n(r.errors, 'error')}, ${n(r.warnings, 'warning')}, ${n(r.infos, 'note')} in ${n(r.files, 'file')}`
}
