// One process at a time on an embedded data directory (D70). PGlite is PostgreSQL inside this
// process, with nothing shared between processes: a second process on the same directory works
// on its own copy in memory, and whichever writes last wins — the other's changes are lost
// without an error. A lock file with the owner's pid keeps the second process out.
import { randomUUID } from 'node:crypto'
import { constants, copyFileSync, linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AppError } from '../../errors/index.ts'

export const LOCK_FILE = 'tenantry.lock'

// The lock's owner is this process when the pids match and the process start times agree within
// this much (both are computed as now minus uptime, so they jitter by a few milliseconds). The
// same pid with another start time is a previous process that died, typically PID 1 of a
// container restarted after a crash.
const SAME_START_MS = 2000
// Attempts at taking the lock while other processes create or remove it at the same moment.
const ATTEMPTS = 5

export interface DataDirLock {
  /** Removes the lock file if it is still this process's; idempotent. */
  release(): void
}

interface Owner {
  pid: number
  processStarted: number
}

/** Every lock this process holds (path → the content it wrote), released at exit. */
const held = new Map<string, string>()
let exitHookInstalled = false

/**
 * Takes `<dataDir>/tenantry.lock`, or throws a `conflict` AppError naming the process that holds
 * it. A lock whose process is gone (a crash, kill -9) or whose file is unreadable is taken over.
 * `shownAs` is the directory as the user configured it, for the message.
 */
export function lockDataDir(dataDir: string, shownAs: string): DataDirLock {
  const path = join(dataDir, LOCK_FILE)
  const processStarted = Math.round(Date.now() - process.uptime() * 1000)
  // No command line: a CLI's arguments may hold a password (user create-admin --password).
  const content = `${JSON.stringify({ pid: process.pid, processStarted, token: randomUUID() })}\n`
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (createExclusive(path, content)) {
      held.set(path, content)
      installExitHook()
      return { release: () => release(path) }
    }
    const existing = readIfPresent(path)
    if (existing === undefined) continue // removed between our attempt and the read: try again
    const owner = parseOwner(existing)
    if (owner && owner.pid === process.pid && Math.abs(owner.processStarted - processStarted) < SAME_START_MS) {
      throw new AppError('conflict', `the embedded database in ${shownAs} is already open in this process: close it first (one handle per data directory)`)
    }
    if (owner && owner.pid !== process.pid && isAlive(owner.pid)) {
      throw new AppError(
        'conflict',
        `the embedded database in ${shownAs} is in use by another Tenantry process (pid ${owner.pid}): stop it first, or use its API; several processes need PostgreSQL (DATABASE_URL)`,
        { pid: owner.pid },
      )
    }
    removeStale(path, existing)
  }
  throw new AppError('conflict', `the embedded database in ${shownAs} could not be locked: other processes keep taking ${LOCK_FILE}`)
}

/**
 * Creates path with content, or returns false when it exists. The file appears complete (written
 * to a temporary file, then hard-linked into place), so a reader never takes a half-written lock
 * for garbage and removes it.
 */
function createExclusive(path: string, content: string): boolean {
  const temporary = `${path}.${process.pid}.${randomUUID()}.tmp`
  writeFileSync(temporary, content)
  try {
    return placeExclusive(temporary, path)
  } finally {
    unlinkSync(temporary)
  }
}

/** Puts a copy of from at to unless to exists (false then). */
function placeExclusive(from: string, to: string): boolean {
  try {
    try {
      linkSync(from, to)
    } catch (error) {
      // A file system without hard links: an exclusive copy (a reader may see it empty briefly).
      if (!['EPERM', 'ENOTSUP', 'ENOSYS', 'EOPNOTSUPP'].includes(errorCode(error) ?? '')) throw error
      copyFileSync(from, to, constants.COPYFILE_EXCL)
    }
    return true
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false
    throw error
  }
}

/**
 * Removes the stale lock file that held `seen`, and nothing else: of two processes taking over
 * the same stale lock, the second must not remove the lock the first has just created. The file
 * is moved aside (atomic, so one process only gets it), then checked; a live lock moved aside by
 * mistake is put back, and the next attempt finds its owner alive.
 */
function removeStale(path: string, seen: string): void {
  const aside = `${path}.${process.pid}.${randomUUID()}.stale`
  try {
    renameSync(path, aside)
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return
    throw error
  }
  try {
    if (readIfPresent(aside) !== seen) placeExclusive(aside, path)
  } finally {
    unlinkSync(aside)
  }
}

function release(path: string): void {
  const content = held.get(path)
  if (content === undefined) return
  held.delete(path)
  // Another process may have taken the lock over (it thought this one dead): leave its file.
  if (readIfPresent(path) === content) unlinkSync(path)
}

/** A process that ends without closing the database (process.exit, an uncaught error) still lets go. */
function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.on('exit', () => {
    for (const path of [...held.keys()]) {
      try {
        release(path)
      } catch {
        // Exiting anyway; the next start finds the pid dead and takes the lock over.
      }
    }
  })
}

function parseOwner(content: string): Owner | undefined {
  try {
    const parsed = JSON.parse(content) as Partial<Owner>
    if (!Number.isSafeInteger(parsed.pid) || (parsed.pid as number) <= 0) return undefined
    return { pid: parsed.pid as number, processStarted: Number(parsed.processStarted) }
  } catch {
    return undefined
  }
}

/** Signal 0 checks only that the process exists: EPERM means it does (another user's). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return errorCode(error) !== 'ESRCH'
  }
}

function readIfPresent(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined
    throw error
  }
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code
}
