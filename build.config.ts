import { createHash } from 'node:crypto'
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { brotliCompress, constants as zlib, gzipSync } from 'node:zlib'
import { build as esbuild } from 'esbuild'
import { defineConfig } from 'tsup'

const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }

/**
 * libpg-query (lint's parser) loads `libpg-query.wasm` from beside its own
 * file, which in a one-file bundle is a file nobody copied. This plugin
 * puts the .wasm inside the bundle instead: gzipped and base64-encoded
 * (1.7 MB -> ~0.45 MB), decoded only when lint first parses. The loader's
 * `getWasmBinary` is the emscripten hook that reads the file; the build
 * fails if a libpg-query upgrade renames it, rather than ship a CLI whose
 * lint breaks outside this directory.
 */
const inlineLibpgQueryWasm = {
  name: 'inline-libpg-query-wasm',
  setup(build: { onLoad(o: { filter: RegExp }, f: (a: { path: string }) => { contents: string; loader: 'js' }): void }) {
    build.onLoad({ filter: /libpg-query[\\/]wasm[\\/]libpg-query\.js$/ }, ({ path }) => {
      const source = readFileSync(path, 'utf8')
      const hook = 'async function getWasmBinary(binaryFile){'
      if (!source.includes(hook)) throw new Error(`${path}: no "${hook}" to inline the .wasm into; update build.config.ts`)
      const wasm = gzipSync(readFileSync(join(dirname(path), 'libpg-query.wasm')), { level: 9 }).toString('base64')
      const inline = `${hook}return require("node:zlib").gunzipSync(Buffer.from(${JSON.stringify(wasm)},"base64"));`
      return { contents: source.replace(hook, inline), loader: 'js' }
    })
  },
}

/**
 * PGlite (check's embedded engine) looks for pglite.wasm, initdb.wasm,
 * pglite.data and its extension tarballs beside its own file. The one-file
 * CLI carries them instead, in one comment after its last line:
 * `/*! link-migrate:pglite-assets {json} *\/`, the wasm and data files
 * brotli-compressed (15 MB -> 3.7 MB), the tarballs as shipped (gzip), all
 * base64. A comment because every command pays for what Node parses: a
 * top-level comment is only skipped over (~15 ms for 7 MB), where string
 * literals inside the bundle's wrapper function were parsed twice (~65 ms
 * on every `--version`). src/check/inlined.ts becomes a loader that reads
 * the comment back from the bundle's own file, only when check starts the
 * embedded engine; check hands the files to PGlite through its own options
 * (pgliteWasmModule, initdbWasmModule, fsBundle, extension bundlePath). `/*!`
 * marks a legal comment, which `bun build --minify` keeps in the binary.
 * Brotli at quality 11 takes ~40 s, so its output is cached in
 * node_modules/.cache by the input's hash. The library build keeps PGlite
 * external and lets it load its own files.
 */
const PGLITE_DIST = 'node_modules/@electric-sql/pglite/dist'
const PGLITE_MARK = '/*! link-migrate:pglite-assets '
/**
 * Extension tarballs inlined: what migrations create; not the inspection
 * and debugging modules (amcheck, pageinspect, pg_buffercache, ...), nor
 * pg_stat_statements (needs shared_preload_libraries). `spi` holds
 * moddatetime, autoinc, insert_username and refint.
 */
const PGLITE_EXTENSIONS = [
  'bloom', 'btree_gin', 'btree_gist', 'citext', 'cube', 'dict_int', 'dict_xsyn', 'earthdistance', 'fuzzystrmatch',
  'hstore', 'intarray', 'isn', 'lo', 'ltree', 'pg_trgm', 'pgcrypto', 'seg', 'spi', 'tablefunc', 'tcn',
  'tsm_system_rows', 'tsm_system_time', 'unaccent', 'uuid-ossp',
]

