/**
 * The `--json` contract (README "JSON output", schemas/*.schema.json): every
 * document and every JSON line carries `schemaVersion`; an error is always
 * the same object; `up`/`down` end with a `result` line, also when they
 * fail or are interrupted. Within one schemaVersion fields are only added,
 * never removed or retyped.
 */
import { isMigrateError } from '../errors.js'
import type { MigrationResult } from '../types.js'

/** Bumped when a field is removed, renamed or changes type. */
export const SCHEMA_VERSION = 1

/** The error object of every `--json` output (schemas/common.schema.json#/$defs/error). */
export interface JsonError {
  code: string
  message: string
  details: string[]
  /** The migration file it points at, else null; line/column in that file. */
  file: string | null
  line: number | null
  column: number | null
  /** PostgreSQL's SQLSTATE when the server raised it. */
  sqlState: string | null
  /** 1-based number of the failing statement in its file. */
  statement?: number
  /** Every file a pre-run check refused (FileError), each at its line. */
  problems?: { file: string; line: number | null; column: number | null; message: string }[]
  /** A failed run: the migrations that completed before it (they stay applied). */
  completed?: MigrationResult[]
}

export function jsonError(e: unknown): JsonError {
  const m = isMigrateError(e) ? e : null
  const f = e as { file?: unknown; line?: unknown; column?: unknown; sqlState?: unknown; statement?: unknown; problems?: unknown; completed?: unknown } | null
  // A FileError (files refused before the run) points at its first problem.
  const problems = m && Array.isArray(f?.problems) ? (f.problems as { file: string; line?: number; column?: number; message: string; sqlState?: string }[]) : undefined
  const at = typeof f?.file === 'string' ? f : problems?.[0]
  // line/column only with a file: Bun sets them on every Error (its own source position).
  const file = typeof at?.file === 'string' ? at.file : null
  const num = (v: unknown) => (file !== null && typeof v === 'number' ? v : null)
  const out: JsonError = {
    code: m?.code ?? 'INTERNAL',
    message: m ? m.message : e instanceof Error ? e.message : String(e),
    details: m?.details ?? [],
    file,
    line: num(at?.line),
    column: num(at?.column),
    sqlState: typeof at?.sqlState === 'string' ? at.sqlState : null,
  }
  if (typeof f?.statement === 'number') out.statement = f.statement
  if (problems) {
    out.problems = problems.map((p) => ({
      file: p.file,
      line: p.line ?? null,
      column: p.column ?? null,
      message: p.message,
    }))
  }
  if (Array.isArray(f?.completed)) out.completed = f.completed as MigrationResult[]
  return out
}

/**
 * The last line of a failed or interrupted `up`/`down --json`: what did run
 * (`results`, they stay), the version recorded afterwards when known, and
 * the error. `service` is null when the run failed before it was known.
 */
export function failedRunLine(
  direction: 'up' | 'down',
  e: unknown,
  fields: { service: string | null; dryRun: boolean; exitCode: number; signal?: NodeJS.Signals },
): Record<string, unknown> {
  const err = e as { completed?: MigrationResult[]; currentVersion?: number } | null
  return {
    type: 'result',
    ok: false,
    exitCode: fields.exitCode,
    service: fields.service,
    direction,
    dryRun: fields.dryRun,
    results: Array.isArray(err?.completed) ? err.completed : [],
    currentVersion: typeof err?.currentVersion === 'number' ? err.currentVersion : null,
    warnings: [],
    ...(fields.signal ? { signal: fields.signal } : {}),
    error: jsonError(e),
  }
}
