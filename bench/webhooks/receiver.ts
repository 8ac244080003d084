// The webhook receiver of the bench, run as its own process (so it never shares an event loop with
// the dispatcher): node:http on 127.0.0.1, answers every POST 200 with an empty body at once, and
// records when each delivery (path + webhook-id) first arrived. Driven over IPC by the bench:
//   { cmd: 'reset', latency, prefix }  forget everything; count only paths under prefix (others
//                              are `stray`: late resends for an earlier run); latency: also keep
//                              each body's created_at and item_code
//   { cmd: 'stats' }           counts, first/last arrival, CPU used
//   { cmd: 'arrivals' }        [key, first arrival (epoch ms, fractional), created_at, item_code][]
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

interface Arrival {
  at: number
  createdAt: string | null
  itemCode: string | null
}

// Epoch milliseconds with sub-millisecond resolution, comparable across processes on one machine.
const now = () => performance.timeOrigin + performance.now()
// The body starts {"id":…,"type":…,"tenant_id":…,"created_at":"…": the first created_at is the event's.
const CREATED_AT = /"created_at":"([^"]+)"/
const ITEM_CODE = /"item_code":"([^"]+)"/

let latency = false
let prefix = '/'
let stray = 0
let arrivals = new Map<string, Arrival>()
let requests = 0
let duplicates = 0
let nonPost = 0
let firstAt = 0
let lastAt = 0

const server = createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (chunk: Buffer) => {
    if (latency) chunks.push(chunk)
  })
  req.on('end', () => {
    const at = now()
    if (!req.url?.startsWith(prefix)) {
      stray += 1
      res.writeHead(200, { 'content-length': '0' }).end()
      return
    }
    requests += 1
    if (req.method !== 'POST') nonPost += 1
    const key = `${req.url}|${req.headers['webhook-id']}`
    if (arrivals.has(key)) duplicates += 1
    else {
      const body = latency ? Buffer.concat(chunks).toString('utf8') : ''
      arrivals.set(key, { at, createdAt: CREATED_AT.exec(body)?.[1] ?? null, itemCode: ITEM_CODE.exec(body)?.[1] ?? null })
    }
    if (firstAt === 0) firstAt = at
    lastAt = at
    res.writeHead(200, { 'content-length': '0' }).end()
  })
})
server.keepAliveTimeout = 60_000

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo
  process.send!({ ready: `http://127.0.0.1:${port}` })
})

process.on('message', (message: { id: string; cmd: string; latency?: boolean; prefix?: string }) => {
  const reply = (result: unknown) => process.send!({ reply: message.id, result })
  switch (message.cmd) {
    case 'reset':
      latency = message.latency === true
      prefix = message.prefix ?? '/'
      arrivals = new Map()
      requests = duplicates = nonPost = firstAt = lastAt = stray = 0
      return reply(true)
    case 'stats': {
      const cpu = process.cpuUsage()
      return reply({ requests, distinct: arrivals.size, duplicates, nonPost, stray, firstAt, lastAt, cpuMs: (cpu.user + cpu.system) / 1000 })
    }
    case 'arrivals':
      return reply([...arrivals].map(([key, arrival]) => [key, arrival.at, arrival.createdAt, arrival.itemCode]))
    default:
      return process.send!({ reply: message.id, error: `unknown command ${message.cmd}` })
  }
})
// The bench went away: so do we.
process.on('disconnect', () => {
  server.closeAllConnections()
  server.close(() => process.exit(0))
})
process.on('SIGTERM', () => process.exit(0))
