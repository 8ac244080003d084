// Helpers of the rate-limit and quota tests: a fresh fixed window, and a Redis server of the
// test's own on 127.0.0.1 that the test may stop and start again on the same port.
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { Redis } from 'ioredis'

/**
 * Windows are fixed and aligned on the epoch: when less than `marginMs` of the current one is
 * left, wait for the next, so the steps of a test all fall in one window.
 */
export async function awaitFreshWindow(windowMs: number, marginMs: number): Promise<void> {
  const left = windowMs - (Date.now() % windowMs)
  if (left < marginMs) await new Promise((resolve) => setTimeout(resolve, left + 50))
}

export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

export interface OwnRedis {
  url: string
  start(): Promise<void>
  stop(): Promise<void>
}

/** A redis-server (from PATH) on a free port, without persistence: a restart starts empty. */
export function ownRedis(port: number): OwnRedis {
  let child: ChildProcess | undefined
  const url = `redis://127.0.0.1:${port}`
  return {
    url,
    async start() {
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
      const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null })
      probe.on('error', () => undefined) // refused until the server listens: the loop retries
      try {
        for (let attempt = 0; attempt < 100; attempt++) {
          try {
            await probe.connect()
            await probe.ping()
            return
          } catch {
            probe.disconnect()
            await new Promise((resolve) => setTimeout(resolve, 50))
          }
        }
        throw new Error(`redis-server did not start on ${url}`)
      } finally {
        probe.disconnect()
      }
    },
    async stop() {
      const running = child
      child = undefined
      if (!running || running.exitCode !== null) return
      const exited = new Promise((resolve) => running.once('exit', resolve))
      running.kill('SIGKILL')
      await exited
    },
  }
}

/** Polls `condition` (bounded) until it holds. */
export async function eventually(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
