// Starts one bench server in its own process, so the load generator here does not share an
// event loop with it. The server reports readiness over IPC (see servers/serve.ts); the same
// channel makes an orphaned server exit when this process dies.
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { processCpuSeconds } from './process-cpu.ts'

export interface RunningServer {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string
  /** Resident set size of the server process now, in bytes (from /proc; 0 where there is none). */
  rss(): number
  /** CPU time the server process has used so far (user + system, all threads), in seconds. */
  cpuSeconds(): number
  stop(): Promise<void>
}

export interface ServerOptions {
  /** The server's whole environment (nothing else is inherited). */
  env: Record<string, string>
  /** Extra node options, e.g. --cpu-prof. */
  nodeArgs?: string[]
  /** Where the server's stdout goes: the console, or nowhere (servers that log every request). */
  stdout?: 'inherit' | 'ignore'
}

const ROOT = fileURLToPath(new URL('..', import.meta.url))
// tsx compiles the server (and for Tenantry the whole app) on first start; that takes a few seconds.
const READY_TIMEOUT_MS = 60_000
// A server writing a CPU profile at exit needs a moment more than one that only closes its pool.
const STOP_TIMEOUT_MS = 15_000

export function startServer(file: string, options: ServerOptions): Promise<RunningServer> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', file], {
    cwd: ROOT,
    env: options.env,
    stdio: ['ignore', options.stdout ?? 'inherit', 'inherit', 'ipc'],
  })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`${file} was not ready after ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS)
    const onMessage = (message: unknown) => {
      const url = readyUrl(message)
      if (url === undefined) return
      cleanup()
      resolve({ url, rss: () => residentBytes(child.pid), cpuSeconds: () => processCpuSeconds(child.pid), stop: () => stopChild(child) })
    }
    const onExit = (code: number | null, signal: string | null) => fail(new Error(`${file} exited (${signal ?? code}) before it was ready`))
    const onError = (error: Error) => fail(error)
    function cleanup() {
      clearTimeout(timer)
      child.off('message', onMessage).off('exit', onExit).off('error', onError)
    }
    function fail(error: Error) {
      cleanup()
      child.kill('SIGKILL')
      reject(error)
    }
    child.on('message', onMessage).on('exit', onExit).on('error', onError)
  })
}

/** The environment every server needs to run at all (tsx finds node_modules from cwd). */
export function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {}
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ']) {
    const value = process.env[name]
    if (value !== undefined) env[name] = value
  }
  return env
}

function readyUrl(message: unknown): string | undefined {
  if (typeof message !== 'object' || message === null) return undefined
  const url = (message as { ready?: unknown }).ready
  return typeof url === 'string' ? url : undefined
}

function residentBytes(pid: number | undefined): number {
  if (pid === undefined) return 0
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match ? Number(match[1]) * 1024 : 0
  } catch {
    return 0
  }
}

/** SIGTERM lets the server close its pool; SIGKILL if it has not exited in time. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
    child.kill('SIGTERM')
  })
}
