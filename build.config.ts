import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { compileFunction } from 'node:vm'
import { promisify } from 'node:util'
import { brotliCompress, constants as zlib, gunzipSync } from 'node:zlib'
import { build as esbuild } from 'esbuild'
import { defineConfig } from 'tsup'
import { isVersionRequest } from './src/cli/version.js'

const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }

/**
 * The one-file CLI (dist/link-migrate.cjs) is, in this order:
 *
 *  1. a head of a few lines: `--version` answers there; any other command
 *     reads the code (2) back from this file with one positioned read and
 *     compiles it (vm.compileFunction, as Node's loader would);
 *  2. the CLI's code, every line behind `//`;
 *  3. one comment holding the files of `check` (PGlite's code, pglite.wasm,
 *     initdb.wasm, pglite.data, extension tarballs) and `lint`
 *     (libpg-query.wasm), brotli-compressed and base64-encoded, with an
 *     index of where each one is.
 *
 * Why: Node reads, decodes and scans every byte of the file it runs, and
 * V8 pre-parses every function of real code even when it never runs. Bytes
 * in comments are only skipped over, the cheapest thing a JavaScript file
 * can hold (measured: ~2.3 ms of CPU and ~1.7 MB of peak RSS per MB of
 * comment on this machine, where 0.6 MB of real code costs ~13 ms). So
 * `--version` compiles a few hundred bytes; `up` compiles the CLI but no
 * parser or engine (src/assets/inlined.ts reads a file out of (3) only when
 * check or lint asks for it).
 *
 * The compiled binary (`npm run build:binary`) is built from the same code
 * as real JavaScript (bun compiles it to bytecode ahead of time, which a
 * comment would defeat) with the same assets comment after it:
 * node_modules/.cache/link-migrate-build/link-migrate.bun.cjs. `/*!` marks a
 * legal comment, which `bun build --minify` keeps.
 *
 * The library build keeps PGlite and libpg-query external; they load their
 * own files from node_modules.
 */
const PGLITE_DIST = 'node_modules/@electric-sql/pglite/dist'
const LIBPG_QUERY_WASM = 'node_modules/libpg-query/wasm/libpg-query.wasm'
const ASSETS_MARK = '/*! link-migrate:assets '
const CACHE = 'node_modules/.cache/link-migrate-build'
const BUN_SOURCE = join(CACHE, 'link-migrate.bun.cjs')
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

/** Brotli at quality 11 (~40 s for PGlite's files), cached in node_modules/.cache by the input's hash. */
async function brotliCached(name: string, input: Buffer): Promise<Buffer> {
  const digest = createHash('sha256').update(input).digest('hex').slice(0, 24)
  const cached = join(CACHE, `${name.replace(/\//g, '_')}-${digest}.br`)
  if (existsSync(cached)) return readFileSync(cached)
  const out = await promisify(brotliCompress)(input, {
    params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_LGWIN]: 24, [zlib.BROTLI_PARAM_SIZE_HINT]: input.length },
  })
  mkdirSync(dirname(cached), { recursive: true })
  writeFileSync(cached + '.tmp', out)
  renameSync(cached + '.tmp', cached)
  return out
}

/**
 * Code compiled with vm has no import(): an `import("node:x")` of a Node
 * built-in becomes a require() (the only kind the bundles hold; the build
 * fails on any other).
 */
