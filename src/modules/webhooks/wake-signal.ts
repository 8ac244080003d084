// Waking the dispatchers when deliveries were queued. A NOTIFY inside the outbox transaction
// would cost nothing in round trips, but PostgreSQL serialises the commits of notifying
// transactions (one global queue lock): on a 2-core machine that took commits from ~4,600/s to
// ~700/s. So the signal is sent after commit, on its own, at most once per WINDOW_MS per process
// and database: a burst of 1,000 outbox commits costs a handful of NOTIFYs, and a dispatcher
// learns of new work within a few milliseconds. A lost signal costs latency only (dispatchers
// also poll).
import type { Database } from '../../db/index.ts'

/** LISTENed to by every dispatcher: new deliveries are due now. */
export const WEBHOOK_WAKE_CHANNEL = 'tenantry_webhooks'

const WINDOW_MS = 5

class WakeSignal {
  private timer: NodeJS.Timeout | undefined
  private lastSent = 0

  private readonly db: Database

  constructor(db: Database) {
    this.db = db
  }

  request(): void {
    if (this.timer) return // one is already on its way and will cover this commit
    const wait = Math.max(0, this.lastSent + WINDOW_MS - Date.now())
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.lastSent = Date.now()
      // A closed or unreachable database: the dispatchers' poll finds the work.
      this.db.notify(WEBHOOK_WAKE_CHANNEL).catch(() => undefined)
    }, wait)
    this.timer.unref()
  }
}

const signals = new WeakMap<Database, WakeSignal>()

/** Called after a commit that queued deliveries. */
export function wakeDispatchers(db: Database): void {
  let signal = signals.get(db)
  if (!signal) {
    signal = new WakeSignal(db)
    signals.set(db, signal)
  }
  signal.request()
}
