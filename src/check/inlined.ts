/**
 * PGlite's files inside the one-file CLI. This module is a placeholder:
 * the CLI build (build.config.ts) replaces it with a loader that reads
 * pglite.wasm, initdb.wasm and pglite.data (brotli, base64) and the
 * extension tarballs (gzip as shipped, base64) from a comment at the end of
 * the bundle (null when that comment is missing). In the library build it
 * stays undefined and PGlite loads its own files from node_modules.
 */

/** The inlined files; strings are base64. */
export interface InlinedAssets {
  /** `@electric-sql/pglite` version the files come from. */
  version: string
  /** brotli-compressed: PGlite's own JavaScript as one CommonJS function body. */
  pgliteJs: string
  /** brotli-compressed */
  pgliteWasm: string
  /** brotli-compressed */
  initdbWasm: string
  /** brotli-compressed pglite.data */
  fsBundle: string
  /** Tarball name without `.tar.gz` (`uuid-ossp`, `spi`) -> the gzip tarball. */
  extensions: Record<string, string>
}

/** The inlined files (read on first call), null when the bundle lost them, undefined outside the bundle. */
export function inlinedAssets(): InlinedAssets | null | undefined {
  return undefined
}