async function brotliCached(name: string, input: Buffer): Promise<string> {
  const digest = createHash('sha256').update(input).digest('hex').slice(0, 24)
  const cached = join('node_modules/.cache/link-migrate-build', `${name}-${digest}.br`)
  if (existsSync(cached)) return readFileSync(cached).toString('base64')
  const out = await promisify(brotliCompress)(input, {
    params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_LGWIN]: 24, [zlib.BROTLI_PARAM_SIZE_HINT]: input.length },
  })
  mkdirSync(dirname(cached), { recursive: true })
  writeFileSync(cached + '.tmp', out)
  renameSync(cached + '.tmp', cached)
  return out.toString('base64')
}

/**
 * PGlite's own JavaScript (~0.6 MB), as one CommonJS function body: it goes
 * into the assets comment too, so commands other than check do not parse it.
 */
async function pgliteModule(): Promise<Buffer> {
  const out = await esbuild({
    entryPoints: [join(PGLITE_DIST, 'index.js')],
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    minify: true,
    write: false,
    logLevel: 'silent',
    // The loader passes the bundle's own URL (PGlite never reads files through it: they are handed over).
    define: { 'import.meta.url': '__bundleUrl' },
  })
  // Code compiled with vm has no import(): PGlite's `await import("fs")` (Node
  // built-ins only) goes to a function the loader passes. Not esbuild's
  // require() conversion: emscripten's glue declares its own `var require`.
  const code = out.outputFiles[0]!.text.replace(/\bimport\((?="(?:node:)?[a-z/_]+"\))/g, '__import(')
  const left = /\bimport\(/.exec(code)
  if (left) throw new Error(`PGlite's code has an import() the loader cannot serve: ${code.slice(left.index, left.index + 60)}`)
  return Buffer.from(code)
}

/** Appends the assets comment to the built CLI (tsup onSuccess). */
async function appendPgliteAssets(): Promise<void> {
  const { version: pgliteVersion } = JSON.parse(readFileSync(join(PGLITE_DIST, '..', 'package.json'), 'utf8')) as { version: string }
  // In parallel: zlib runs them on the thread pool.
  const [pgliteWasm, initdbWasm, fsBundle, pgliteJs] = await Promise.all([
    ...['pglite.wasm', 'initdb.wasm', 'pglite.data'].map((f) => brotliCached(f, readFileSync(join(PGLITE_DIST, f)))),
    pgliteModule().then((code) => brotliCached('pglite.cjs', code)),
  ])
  const extensions: Record<string, string> = {}
  for (const name of PGLITE_EXTENSIONS) extensions[name] = readFileSync(join(PGLITE_DIST, `${name}.tar.gz`)).toString('base64')
  const json = JSON.stringify({ version: pgliteVersion, pgliteJs, pgliteWasm, initdbWasm, fsBundle, extensions })
  // base64 and these keys never hold "*/", which would end the comment.
  if (json.includes('*/')) throw new Error('PGlite assets would end their comment early')
  appendFileSync('dist/link-migrate.cjs', `${PGLITE_MARK}${json} */\n`)
}

/**
 * In the CLI: src/check/inlined.ts reads the assets comment back (null when
 * the file has none), and `@electric-sql/pglite` is PGlite's code from it.
 */
const pgliteFromAssets = {
  name: 'pglite-from-assets',
  setup(build: {
    onResolve(o: { filter: RegExp }, f: () => { path: string; namespace: string }): void
    onLoad(o: { filter: RegExp; namespace?: string }, f: () => { contents: string; loader: 'js'; resolveDir?: string }): void
  }) {
    build.onLoad({ filter: /src[\\/]check[\\/]inlined\.ts$/ }, () => ({
      loader: 'js',
      contents: `
        import { readFileSync } from 'node:fs'
        import { fileURLToPath } from 'node:url'
        const MARK = ${JSON.stringify(PGLITE_MARK)}
        let assets
        export function inlinedAssets() {
          if (assets !== undefined) return assets
          const text = readFileSync(fileURLToPath(import.meta.url), 'latin1')
          const at = text.lastIndexOf(MARK)
          assets = at < 0 ? null : JSON.parse(text.slice(at + MARK.length, text.indexOf(' */', at)))
          return assets
        }
      `,
    }))
    build.onResolve({ filter: /^@electric-sql\/pglite$/ }, () => ({ path: 'pglite', namespace: 'pglite-from-assets' }))
    build.onLoad({ filter: /.*/, namespace: 'pglite-from-assets' }, () => ({
      loader: 'js',
      resolveDir: process.cwd(),
      contents: `
        import { inlinedAssets } from './src/check/inlined.ts'
        import { brotliDecompressSync } from 'node:zlib'
        import { runInThisContext } from 'node:vm'
        const inlined = inlinedAssets()
        if (!inlined) throw new Error('this copy of link-migrate has lost its embedded engine (the PGlite files at the end of the file are gone); reinstall it, or run check on a server with --database-url')
        const code = brotliDecompressSync(Buffer.from(inlined.pgliteJs, 'base64')).toString('utf8')
        const run = runInThisContext('(function (module, exports, require, __import, __bundleUrl) {' + code + '\\n})', { filename: 'pglite.cjs' })
        const m = { exports: {} }
        const load = require
        run(m, m.exports, load, (id) => Promise.resolve(load(id)), import.meta.url)
        export const PGlite = m.exports.PGlite
      `,
    }))
  },
}

export default defineConfig([
  // The library: ESM + .d.ts; postgres stays an external dependency.
  {
    entry: { index: 'src/index.ts' },
    format: ['esm'],
    dts: true,
    // One file, as package.json "files" ships it: a dynamic import (check's
    // embedded engine) must not become a chunk of its own. PGlite itself
    // stays external and is loaded only when check runs on it.
    splitting: false,
    target: 'node20',
    platform: 'node',
    sourcemap: false,
    clean: false,
    outDir: 'dist',
    define: { __VERSION__: JSON.stringify(version) },
  },
  // The CLI: one executable CommonJS file with every dependency inside.
  // Commands import() their heavy parts; esbuild keeps those modules
  // uninitialised until the command that needs them runs.
  {
    entry: { 'link-migrate': 'src/cli/bin.ts' },
    format: ['cjs'],
    outExtension: () => ({ js: '.cjs' }),
    target: 'node20',
    platform: 'node',
    noExternal: [/.*/],
    splitting: false,
    sourcemap: false,
    minify: false,
    clean: false,
    outDir: 'dist',
    // Copied without its extension (`./migrate`) under a package.json with
    // "type": "module", Node >= 20.10 reads this file as ESM, where `require`
    // does not exist. The whole bundle runs inside a function that is handed
    // the CommonJS require, or one made by createRequire in that case.
    banner: {
      js: [
        '#!/usr/bin/env node',
        // A parenthesized function expression: V8 compiles it at once. An
        // unparenthesized callback is pre-parsed with the script and parsed
        // again when it runs: every byte of the bundle twice, ~9 ms of CPU
        // on each start (measured on --version).
        '(typeof require === "function" ? Promise.resolve(require) : import("node:module").then((m) => m.createRequire(process.argv[1] || process.cwd() + "/"))).then((function (require) {',
        // The bundle's own "use strict" comes after the next line, too late to count.
        '"use strict";',
        // import.meta.url (see define below): this file's URL, however it was loaded.
        'const __bundleUrl = require("node:url").pathToFileURL(typeof __filename === "string" ? __filename : process.argv[1] || process.cwd() + "/").href;',
      ].join('\n'),
    },
    footer: { js: '}));' },
    // PGlite's emscripten glue calls createRequire(import.meta.url) as soon
    // as it starts, which a CommonJS bundle leaves undefined; the assets
    // loader reads this file through it. (PGlite never uses it to find its
    // files: they are handed over.)
    define: { __VERSION__: JSON.stringify(version), 'import.meta.url': '__bundleUrl' },
    esbuildPlugins: [inlineLibpgQueryWasm, pgliteFromAssets],
    onSuccess: appendPgliteAssets,
  },
])