function requireBuiltins(code: string, what: string): string {
  const out = code.replace(/\bimport\(("(?:node:)?[a-z0-9/_]+")\)/g, 'Promise.resolve().then(() => require($1))')
  const left = /\bimport\(/.exec(out)
  if (left) throw new Error(`${what} has an import() the one-file CLI cannot serve: ${out.slice(left.index, left.index + 60)}`)
  return out
}

/**
 * PGlite's own JavaScript (~0.6 MB), as one CommonJS function body: it goes
 * into the assets too, so commands other than check do not parse it.
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
  // Not esbuild's require() conversion: emscripten's glue declares its own
  // `var require`; the loader passes `__import` for PGlite's `await import("fs")`.
  const code = out.outputFiles[0]!.text.replace(/\bimport\((?="(?:node:)?[a-z/_]+"\))/g, '__import(')
  const left = /\bimport\(/.exec(code)
  if (left) throw new Error(`PGlite's code has an import() the loader cannot serve: ${code.slice(left.index, left.index + 60)}`)
  return Buffer.from(code)
}

/**
 * The assets comment: `/*! link-migrate:assets {index} <base64...> *\/`,
 * the index `{"version", "extensions", "files": {name: [start, length]}}`
 * giving each file's place in the base64 text that follows the space.
 * Extension tarballs are stored as brotli of the tar (PGlite's gzip is
 * ~20 % larger) and gzipped again when written to disk.
 */
async function assetsComment(): Promise<string> {
  const { version: pgliteVersion } = JSON.parse(readFileSync(join(PGLITE_DIST, '..', 'package.json'), 'utf8')) as { version: string }
  const inputs: [string, Promise<Buffer>][] = [
    ['pglite.cjs', pgliteModule()],
    ...['pglite.wasm', 'initdb.wasm', 'pglite.data'].map((f): [string, Promise<Buffer>] => [f, Promise.resolve(readFileSync(join(PGLITE_DIST, f)))]),
    ['libpg-query.wasm', Promise.resolve(readFileSync(LIBPG_QUERY_WASM))],
    ...PGLITE_EXTENSIONS.map((e): [string, Promise<Buffer>] => [`ext/${e}.tar`, Promise.resolve(gunzipSync(readFileSync(join(PGLITE_DIST, `${e}.tar.gz`))))]),
  ]
  // In parallel: zlib runs them on the thread pool.
  const blobs = await Promise.all(inputs.map(async ([name, bytes]) => (await brotliCached(name, await bytes)).toString('base64')))
  const files: Record<string, [number, number]> = {}
  let at = 0
  inputs.forEach(([name], i) => {
    files[name] = [at, blobs[i]!.length]
    at += blobs[i]!.length
  })
  const index = JSON.stringify({ version: pgliteVersion, extensions: PGLITE_EXTENSIONS, files })
  // The loader finds the base64 after the index's first space; base64 never holds "*/".
  if (index.includes(' ') || index.includes('*/')) throw new Error(`the assets index must hold no space and no "*/": ${index}`)
  return `${ASSETS_MARK}${index} ${blobs.join('')} */\n`
}

/**
 * The head (see above). `code` is tsup's output without its shebang line:
 * the whole CLI as one expression that takes `require` (see banner below).
 * The code's place is written as fixed-width numbers, so the head's length
 * does not depend on them.
 */
function oneFile(code: string, assets: string): string {
  const lines = code.split('\n')
  if (lines.at(-1) === '') lines.pop()
  const body = lines.map((l) => `//${l}\n`).join('')
  // A line terminator inside a line would end its comment early.
  const bad = /[\r\u2028\u2029]/.exec(body)
  if (bad) throw new Error(`the CLI's code holds a ${JSON.stringify(bad[0])}, which would end a // comment: use escapes`)
  const cacheBytes = codeCache(body.replace(/^\/\//gm, ''))
  const cache = `//${cacheBytes.toString('base64')}\n`
  // Space-padded (a leading 0 is an octal literal, an error in strict code).
  const pad = (n: number) => String(n).padStart(10, ' ')
  const head = (start: number, length: number, headLines: number) =>
    [
      '#!/usr/bin/env node',
      `// link-migrate ${version}: the whole CLI in one file (see build.config.ts). This head`,
      '// answers --version; any other command reads the code that follows it',
      '// (each line behind "//", so that starting only skips over it) and runs it.',
      '// At the end, in one comment, the files of check and lint, read only by them.',
      '(function (argv, file, req) {',
      '  "use strict";',
      `  if ((${isVersionRequest.toString()})(argv)) {`,
      '    process.stdout.on("error", (e) => { if (e.code !== "EPIPE") throw e; });',
      `    process.stdout.write(${JSON.stringify(`link-migrate ${version}\n`)});`,
      '    return;',
      '  }',
      '  (req ? Promise.resolve(req) : import("node:module").then((m) => m.createRequire(file))).then((require) => {',
      '    const fs = require("node:fs");',
      `    const start = ${pad(start)}, length = ${pad(length)}, cached = ${pad(cache.length)};`,
      '    const bytes = Buffer.alloc(length + cached);',
      '    const fd = fs.openSync(file, "r");',
      '    try { fs.readSync(fd, bytes, 0, length + cached, start); } finally { fs.closeSync(fd); }',
      '    const text = bytes.toString("latin1", 0, length);',
      `    if (!text.startsWith(${JSON.stringify(body.slice(0, 40))}) || !text.endsWith(${JSON.stringify(body.slice(-40))})) {`,
      '      throw new Error(`${file}: this copy of link-migrate is damaged (its code is not where its first lines say); reinstall it`);',
      '    }',
      // The code cache of the Node that built this file; another Node rejects
      // it and compiles as usual. V8 does not checksum it: a damaged one is not used.
      '    let cachedData = Buffer.from(bytes.toString("latin1", length + 2, length + cached - 1), "base64");',
      `    if (require("node:crypto").createHash("sha256").update(cachedData).digest("hex").slice(0, 16) !== ${JSON.stringify(sha256(cacheBytes).slice(0, 16))}) cachedData = undefined;`,
      `    require("node:vm").compileFunction(text.replace(/^\\/\\//gm, ""), ${JSON.stringify(CODE_PARAMS)}, { filename: file, lineOffset: ${pad(headLines)}, cachedData })` +
        '(require, file, require("node:path").dirname(file), start + length + cached);',
      '  }).catch((e) => {',
      '    process.stderr.write(`link-migrate: ${e && e.message}\\n`);',
      '    process.exitCode = 1;',
      '  });',
      '})(process.argv.slice(2), typeof __filename === "string" ? __filename : process.argv[1], typeof require === "function" ? require : null);',
      '',
    ].join('\n')
  const probe = head(0, 0, 0)
  const text = head(Buffer.byteLength(probe), Buffer.byteLength(body), probe.split('\n').length - 1)
  if (text.length !== probe.length) throw new Error('the head changed length')
  return text + body + cache + assets
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex')

/** The parameters the head compiles the CLI's code with. */
const CODE_PARAMS = ['require', '__filename', '__dirname', '__lmAssetsAt']

/**
 * V8's code cache of the CLI's code as the head compiles it (produced by
 * the Node running this build). Compiling 0.4 MB of code costs every
 * command but --version ~15-25 ms (pre-parsing every function); with the
 * cache ~1 ms. V8 checks its version, flags and the source's length before
 * using it: any other Node rejects it and compiles as without (the file
 * stays the same for every Node >= 20).
 */
function codeCache(text: string): Buffer {
  const compiled = compileFunction(text, CODE_PARAMS, { produceCachedData: true }) as { cachedData?: Buffer }
  if (!compiled.cachedData) throw new Error('V8 produced no code cache for the CLI')
  return compiled.cachedData
}

/** tsup onSuccess: dist/link-migrate.cjs as above, and the binary's source. */
async function packOneFile(): Promise<void> {
  const built = readFileSync('dist/link-migrate.cjs', 'utf8')
  const shebang = '#!/usr/bin/env node\n'
  if (!built.startsWith(shebang)) throw new Error('dist/link-migrate.cjs: no shebang line')
  const code = requireBuiltins(built.slice(shebang.length), "the CLI's code")
  const assets = await assetsComment()
  mkdirSync(CACHE, { recursive: true })
  writeFileSync(BUN_SOURCE, shebang + code + assets)
  writeFileSync('dist/link-migrate.cjs.tmp', oneFile(code, assets), { mode: 0o755 })
  renameSync('dist/link-migrate.cjs.tmp', 'dist/link-migrate.cjs')
}

/**
 * In the CLI: src/assets/inlined.ts reads files back out of the assets
 * comment (null when the file has none); `@electric-sql/pglite` is PGlite's
 * code from there; libpg-query's loader takes its .wasm from there instead
 * of the file beside it that nobody copied (the build fails if a
 * libpg-query upgrade renames the emscripten hook `getWasmBinary`).
 */
const fromAssets = {
  name: 'from-assets',
  setup(build: {
    onResolve(o: { filter: RegExp }, f: () => { path: string; namespace: string }): void
    onLoad(o: { filter: RegExp; namespace?: string }, f: (a: { path: string }) => { contents: string; loader: 'js'; resolveDir?: string }): void
  }) {
    build.onLoad({ filter: /src[\\/]assets[\\/]inlined\.ts$/ }, () => ({
      loader: 'js',
      contents: `
        import { readFileSync } from 'node:fs'
        import { fileURLToPath } from 'node:url'
        // Built from two parts: this code sits in the same file, and must not be found as the mark.
        const MARK = Buffer.from([${JSON.stringify(ASSETS_MARK.slice(0, 4))}, ${JSON.stringify(ASSETS_MARK.slice(4))}].join(''))
        let assets
        /*
         * The one-file CLI's head says where the assets start (__lmAssetsAt):
         * then only the index and the files asked for are read. Elsewhere (the
         * binary: bun's embedded copy of this file) the file is read whole.
         */
        export function inlinedAssets() {
          if (assets !== undefined) return assets
          const assetsAt = typeof __lmAssetsAt === 'number' ? __lmAssetsAt : -1
          if (assetsAt >= 0) {
            const fs = require('node:fs')
            const fd = fs.openSync(fileURLToPath(import.meta.url), 'r')
            try {
              const head = Buffer.alloc(16384)
              const got = fs.readSync(fd, head, 0, head.length, assetsAt)
              const space = head.subarray(0, got).indexOf(0x20, MARK.length)
              if (head.subarray(0, MARK.length).equals(MARK) && space > 0) {
                const index = JSON.parse(head.toString('latin1', MARK.length, space))
                const base = assetsAt + space + 1
                const file = fileURLToPath(import.meta.url)
                return (assets = {
                  version: index.version,
                  extensions: index.extensions,
                  file(name) {
                    const place = index.files[name]
                    if (!place) return undefined
                    const bytes = Buffer.alloc(place[1])
                    const fd = fs.openSync(file, 'r')
                    try {
                      fs.readSync(fd, bytes, 0, place[1], base + place[0])
                    } finally {
                      fs.closeSync(fd)
                    }
                    return require('node:zlib').brotliDecompressSync(Buffer.from(bytes.toString('latin1'), 'base64'))
                  },
                })
              }
              if (got < MARK.length || !head.subarray(0, MARK.length).equals(MARK)) return (assets = null)
            } catch {
              /* a damaged index: read the file whole below */
            } finally {
              fs.closeSync(fd)
            }
          }
          const bytes = readFileSync(fileURLToPath(import.meta.url))
          const at = bytes.lastIndexOf(MARK)
          const space = at < 0 ? -1 : bytes.indexOf(0x20, at + MARK.length)
          if (space < 0) return (assets = null)
          let index
          try {
            index = JSON.parse(bytes.toString('latin1', at + MARK.length, space))
          } catch {
            return (assets = null)
          }
          const base = space + 1
          assets = {
            version: index.version,
            extensions: index.extensions,
            file(name) {
              const place = index.files[name]
              if (!place) return undefined
              // zlib only now: lint's parser imports this module on every command's path.
              return require('node:zlib').brotliDecompressSync(Buffer.from(bytes.toString('latin1', base + place[0], base + place[0] + place[1]), 'base64'))
            },
          }
          return assets
        }
      `,
    }))
    build.onResolve({ filter: /^@electric-sql\/pglite$/ }, () => ({ path: 'pglite', namespace: 'pglite-from-assets' }))
    build.onLoad({ filter: /.*/, namespace: 'pglite-from-assets' }, () => ({
      loader: 'js',
      resolveDir: process.cwd(),
      contents: `
        import { inlinedAssets } from './src/assets/inlined.ts'
        import { runInThisContext } from 'node:vm'
        const code = inlinedAssets()?.file('pglite.cjs')
        if (!code) throw new Error('this copy of link-migrate has lost its embedded engine (the files at the end of the file are gone); reinstall it, or run check on a server with --database-url')
        const run = runInThisContext('(function (module, exports, require, __import, __bundleUrl) {' + code.toString('utf8') + '\\n})', { filename: 'pglite.cjs' })
        const m = { exports: {} }
        const load = require
        run(m, m.exports, load, (id) => Promise.resolve(load(id)), import.meta.url)
        export const PGlite = m.exports.PGlite
      `,
    }))
    build.onLoad({ filter: /libpg-query[\\/]wasm[\\/]libpg-query\.js$/ }, ({ path }) => {
      const source = readFileSync(path, 'utf8')
      const hook = 'async function getWasmBinary(binaryFile){'
      if (!source.includes(hook)) throw new Error(`${path}: no "${hook}" to read the .wasm from the assets; update build.config.ts`)
      const load =
        `${hook}const wasm=__lmInlinedAssets()?.file("libpg-query.wasm");` +
        `if(!wasm)throw new Error("this copy of link-migrate has lost lint's parser (the files at the end of the file are gone); reinstall it");return wasm;`
      const inlined = JSON.stringify(join(process.cwd(), 'src/assets/inlined.ts'))
      return { contents: `import { inlinedAssets as __lmInlinedAssets } from ${inlined};\n${source.replace(hook, load)}`, loader: 'js' }
    })
  },
}

export default defineConfig([
  // The library: ESM (dist/index.js) and CommonJS (dist/index.cjs, for
  // require()) + .d.ts/.d.cts; postgres, libpg-query and PGlite stay
  // external dependencies. `shims` gives the CommonJS build an
  // import.meta.url (check's PGlite files are found through it).
  {
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    shims: true,
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
    // Every command but --version compiles all of it (~0.35 MB minified
    // against 0.65 MB). Names are kept: error classes and stack traces.
    minify: true,
    keepNames: true,
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
    esbuildPlugins: [fromAssets],
    onSuccess: packOneFile,
  },
])
