// A real HTTP receiver on 127.0.0.1 for webhook tests: records every request (raw body and
// headers, in arrival order) and answers what the test tells it to.
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ReceivedRequest {
  path: string
  headers: IncomingHttpHeaders
  body: string
  at: number
}

/** What to answer; `hang` never answers (the request stays open until the sender gives up or the receiver closes). */
export type Answer = { status: number; headers?: Record<string, string>; body?: string; delayMs?: number } | { hang: true }

export interface WebhookReceiver {
  url(path?: string): string
  received: ReceivedRequest[]
  /** Decides the answer per request (default 200 at once). */
  answer(fn: (request: ReceivedRequest, index: number) => Answer): void
  /** Resolves when at least n requests arrived on `path` (all paths when omitted), or throws after timeoutMs. */
  waitFor(n: number, options?: { path?: string; timeoutMs?: number }): Promise<ReceivedRequest[]>
  close(): Promise<void>
}

export async function startReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedRequest[] = []
  let decide: (request: ReceivedRequest, index: number) => Answer = () => ({ status: 200 })
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const request = { path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() }
      received.push(request)
      const answer = decide(request, received.length - 1)
      if ('hang' in answer) return
      const send = (response: ServerResponse) => response.writeHead(answer.status, answer.headers).end(answer.body ?? '')
      if (answer.delayMs) setTimeout(() => send(res), answer.delayMs)
      else send(res)
    })
  })
  server.keepAliveTimeout = 60_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: (path = '/hook') => `http://127.0.0.1:${port}${path}`,
    received,
    answer(fn) {
      decide = fn
    },
    async waitFor(n, { path, timeoutMs = 15_000 } = {}) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const matching = received.filter((request) => path === undefined || request.path === path)
        if (matching.length >= n) return matching
        if (Date.now() > deadline) throw new Error(`receiver got ${matching.length} of ${n} requests${path ? ` on ${path}` : ''} in ${timeoutMs} ms`)
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
