// Starts one bench server in its own process, so the load generator here does not share an
// event loop with it. The server reports readiness over IPC (see servers/serve.ts); the same
// channel makes an orphaned server exit when this process dies.
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export interface RunningServer {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string
  stop(): Promise<void>
}

const ROOT = fileURLToPath(new URL('..', import.meta.url))
// tsx compiles the server (and for Tenantry the whole app) on first start; that takes a few seconds.
const READY_TIMEOUT_MS = 30_000
const STOP_TIMEOUT_MS = 5_000

export function startServer(file: string, env: Record<string, string>): Promise<RunningServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', file], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`${file} was not ready after ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS)
    const onMessage = (message: unknown) => {
      const url = readyUrl(message)
      if (url === undefined) return
      cleanup()
      resolve({ url, stop: () => stopChild(child) })
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

function readyUrl(message: unknown): string | undefined {
  if (typeof message !== 'object' || message === null) return undefined
  const url = (message as { ready?: unknown }).ready
  return typeof url === 'string' ? url : undefined
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
