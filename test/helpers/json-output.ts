// Every `--json` output a test produces is checked against the JSON Schema
// files that ship in schemas/ (README "JSON output"): runCli calls
// assertJsonOutput for each run whose arguments hold --json, so a shape that
// drifts from its schema fails the test that produced it.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SCHEMA_DIR = path.join(ROOT, 'schemas');

const COMMANDS = new Set(['up', 'down', 'status', 'verify', 'generate', 'lint', 'check', 'mark', 'repair']);

/** What a run with these arguments prints under --json: JSON lines (up/down) or one document of a schema. */
export function expectedShape(args: string[]): { lines: true; schema: 'run-event' } | { lines: false; schema: string } | null {
  const has = (re: RegExp) => args.some((a) => re.test(a));
  if (!has(/^--?json(=true)?$/)) return null;
  // Help and version print text whatever else is asked.
  if (has(/^(--?help|-h|--?version|-v|help)$/)) return null;
  const legacy = args.map((a, i) => (/^--?action=/.test(a) ? a.split('=')[1] : /^--?action$/.test(a) ? args[i + 1] : undefined)).find(Boolean);
  const command = legacy ?? args.find((a) => COMMANDS.has(a));
  if (has(/^--?targets(-query)?(=|$)/)) return { lines: false, schema: 'fleet' };
  switch (command) {
    case 'up':
    case 'down':
      return { lines: true, schema: 'run-event' };
    case 'status':
      return { lines: false, schema: has(/^--all$/) ? 'status-all' : 'status' };
    case 'lint':
      // `lint --trace` is check --locks: the check document.
      return { lines: false, schema: has(/^--explain(=|$)/) ? 'lint-rule' : has(/^--trace$/) ? 'check' : 'lint' };
    case 'check':
      return { lines: false, schema: has(/^--drift$/) ? 'drift' : 'check' };
    case 'verify':
    case 'generate':
    case 'mark':
    case 'repair':
      return { lines: false, schema: command };
    default:
      // An unknown command or no command at all: the error document.
      return { lines: false, schema: 'error' };
  }
}

type Validate = ((data: unknown) => boolean) & { errors?: { instancePath: string; message?: string; params?: unknown }[] | null };
let validators: Map<string, Validate> | null | undefined;

/** Ajv with every schema of schemas/ loaded; null (with a note) when ajv is not installed. */
function load(): Map<string, Validate> | null {
  if (validators !== undefined) return validators;
  const require = createRequire(import.meta.url);
  let Ajv2020: new (o: object) => { addSchema(s: object): void; getSchema(id: string): Validate | undefined };
  try {
    const m = require('ajv/dist/2020') as { default?: typeof Ajv2020 } & typeof Ajv2020;
    Ajv2020 = m.default ?? m;
  } catch {
    // A worktree whose node_modules predates the devDependency: test/ship/schemas.test.ts fails on it.
    process.stderr.write('note: ajv is not installed (npm install): --json output is not checked against schemas/ in this run\n');
    return (validators = null);
  }
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
  const schemas = fs.readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.schema.json'));
  const ids = new Map<string, string>();
  for (const f of schemas) {
    const s = JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, f), 'utf8')) as { $id: string };
    ajv.addSchema(s);
    ids.set(f.replace(/\.schema\.json$/, ''), s.$id);
  }
  const compiled = new Map<string, Validate>();
  for (const [name, id] of ids) compiled.set(name, ajv.getSchema(id)!);
  return (validators = compiled);
}

/** Throws, naming the schema and every mismatch, when `value` does not match schemas/<name>.schema.json. */
export function assertMatchesSchema(name: string, value: unknown, what = 'value'): void {
  const v = load();
  if (!v) return;
  const validate = v.get(name);
  if (!validate) throw new Error(`no schemas/${name}.schema.json`);
  if (validate(value)) return;
  const errors = (validate.errors ?? []).map((e) => `  ${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`).join('\n');
  throw new Error(`${what} does not match schemas/${name}.schema.json:\n${errors}\n${JSON.stringify(value).slice(0, 2000)}`);
}

export interface JsonRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  timedOut?: boolean;
}

/**
 * The stdout of a --json run, checked: up/down print JSON lines, each an
 * event of schemas/run-event.schema.json, the last one a `result` (also after
 * a failure); other commands print one document of their schema, or the error
 * document. `--format github` annotation lines (`::error ...`) are left out.
 * A run that was killed (a signal, a runCli timeout) is not checked.
 */
export function assertJsonOutput(args: string[], r: JsonRun): void {
  const shape = expectedShape(args);
  if (!shape || r.signal !== null || r.timedOut || !load()) return;
  const what = `--json output of \`link-migrate ${args.join(' ')}\` (exit ${r.code})`;
  const text = r.stdout
    .split('\n')
    .filter((l) => !l.startsWith('::'))
    .join('\n')
    .trim();
  // `check` interrupted by a signal drops its scratch database and prints no document.
  if (text === '' && !shape.lines && (r.code === 130 || r.code === 143)) return;
  if (shape.lines) {
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    const events = lines.map((l, i) => {
      try {
        return JSON.parse(l) as { type?: string; exitCode?: number };
      } catch {
        throw new Error(`${what}: line ${i + 1} of stdout is not JSON: ${l.slice(0, 200)}`);
      }
    });
    events.forEach((e, i) => assertMatchesSchema('run-event', e, `${what}, line ${i + 1}`));
    const last = events.at(-1);
    if (!last || last.type !== 'result') throw new Error(`${what}: the last line is not a "result" line:\n${r.stdout.slice(-2000)}`);
    if (last.exitCode !== r.code) throw new Error(`${what}: the result line says exitCode ${last.exitCode}, the process exited ${r.code}`);
    if (events.filter((e) => e.type === 'result').length !== 1) throw new Error(`${what}: more than one "result" line`);
    return;
  }
  let doc: { type?: string };
  try {
    doc = JSON.parse(text) as { type?: string };
  } catch {
    throw new Error(`${what}: stdout is not one JSON document:\n${r.stdout.slice(0, 2000)}`);
  }
  assertMatchesSchema(doc?.type === 'error' ? 'error' : shape.schema, doc, what);
}
