// Preloaded into `tenantry worker` and the bench server (node --import): counts the process's
// database round trips by statement, and answers the bench over IPC with those counts, its CPU
// time and event-loop utilisation, or starts/stops a CPU profile. Touches nothing in src/: it
// wraps pg.Client#query, through which every statement (and every pipelined BEGIN + context +
// statement, one round trip) is sent.
//   { cmd: 'snapshot' }              counts since the last snapshot, then resets them
//   { cmd: 'profile-start' }
//   { cmd: 'profile-stop', file }    writes the .cpuprofile to file
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import pg from 'pg'

interface Counter {
  calls: number
  /** Rows the statements returned or changed (claim: deliveries claimed). */
  rows: number
}

// First match wins; the texts are the dispatcher's (src/modules/webhooks/dispatcher/delivery-store.ts).
const KINDS: [string, RegExp][] = [
  ['claim', /tenantry_claim_webhook_deliveries/],
  ['lease', /with leased as/],
  ['record results', /insert into webhook_delivery_attempts/],
  ['endpoint health', /update webhook_endpoints/],
  ['lock endpoints', /from webhook_endpoints[\s\S]*for update/],
  ['release', /set status = case when attempts = 0/],
  ['queue stats', /tenantry_webhook_queue_stats/],
  ['commit', /^commit$/i],
  ['rollback', /^rollback$/i],
]

let counters = new Map<string, Counter>()

function count(kind: string, rows: number, calls: number): void {
  const counter = counters.get(kind) ?? { calls: 0, rows: 0 }
  counter.calls += calls
  counter.rows += rows
  counters.set(kind, counter)
}

// Statement texts are static, so each is classified once.
const kinds = new Map<string, string>()

function kindOf(text: string | undefined): string {
  if (!text) return 'other'
  let kind = kinds.get(text)
  if (kind === undefined) {
    kind = KINDS.find(([, pattern]) => pattern.test(text))?.[0] ?? `other: ${text.replace(/\s+/g, ' ').trim().slice(0, 48)}`
    if (kinds.size < 1000) kinds.set(text, kind)
  }
  return kind
}

function rowsOf(result: unknown): number {
  const last = Array.isArray(result) ? result[result.length - 1] : result
  const rowCount = (last as { rowCount?: number | null } | undefined)?.rowCount
  return typeof rowCount === 'number' ? rowCount : 0
}

type QueryFn = (this: pg.Client, config: unknown, values?: unknown, callback?: unknown) => unknown
const prototype = pg.Client.prototype as unknown as { query: QueryFn }
const original = prototype.query
prototype.query = function (config, values, callback) {
  const text = typeof config === 'string' ? config : (config as { text?: string } | undefined)?.text
  const kind = kindOf(text)
  count(kind, 0, 1)
  // Pipelined queries (src/db/pg/pipelined-query.ts) come as submittables with a callback.
  const submittable = config as { submit?: unknown; callback?: (error: Error | null, result?: unknown) => void } | undefined
  if (submittable && typeof submittable.submit === 'function' && typeof submittable.callback === 'function') {
    const callback = submittable.callback
    submittable.callback = (error, result) => {
      if (!error) count(kind, rowsOf(result), 0)
      callback(error, result)
    }
  }
  const result = original.call(this, config, values, callback)
  if (result && typeof (result as Promise<unknown>).then === 'function') {
    ;(result as Promise<unknown>).then((value) => count(kind, rowsOf(value), 0), () => undefined)
  }
  return result
}

let lastCpu = process.cpuUsage()
let lastElu = performance.eventLoopUtilization()
let session: Session | undefined

/** Counts, CPU and event-loop utilisation since the last snapshot; resets them. Also used in-process by the bench. */
export function takeSnapshot(): { queries: Record<string, Counter>; cpuMs: number; eventLoopUtilization: number } {
  const cpu = process.cpuUsage(lastCpu)
  const elu = performance.eventLoopUtilization(lastElu)
  lastCpu = process.cpuUsage()
  lastElu = performance.eventLoopUtilization()
  const snapshot = { queries: Object.fromEntries(counters), cpuMs: (cpu.user + cpu.system) / 1000, eventLoopUtilization: elu.utilization }
  counters = new Map()
  return snapshot
}

async function handle(message: { cmd: string; file?: string }): Promise<unknown> {
  switch (message.cmd) {
    case 'snapshot':
      return takeSnapshot()
    case 'profile-start':
      session = new Session()
      session.connect()
      await session.post('Profiler.enable')
      await session.post('Profiler.setSamplingInterval', { interval: 500 })
      await session.post('Profiler.start')
      return true
    case 'profile-stop': {
      if (!session || !message.file) throw new Error('no profile running, or no file given')
      const { profile } = await session.post('Profiler.stop')
      session.disconnect()
      session = undefined
      writeFileSync(message.file, JSON.stringify(profile))
      return message.file
    }
    default:
      throw new Error(`unknown command ${message.cmd}`)
  }
}

if (process.send) {
  process.on('message', (message: { id: string; cmd: string; file?: string }) => {
    handle(message).then(
      (result) => process.send!({ reply: message.id, result }),
      (error: unknown) => process.send!({ reply: message.id, error: error instanceof Error ? error.message : String(error) }),
    )
  })
  // The channel must not keep the process alive once its own shutdown is done.
  process.channel?.unref()
}
