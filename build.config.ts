import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { gzipSync } from 'node:zlib'
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
      ].join('\n'),
    },
    footer: { js: '});' },
    define: { __VERSION__: JSON.stringify(version) },
    esbuildPlugins: [inlineLibpgQueryWasm],
  },
])
