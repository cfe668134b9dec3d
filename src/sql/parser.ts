/**
 * PostgreSQL's own parser (libpg-query: the server's grammar compiled to
 * WASM), loaded on first use only: `lint` and `check` need it, `up` and
 * `--version` must not pay for it. In the one-file CLI the .wasm is read
 * from the end of the file (src/assets/inlined.ts, build.config.ts).
 */
import type { Node } from 'libpg-query'
import { inlinedAssets } from '../assets/inlined.js'
import { MigrateError } from '../errors.js'

/** A statement the parser accepted: its AST nodes (one for a statement from our splitter). */
export interface Parsed {
  nodes: Node[]
}

/** A statement the parser refused. */
export interface ParseFailure {
  message: string
  /** 0-based offset in code points into the parsed text, when the parser gave one. */
  position?: number
}

/** Parses one SQL statement. Never throws for bad SQL: it returns a ParseFailure. */
export type ParseStatement = (sql: string) => Parsed | ParseFailure

let loading: Promise<ParseStatement> | undefined

/**
 * Loads libpg-query once and returns a synchronous statement parser.
 * Rejects only when the module itself cannot load (a broken install).
 *
 * @example
 * const parse = await loadParser()
 * parse('alter table t drop column a') // { nodes: [{ AlterTableStmt: ... }] }
 */
export function loadParser(): Promise<ParseStatement> {
  return (loading ??= (async () => {
    // The one-file CLI reads the .wasm from the end of its own file.
    if (inlinedAssets() === null) {
      throw new MigrateError('FILE_INVALID', "this copy of link-migrate has lost lint's parser (the files at the end of the file are gone: was it cut?); reinstall it")
    }
    // The parser is one huge generated function: V8's optimising tier spends
    // far longer compiling it than parsing ever takes (2,000 statements: 1.6 s
    // with tier-up, 0.08 s with the baseline compiler alone), and Node waits
    // for that background compile before it can exit. So the module is
    // compiled by the baseline compiler only; the flag is restored at once
    // for any other WebAssembly in the process.
    const baselineOnly = await setV8Flag('--liftoff-only')
    try {
      const pg = await import('libpg-query')
      await pg.loadModule()
      return parser(pg)
    } finally {
      if (baselineOnly) await setV8Flag('--no-liftoff-only')
    }
  })())
}

type LibpgQuery = typeof import('libpg-query')

/** Sets a V8 flag unless node was started with it; false where that is not possible (Bun). */
async function setV8Flag(flag: string): Promise<boolean> {
  if (process.execArgv.some((a) => a.includes('liftoff'))) return false
  try {
    const v8 = await import('node:v8')
    v8.setFlagsFromString(flag)
    return true
  } catch {
    return false
  }
}

/** The synchronous parser over a loaded libpg-query. */
function parser(pg: LibpgQuery): ParseStatement {
  return (sql: string): Parsed | ParseFailure => {
    try {
      const result = pg.parseSync(sql)
      return { nodes: (result.stmts ?? []).flatMap((s) => (s.stmt ? [s.stmt] : [])) }
    } catch (e) {
      // libpg-query's SqlError: cursorPosition is 0-based, in characters.
      const details = (e as { sqlDetails?: { cursorPosition?: number } }).sqlDetails
      const message = e instanceof Error ? e.message : String(e)
      return details?.cursorPosition !== undefined ? { message, position: details.cursorPosition } : { message }
    }
  }
}

/** True for a {@link ParseFailure}. */
export function isFailure(p: Parsed | ParseFailure): p is ParseFailure {
  return 'message' in p
}
