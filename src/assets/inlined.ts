/**
 * The files the one-file CLI carries for `check` (PGlite: its code,
 * pglite.wasm, initdb.wasm, pglite.data, extension tarballs) and `lint`
 * (libpg-query.wasm). This module is a placeholder: the CLI build
 * (build.config.ts) replaces it with a loader that reads them from the
 * comment at the end of the bundle, only when one is asked for (null when
 * that comment is missing). In the library build it stays undefined and
 * PGlite and libpg-query load their own files from node_modules.
 */

/** The embedded files. */
export interface InlinedAssets {
  /** `@electric-sql/pglite` version the PGlite files come from. */
  version: string
  /** Extension tarball names without `.tar.gz` (`uuid-ossp`, `spi`). */
  extensions: string[]
  /**
   * One file's bytes, decompressed, or undefined when the bundle has no such
   * file. Names: `pglite.cjs` (PGlite's JavaScript as one CommonJS function
   * body), `pglite.wasm`, `initdb.wasm`, `pglite.data`, `libpg-query.wasm`,
   * and `ext/<name>.tar.gz` (as shipped: gzip).
   */
  file(name: string): Buffer<ArrayBuffer> | undefined
}

/** The embedded files (index read on first call), null when the bundle lost them, undefined outside the bundle. */
export function inlinedAssets(): InlinedAssets | null | undefined {
  return undefined
}
