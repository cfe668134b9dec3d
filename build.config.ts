import { readFileSync } from 'node:fs'
import { defineConfig } from 'tsup'

const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }

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
  },
])
