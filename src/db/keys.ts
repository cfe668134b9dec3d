import { createHash } from 'node:crypto'

/**
 * Advisory-lock keys, in PostgreSQL's two-int4 form (classid, objid), so they
 * show up readably in pg_locks and never collide with one-bigint keys that
 * applications use. The class says what is locked; the object is the service.
 */
const SESSION_CLASS = 0x4c4d4753 // "LMGS": a service's run (session lock)
const XACT_CLASS = 0x4c4d4758 // "LMGX": a service's migration transaction
const SETUP_CLASS = 0x4c4d4743 // "LMGC": creating the bookkeeping tables

/** 31 bits of SHA-256 of the service name: non-negative, so it equals pg_locks.objid as is. */
function serviceKey(service: string): number {
  return createHash('sha256').update(service).digest().readUInt32BE(0) & 0x7fffffff
}

export const lockKeys = {
  session: (service: string): [number, number] => [SESSION_CLASS, serviceKey(service)],
  xact: (service: string): [number, number] => [XACT_CLASS, serviceKey(service)],
  setup: [SETUP_CLASS, 0] as [number, number],
}
