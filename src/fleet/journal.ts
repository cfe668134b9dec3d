/**
 * The fleet journal: one JSON line per fact, appended as it happens
 * (`run`, `start`, `done`), so a fleet run killed at any moment leaves a
 * record of every target that finished. `--resume` reads it back and skips
 * the targets whose last outcome was `ok`. Each line is written with one
 * synchronous append: a SIGKILL loses at most the line being written, which
 * the reader ignores. The journal holds no password (URLs are redacted).
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs'
import { ConfigError } from '../errors.js'
import type { FleetCommand, FleetRow } from './types.js'

export type JournalLine =
  | { type: 'run'; command: FleetCommand; service: string; dir: string; at: string; resume: boolean }
  | { type: 'start'; key: string; target: string; at: string }
  | { type: 'done'; key: string; row: FleetRow; at: string }

export interface Journal {
  readonly path: string
  write(line: JournalLine): void
}

/** Opens a journal: a fresh file, or (resume) the existing one appended to. */
export function openJournal(path: string, resume: boolean): Journal {
  try {
    if (!resume) writeFileSync(path, '')
    else appendFileSync(path, '')
  } catch (e) {
    throw new ConfigError(`--journal ${path}: cannot write: ${(e as Error).message}`)
  }
  return {
    path,
    write(line) {
      appendFileSync(path, JSON.stringify(line) + '\n')
    },
  }
}

/**
 * The rows of targets already done for `command` and `service`, by key, from
 * an earlier run's journal (the last `done` of each key wins). A missing
 * file is an empty journal; a torn last line (killed mid-write) is ignored.
 * A journal of another command or service is refused: resuming `down` from
 * an `up` journal would skip the wrong targets.
 */
export function readDone(path: string, command: FleetCommand, service: string): Map<string, FleetRow> {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Map()
    throw new ConfigError(`--journal ${path}: cannot read: ${(e as Error).message}`)
  }
  const done = new Map<string, FleetRow>()
  const lines = text.split('\n')
  for (const [i, raw] of lines.entries()) {
    if (raw.trim() === '') continue
    let line: JournalLine
    try {
      line = JSON.parse(raw) as JournalLine
    } catch {
      if (i >= lines.length - 2) continue
      throw new ConfigError(`${path}:${i + 1}: not a journal line (is this a link-migrate fleet journal?)`)
    }
    if (line.type === 'run' && (line.command !== command || line.service !== service)) {
      throw new ConfigError(
        `${path} is the journal of "${line.command}" for service ${line.service}, not "${command}" for ${service}: ` +
          'give another --journal, or run without --resume to start over',
      )
    }
    if (line.type === 'done') {
      if (line.row.result === 'ok' || line.row.result === 'done-before') done.set(line.key, line.row)
      else done.delete(line.key)
    }
  }
  return done
}
