// The processes of the webhook bench, each on its own event loop: the receiver, the app server
// (bench/webhooks/server.ts) and `tenantry worker`. All keep an IPC channel: the receiver and the
// worker's probe answer requests over it, and a child whose parent died exits with it.
import { spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'

export interface Child {
  child: ChildProcess
  /** Base URL for servers, '' for the worker. */
  url: string
  pid: number
  /** The last 64 KiB of its stdout and stderr. */
  output(): string
  /** Sends `message` and resolves with the child's `{ reply: id, result }` answer. */
  ask<T>(message: Record<string, unknown>, timeoutMs?: number): Promise<T>
  /** SIGTERM, SIGKILL after 15 s; resolves with the exit code. */
  stop(): Promise<number | null>
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const READY_TIMEOUT_MS = 60_000
const STOP_TIMEOUT_MS = 15_000
const KEPT_OUTPUT = 64 * 1024

export interface SpawnOptions {
  /** Node arguments after `--import tsx` (flags, then the script and its arguments). */
  args: string[]
  env: Record<string, string>
  /** Ready when this matches the output (its first group is the URL), or on an IPC `{ ready: url }` when absent. */
  readyLine?: RegExp
  name: string
}

/** The environment a child gets: only what it needs, never the bench's own DATABASE_URL and the like. */
export function childEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {}
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG']) if (process.env[name]) env[name] = process.env[name]!
  return { ...env, ...extra }
}

export function spawnChild(options: SpawnOptions): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...options.args], {
    cwd: ROOT,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  })
  let output = ''
  const keep = (chunk: Buffer) => {
    output += chunk.toString('utf8')
    if (output.length > KEPT_OUTPUT * 2) output = output.slice(-KEPT_OUTPUT)
  }
  child.stdout!.on('data', keep)
  child.stderr!.on('data', keep)
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const waiting = new Map<string, { resolve: (value: unknown) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>()
  child.on('message', (message: { reply?: string; result?: unknown; error?: string }) => {
    const pending = message.reply ? waiting.get(message.reply) : undefined
    if (!pending) return
    waiting.delete(message.reply!)
    clearTimeout(pending.timer)
    if (message.error) pending.reject(new Error(`${options.name}: ${message.error}`))
    else pending.resolve(message.result)
  })
  void exited.then((code) => {
    for (const pending of waiting.values()) pending.reject(new Error(`${options.name} exited (${code})`))
    waiting.clear()
  })

  const handle = (url: string): Child => ({
    child,
    url,
    pid: child.pid!,
    output: () => output,
    ask<T>(message: Record<string, unknown>, timeoutMs = 30_000): Promise<T> {
      const id = randomUUID()
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id)
          reject(new Error(`${options.name} did not answer ${JSON.stringify(message)} within ${timeoutMs} ms`))
        }, timeoutMs)
        waiting.set(id, { resolve: resolve as (value: unknown) => void, reject, timer })
        child.send({ ...message, id })
      })
    },
    stop() {
      if (child.exitCode !== null || child.signalCode !== null) return exited
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
      child.kill('SIGTERM')
      return exited.finally(() => clearTimeout(timer))
    },
  })

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`${options.name} was not ready after ${READY_TIMEOUT_MS} ms:\n${output}`)), READY_TIMEOUT_MS)
    const onData = () => {
      const match = options.readyLine?.exec(output)
      if (match) done(match[1] ?? '')
    }
    const onMessage = (message: { ready?: unknown }) => {
      if (!options.readyLine && typeof message?.ready === 'string') done(message.ready)
    }
    const onExit = (code: number | null, signal: string | null) => fail(new Error(`${options.name} exited (${signal ?? code}) before it was ready:\n${output}`))
    function cleanup() {
      clearTimeout(timer)
      child.stdout!.off('data', onData)
      child.off('message', onMessage).off('exit', onExit)
    }
    function done(url: string) {
      cleanup()
      resolve(handle(url))
    }
    function fail(error: Error) {
      cleanup()
      child.kill('SIGKILL')
      reject(error)
    }
    child.stdout!.on('data', onData)
    child.on('message', onMessage).on('exit', onExit)
  })
}

/** Error and fatal lines (pino levels 50, 60) a child wrote: any of them makes its figures suspect. */
export function errorLines(output: string): string[] {
  return output.split('\n').filter((line) => /"level":(50|60)\b/.test(line))
}
