// Issue 15: the shape of the code, kept by a test. The import graph of src/
// (static, type-only and dynamic imports alike) has no cycle, every import
// goes down the floors (cli -> public API -> fleet -> engine/check/lint ->
// core -> db -> source/config -> sql -> assets -> errors/types), and bench/
// uses only the public API.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const SRC = path.join(ROOT, 'src')

/** Top to bottom; a file may import from its own floor or any floor below. */
const FLOORS: string[][] = [
  ['cli/'],
  ['index.ts'],
  ['fleet/'],
  ['migrator.ts', 'engine/', 'check/', 'lint/'],
  ['core/'],
  ['db/'],
  ['source/', 'config/'],
  ['sql/'],
  ['assets/'],
  ['errors.ts', 'types.ts', 'runtime.ts'],
]

/** Known exceptions, each with its reason; a new upward import fails the test. None today. */
const UPWARD_ALLOWED: string[] = []
/** bench/lint-compare.mjs matches squawk's findings per statement with our own splitter: a report about internals, never shipped. */
const BENCH_INTERNALS_ALLOWED = ['bench/lint-compare.mjs imports ../src/sql/split.ts']

const IMPORT = /(?:(?:import|export)\s+(?:type\s+)?[^'";]*?from\s+|import\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name)
    return e.isDirectory() ? sourceFiles(p) : /\.ts$/.test(e.name) ? [p] : []
  })
}

/** file (relative to src/) -> the src/ files it imports */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>()
  for (const file of sourceFiles(SRC)) {
    const text = fs.readFileSync(file, 'utf8')
    const deps = [...text.matchAll(IMPORT)].map((m) => {
      const target = path.resolve(path.dirname(file), m[1]!).replace(/\.js$/, '.ts')
      return path.relative(SRC, target.endsWith('.ts') ? target : `${target}.ts`)
    })
    graph.set(path.relative(SRC, file), deps)
  }
  return graph
}

function floorOf(file: string): number {
  const top = file.includes(path.sep) ? file.split(path.sep)[0] + '/' : file
  const i = FLOORS.findIndex((names) => names.includes(top))
  if (i < 0) throw new Error(`src/${file}: its folder ${top} is on no floor of test/layout.test.ts (add it where it belongs)`)
  return i
}

/** Strongly connected components of more than one file (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: string[][] = []
  const visit = (v: string) => {
    index.set(v, next)
    low.set(v, next++)
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!))
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = []
      let w: string
      do {
        w = stack.pop()!
        onStack.delete(w)
        scc.push(w)
      } while (w !== v)
      if (scc.length > 1) found.push(scc.sort())
    }
  }
  for (const v of graph.keys()) if (!index.has(v)) visit(v)
  return found
}

const test = suite('code layout')

test('the import graph reads every kind of import', () => {
  const graph = importGraph()
  // A dynamic import (cli/main.ts loads each command lazily) is an edge too.
  assert.ok(graph.get(path.join('cli', 'main.ts'))!.length > 0)
  assert.ok([...graph.values()].flat().every((f) => graph.has(f)), 'every import resolves to a file of src/')
})

test('no import cycles in src/', () => {
  assert.equal(cycles(importGraph()), [])
})

test('imports go down the floors', () => {
  const upward: string[] = []
  for (const [file, deps] of importGraph()) {
    for (const dep of deps) {
      if (floorOf(dep) < floorOf(file)) upward.push(`src/${file} imports src/${dep}`)
    }
  }
  assert.equal([...new Set(upward)].sort(), UPWARD_ALLOWED)
})

test('bench/ uses only the public API; src/ never imports bench/ or test/', () => {
  const bad: string[] = []
  for (const name of fs.readdirSync(path.join(ROOT, 'bench'))) {
    if (!/\.(m?js|ts)$/.test(name)) continue
    const text = fs.readFileSync(path.join(ROOT, 'bench', name), 'utf8')
    for (const m of text.matchAll(/from\s+['"](\.\.\/src\/[^'"]+)['"]/g)) {
      if (!/^\.\.\/src\/index\.(ts|js)$/.test(m[1]!)) bad.push(`bench/${name} imports ${m[1]}`)
    }
  }
  for (const [file, deps] of importGraph()) {
    for (const dep of deps) if (dep.startsWith('..')) bad.push(`src/${file} imports ${dep}`)
  }
  assert.equal(bad.sort(), BENCH_INTERNALS_ALLOWED)
})

test.run()
