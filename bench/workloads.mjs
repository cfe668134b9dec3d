// The benchmark's migration files, written into a temp dir by bench/run.mjs.
// W1 and W4 are byte for byte the files of ../shared/bench/gen.mjs (the peer
// harness), so figures from both harnesses describe the same work:
//   W1: 1,000 migrations, each one table with 3 columns and an index; down drops it.
//   W4: 10,000 tiny migrations (`SELECT n;`).
// Larger sets for the scale figures (same files, more of them, wider numbers):
// W1 with 10,000 (lint), W4 with 100,000 (no-op up and status).
// Canonical layout: NNNN_slug.up.sql / NNNN_slug.down.sql, which link-migrate
// and the floor read as is; dbmate gets its own one-file layout.
import { mkdirSync, rmSync, writeFileSync, readdirSync, readFileSync, linkSync } from 'node:fs';
import { join } from 'node:path';

function pad(n, w) {
  return String(n).padStart(w, '0');
}

export const workloads = {
  // 1,000 small migrations: a table with 3 columns and an index; down drops it.
  W1(n = 1000) {
    const w = Math.max(4, String(n).length), out = [];
    for (let i = 1; i <= n; i++) {
      const t = `w1_t${pad(i, w)}`;
      out.push({
        version: i, slug: `create_${t}`,
        up: `-- W1 migration ${i}: one small table with an index\n` +
            `CREATE TABLE ${t} (\n` +
            `    id bigint PRIMARY KEY,\n` +
            `    name text NOT NULL,\n` +
            `    created_at timestamptz NOT NULL DEFAULT now()\n` +
            `);\n` +
            `CREATE INDEX ${t}_name_idx ON ${t} (name);\n`,
        down: `DROP TABLE ${t};\n`,
      });
    }
    return { width: w, migrations: out,
      check: `select count(*) = ${n} from pg_class c join pg_namespace s on s.oid = c.relnamespace ` +
             `where s.nspname = 'public' and c.relkind = 'r' and c.relname like 'w1\\_t%'` };
  },

  // The fleet workload (section F): 20 migrations per database, each a small
  // table with a row; run on 200 databases at once with --targets.
  F(n = 20) {
    const w = 3, out = [];
    for (let i = 1; i <= n; i++) {
      const t = `f_t${pad(i, w)}`;
      out.push({
        version: i, slug: `create_${t}`,
        up: `CREATE TABLE ${t} (id bigint PRIMARY KEY, name text NOT NULL);\nINSERT INTO ${t} VALUES (1, 'x');\n`,
        down: `DROP TABLE ${t};\n`,
      });
    }
    return { width: w, migrations: out, check: 'select true' };
  },

  // 10,000 tiny migrations.
  W4(n = 10000) {
    const w = Math.max(5, String(n).length), out = [];
    for (let i = 1; i <= n; i++) {
      out.push({ version: i, slug: `tiny_${pad(i, w)}`, up: `SELECT ${i};\n`, down: `SELECT -${i};\n` });
    }
    return { width: w, migrations: out, check: 'select true' };
  },
};

/** Writes a workload's canonical files into dir; returns { count, check, dir }. */
export function writeWorkload(name, dir, n) {
  const wl = workloads[name](n);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const m of wl.migrations) {
    const stem = `${pad(m.version, wl.width)}_${m.slug}`;
    writeFileSync(join(dir, `${stem}.up.sql`), m.up);
    writeFileSync(join(dir, `${stem}.down.sql`), m.down);
  }
  return { count: wl.migrations.length, check: wl.check, dir };
}

function canonical(src) {
  return readdirSync(src)
    .filter((f) => /^\d+_.+\.up\.sql$/.test(f))
    .sort((a, b) => parseInt(a, 10) - parseInt(b, 10))
    .map((f) => f.slice(0, -'.up.sql'.length));
}

/** Hard-links the first n migrations (up and down) of src into dst. */
export function firstN(src, dst, n) {
  rmSync(dst, { recursive: true, force: true });
  mkdirSync(dst, { recursive: true });
  for (const stem of canonical(src).slice(0, n)) {
    for (const d of ['up', 'down']) linkSync(join(src, `${stem}.${d}.sql`), join(dst, `${stem}.${d}.sql`));
  }
  return { count: n, dir: dst };
}

const nl = (s) => (s.endsWith('\n') ? s : s + '\n');

/** dbmate's layout, as ../shared/bench/lib/layout.mjs writes it. */
export function dbmateLayout(src, dst) {
  rmSync(dst, { recursive: true, force: true });
  mkdirSync(dst, { recursive: true });
  for (const stem of canonical(src)) {
    const up = readFileSync(join(src, `${stem}.up.sql`), 'utf8');
    const down = readFileSync(join(src, `${stem}.down.sql`), 'utf8');
    writeFileSync(join(dst, `${stem}.sql`), `-- migrate:up\n${nl(up)}\n-- migrate:down\n${nl(down)}`);
  }
  return { dir: dst };
}
