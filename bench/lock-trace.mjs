#!/usr/bin/env node
// What `check --locks` costs (issue 17): `check` and `check --locks`
// round-robin on the fixture services, each figure the median of
// BENCH_REPS runs (default 5), the check's own `timings` from --json
// (engine start, migrations, round trip, total) and the wall time of the
// process. Goal: the trace adds at most 2x to check's time.
//
//   node bench/lock-trace.mjs                    embedded engine
//   BENCH_DATABASE_URL=postgres://... node ...   also a scratch database on that server
//   BENCH_BUNDLE=/path/link-migrate.cjs          the build to measure (default dist/)
//   BENCH_ENGINES=server                         only these engines
//   BENCH_BASE_BUNDLE=/path/link-migrate.cjs     also `check` of another build
//                                                (without --locks: not slower than before?)
//
// Not part of `npm test`; run on a quiet machine for numbers to quote.
import { spawnSync } from 'node:child_process'
import { resolve } from 'node:path'

const ROOT = resolve(new URL('..', import.meta.url).pathname)
const BUNDLE = process.env.BENCH_BUNDLE ?? resolve(ROOT, 'dist/link-migrate.cjs')
const REPS = Number(process.env.BENCH_REPS ?? 5)
const FIXTURES = ['discovery-svc', 'ai-svc', 'chat-svc']
const url = process.env.BENCH_DATABASE_URL
const base = process.env.BENCH_BASE_BUNDLE

const variants = [
  { name: 'check', bundle: BUNDLE, args: [] },
  { name: 'check --locks', bundle: BUNDLE, args: ['--locks'] },
  ...(base ? [{ name: 'check (base build)', bundle: base, args: [] }] : []),
]
const only = process.env.BENCH_ENGINES?.split(',') // e.g. `server`: only those
const engines = [{ name: 'embedded', args: ['--engine', 'embedded'] }, ...(url ? [{ name: 'server', args: ['--database-url', url] }] : [])].filter(
  (e) => !only || only.includes(e.name),
)

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

const rows = []
for (const engine of engines) {
  for (const fixture of FIXTURES) {
    const samples = new Map(variants.map((v) => [v.name, []]))
    // One untimed run each first: the embedded engine caches its data directory.
    for (let rep = -1; rep < REPS; rep++) {
      for (const v of variants) {
        const t = performance.now()
        const r = spawnSync(process.execPath, [v.bundle, 'check', '--json', ...v.args, ...engine.args, '--dir', `fixtures/${fixture}/migrations`], {
          cwd: ROOT,
          encoding: 'utf8',
          env: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR ?? '/tmp' },
        })
        const wall = performance.now() - t
        if (r.status !== 0 && r.status !== 1) throw new Error(`${v.name} ${fixture}: exit ${r.status}\n${r.stderr}`)
        const doc = JSON.parse(r.stdout)
        if (rep >= 0) samples.get(v.name).push({ wall, total: doc.timings.totalMs, migrations: doc.timings.migrationsMs, engine: doc.timings.engine.totalMs })
      }
    }
    for (const v of variants) {
      const s = samples.get(v.name)
      rows.push({
        engine: engine.name,
        fixture,
        variant: v.name,
        engineMs: median(s.map((x) => x.engine)),
        migrationsMs: median(s.map((x) => x.migrations)),
        totalMs: median(s.map((x) => x.total)),
        wallMs: median(s.map((x) => x.wall)),
      })
    }
  }
}

const ms = (v) => `${Math.round(v)} ms`
console.log(`| engine | fixture | command | engine start | migrations | total | wall | vs check |`)
console.log(`| --- | --- | --- | --- | --- | --- | --- | --- |`)
for (const r of rows) {
  const plain = rows.find((x) => x.engine === r.engine && x.fixture === r.fixture && x.variant === 'check')
  console.log(`| ${r.engine} | ${r.fixture} | ${r.variant} | ${ms(r.engineMs)} | ${ms(r.migrationsMs)} | ${ms(r.totalMs)} | ${ms(r.wallMs)} | ${(r.totalMs / plain.totalMs).toFixed(2)}x |`)
}
