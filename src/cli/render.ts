/**
 * The only place that writes to stdout/stderr. Human text (with colour on a
 * terminal) or JSON; every byte passes through secret redaction as a last
 * line of defence, whatever produced it.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path'
import kleur from 'kleur'
import { redactSecrets, redactUrl } from '../config/redact.js'
import { formatProblem, isMigrateError, type FileProblem } from '../errors.js'
import { jsonError, SCHEMA_VERSION } from './json.js'

export interface OutputOptions {
  json: boolean
  quiet: boolean
  verbose: boolean
  color: boolean
  /** `--format github`: findings and errors also as workflow annotations. */
  github: boolean
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
}

export type LineKind = 'info' | 'success' | 'warn' | 'error' | 'detail'

export class Output {
  readonly json: boolean
  readonly quiet: boolean
  readonly verbose: boolean
  readonly color: boolean
  readonly github: boolean
  private secrets: string[] = []
  private prefix = ''
  private fileBase: { dir: string; cwd: string } | undefined
  private readonly out: NodeJS.WritableStream
  private readonly err: NodeJS.WritableStream

  constructor(o: OutputOptions) {
    this.json = o.json
    this.quiet = o.quiet
    this.verbose = o.verbose
    this.color = o.color
    this.github = o.github
    this.out = o.stdout
    this.err = o.stderr
    kleur.enabled = o.color
  }

  /** Values that must never be printed (the password, in every encoding). */
  addSecret(secret: string | undefined): void {
    if (secret) this.secrets.push(secret)
  }

  /**
   * Migration files are named relative to `dir`; annotations need a path the
   * CI job can map to the repository: relative to the working directory
   * (the checkout's root in a GitHub Actions step) when under it.
   */
  setFileBase(dir: string | undefined, cwd: string): void {
    this.fileBase = dir === undefined ? undefined : { dir, cwd }
  }

  /** The path of a migration file as an annotation shows it. */
  annotationPath(file: string): string {
    if (!this.fileBase) return file
    const abs = resolve(this.fileBase.dir, file)
    const rel = relative(this.fileBase.cwd, abs)
    return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel.split(sep).join('/') : abs
  }

  /** `[discovery-svc-migrations] ` before every log line, as the old tool did. */
  setService(service: string | undefined): void {
    this.prefix = service ? `[${service}-migrations] ` : ''
  }

  private clean(text: string): string {
    return redactSecrets(redactUrl(text), this.secrets)
  }

  /** Raw text to stdout (tables, paths, JSON). */
  print(text: string): void {
    this.out.write(this.clean(text) + '\n')
  }

  /** Human text; goes to stderr when stdout carries JSON. */
  private human(text: string): void {
    ;(this.json ? this.err : this.out).write(this.clean(text) + '\n')
  }

  /** A log line with the service prefix. `--quiet` keeps only warnings and errors. */
  log(line: string, kind: LineKind = 'info'): void {
    if (this.quiet && kind !== 'warn' && kind !== 'error') return
    if (kind === 'detail' && !this.verbose) return
    const paint =
      kind === 'success' ? kleur.green : kind === 'warn' ? kleur.yellow : kind === 'error' ? kleur.red : kind === 'detail' ? kleur.dim : (s: string) => s
    this.human(kleur.dim(this.prefix) + paint(line))
  }

  /** One JSON document (status, verify, plans) on stdout; `schemaVersion` first (json.ts). */
  jsonDocument(value: object): void {
    this.out.write(this.cleanJson({ schemaVersion: SCHEMA_VERSION, ...value }, 2) + '\n')
  }

  /** One JSON line (up/down events) on stdout; `schemaVersion` first (json.ts). */
  jsonLine(value: object): void {
    this.out.write(this.cleanJson({ schemaVersion: SCHEMA_VERSION, ...value }) + '\n')
  }

  /**
   * Redacts each string of the value, not the serialized text: a compact
   * JSON line has no whitespace to end a URL at, so masking the text would
   * run across quotes and keys (`"details":***`) and break the JSON.
   */
  private cleanJson(value: object, indent?: number): string {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' ? this.clean(v) : v), indent)
  }

  /** A GitHub Actions annotation (`::error file=...,line=...,col=...::message`). */
  annotation(level: 'error' | 'warning', message: string, at: { file?: string; line?: number; col?: number } = {}): void {
    const props = [
      at.file !== undefined ? `file=${escapeProperty(at.file)}` : '',
      at.line !== undefined ? `line=${at.line}` : '',
      at.col !== undefined ? `col=${at.col}` : '',
    ].filter(Boolean)
    this.print(`::${level}${props.length ? ' ' + props.join(',') : ''}::${escapeData(message)}`)
  }

  /** Prints an error: message and details to stderr; in JSON mode also a JSON object on stdout. */
  error(e: unknown): void {
    const m = isMigrateError(e) ? e : null
    const message = m ? m.message : e instanceof Error ? e.message : String(e)
    const details = m?.details ?? []
    const lines = message.split('\n')
    this.err.write(this.clean(kleur.red(`${this.prefix}Error: ${lines[0]}`)) + '\n')
    for (const l of [...lines.slice(1), ...details]) this.err.write(this.clean(`  ${l}`) + '\n')
    if (!m && e instanceof Error && this.verbose && e.stack) this.err.write(this.clean(e.stack) + '\n')
    if (this.json) {
      this.jsonLine({ type: 'error', error: jsonError(e) })
    }
    if (this.github) {
      // A FileError found before the run (several files at once) marks each file at its line.
      const problems = (e as { problems?: FileProblem[] }).problems
      const marks: { file?: string; line?: number; column?: number; message: string }[] =
        Array.isArray(problems) && problems.length > 0
          ? problems.map((p) => ({ ...p, message: formatProblem(p) }))
          : [{ ...(e as { file?: string; line?: number; column?: number }), message }]
      for (const f of marks) {
        this.annotation('error', f.message, { file: f.file === undefined ? undefined : this.annotationPath(f.file), line: f.line, col: f.column })
      }
    }
  }
}

function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
}

function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C')
}
