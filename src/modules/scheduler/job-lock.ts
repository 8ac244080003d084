// Mutual exclusion of a scheduled job across instances: a PostgreSQL session-level advisory lock
// held on one dedicated connection for the whole run.
//
// Why a dedicated connection: a session lock belongs to the connection that took it. Taken and
// released through a pool, the unlock could run on another connection (and fail) while the lock
// stays on the first one, held by whoever uses it next. A transaction-level lock would need one
// transaction left open for the whole run, which on PGlite (one session, transactions run one at
// a time) blocks the job's own transactions. So: withOwnerSession (one checked-out connection),
// pg_try_advisory_lock, the run, pg_advisory_unlock on that same connection.
//
// PGlite is one session in this process, and advisory locks are re-entrant within a session, so
// the database alone would let two schedulers of this process both "get" the lock. An in-process
// set per database handle closes that; across processes PGlite cannot be shared anyway.
import { createHash } from 'node:crypto'
import type { Database, OwnerSession } from '../../db/index.ts'

// The two-int4 form of advisory locks is a different key space from the bigint form the migration
// lock uses; the first half names "scheduled job" so no other user of the two-int4 form collides.
const JOB_LOCK_CLASS = 0x7465_6e74 // "tent"

const heldInProcess = new WeakMap<Database, Set<string>>()

export type LockedRun<T> = { acquired: true; value: T } | { acquired: false }

/** The lock key of a job name: stable across processes and releases. */
export function jobLockKey(name: string): [number, number] {
  return [JOB_LOCK_CLASS, createHash('sha256').update(`tenantry:job:${name}`).digest().readInt32BE(0)]
}

/** Runs fn while holding the job's lock, or returns { acquired: false } at once if another holder has it. */
export async function withJobLock<T>(db: Database, name: string, fn: () => Promise<T>): Promise<LockedRun<T>> {
  let held = heldInProcess.get(db)
  if (!held) heldInProcess.set(db, (held = new Set()))
  if (held.has(name)) return { acquired: false }
  held.add(name)
  const [classId, objectId] = jobLockKey(name)
  try {
    return await db.withOwnerSession(async (session) => {
      const { rows } = await session.query<{ locked: boolean }>('select pg_try_advisory_lock($1::int4, $2::int4) as locked', [classId, objectId])
      if (!rows[0]?.locked) return { acquired: false as const }
      let value: T
      try {
        value = await fn()
      } catch (error) {
        await unlock(session, classId, objectId, error)
        throw error
      }
      await unlock(session, classId, objectId)
      return { acquired: true as const, value }
    })
  } finally {
    held.delete(name)
  }
}

async function unlock(session: OwnerSession, classId: number, objectId: number, runError?: unknown): Promise<void> {
  let released = false
  try {
    const { rows } = await session.query<{ released: boolean }>('select pg_advisory_unlock($1::int4, $2::int4) as released', [classId, objectId])
    released = rows[0]?.released === true
  } catch {
    released = false
  }
  // CAUTION: a lock we could not release must not go back to the pool with its connection. An
  // error without an SQLSTATE makes the pool destroy the connection, and the server then drops
  // every lock it held.
  if (!released) throw new Error('scheduled job lock not released; closing its connection', { cause: runError })
}
