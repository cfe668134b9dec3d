import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { brotliCompress, constants as zlib, gzipSync } from 'node:zlib'
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
 * pglite.data and its extension tarballs beside its own file. In the
 * one-file CLI this plugin replaces src/check/inlined.ts with a module
 * that holds them: the wasm and data files brotli-compressed (15 MB ->
 * 3.7 MB), the tarballs as shipped (already gzip), all base64. check
 * hands them to PGlite through its own options (pgliteWasmModule,
 * initdbWasmModule, fsBundle, extension bundlePath); nothing else decodes
 * them. Brotli at quality 11 takes ~40 s, so its output is cached in
 * node_modules/.cache by the input's hash. The library build keeps PGlite
 * external and lets it load its own files.
 */
const PGLITE_DIST = 'node_modules/@electric-sql/pglite/dist'
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

async function brotliCached(file: string): Promise<string> {
  const input = readFileSync(join(PGLITE_DIST, file))
  const digest = createHash('sha256').update(input).digest('hex').slice(0, 24)
  const cached = join('node_modules/.cache/link-migrate-build', `${file}-${digest}.br`)
  if (existsSync(cached)) return readFileSync(cached).toString('base64')
  const out = await promisify(brotliCompress)(input, {
    params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_LGWIN]: 24, [zlib.BROTLI_PARAM_SIZE_HINT]: input.length },
  })
  mkdirSync(dirname(cached), { recursive: true })
  writeFileSync(cached + '.tmp', out)
  renameSync(cached + '.tmp', cached)
  return out.toString('base64')
}

const inlinePglite = {
  name: 'inline-pglite',
  setup(build: { onLoad(o: { filter: RegExp }, f: () => Promise<{ contents: string; loader: 'js' }>): void }) {
    build.onLoad({ filter: /src[\\/]check[\\/]inlined\.ts$/ }, async () => {
      const { version: pgliteVersion } = JSON.parse(readFileSync(join(PGLITE_DIST, '..', 'package.json'), 'utf8')) as { version: string }
      // In parallel: zlib runs them on the thread pool.
      const [pgliteWasm, initdbWasm, fsBundle] = await Promise.all(['pglite.wasm', 'initdb.wasm', 'pglite.data'].map(brotliCached))
      const extensions: Record<string, string> = {}
      for (const name of PGLITE_EXTENSIONS) extensions[name] = readFileSync(join(PGLITE_DIST, `${name}.tar.gz`)).toString('base64')
      const assets = { version: pgliteVersion, pgliteWasm, initdbWasm, fsBundle, extensions }
      return { contents: `export const inlined = ${JSON.stringify(assets)};\n`, loader: 'js' }
    })
  },
}

export default defineConfig([
  // The library: ESM + .d.ts; postgres stays an external dependency.
  {
    entry: { index: 'src/index.ts' },
    format: ['esm'],
    dts: true,
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
        '(typeof require === "function" ? Promise.resolve(require) : import("node:module").then((m) => m.createRequire(process.argv[1] || process.cwd() + "/"))).then((require) => {',
        // import.meta.url (see define below): this file's URL, however it was loaded.
        'const __bundleUrl = require("node:url").pathToFileURL(typeof __filename === "string" ? __filename : process.argv[1] || process.cwd() + "/").href;',
      ].join('\n'),
    },
    footer: { js: '});' },
    // PGlite's emscripten glue calls createRequire(import.meta.url) as soon
    // as it starts, which a CommonJS bundle leaves undefined. (Its files are
    // inlined, so the URL is never used to find them.)
    define: { __VERSION__: JSON.stringify(version), 'import.meta.url': '__bundleUrl' },
    esbuildPlugins: [inlineLibpgQueryWasm, inlinePglite],
  },
])
