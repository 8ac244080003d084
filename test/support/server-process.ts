import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

export interface ServerProcess {
  child: ChildProcess
  url: string
  output: () => string
  /** Sends the signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

/** Starts `src/main.ts` as a real process (like npm start) and waits until it listens. */
export function startServer(env: Record<string, string>, timeoutMs = 30_000): Promise<ServerProcess> {
  return startProcess(['src/main.ts'], /Tenantry listening on (http:\/\/[^"\s]+)/, env, timeoutMs)
}

/**
 * Starts the server with `npm start`, exactly as README says, and waits until it listens. The
 * child is npm: a signal sent to it must reach the server (npm's script shell would otherwise
 * die alone and leave the server running, orphaned).
 */
export function startWithNpm(env: Record<string, string>, timeoutMs = 30_000): Promise<ServerProcess> {
  return startProcess(['start'], /Tenantry listening on (http:\/\/[^"\s]+)/, env, timeoutMs, 'npm')
}

/** Starts `tenantry worker` as a real process and waits until its dispatcher runs (url is ''). */
export function startWorker(env: Record<string, string>, timeoutMs = 30_000): Promise<ServerProcess> {
  return startProcess(['src/cli/main.ts', 'worker'], /tenantry worker running()/, env, timeoutMs)
}

function startProcess(args: string[], ready: RegExp, env: Record<string, string>, timeoutMs: number, via: 'node' | 'npm' = 'node'): Promise<ServerProcess> {
  const child = spawn(via === 'npm' ? 'npm' : process.execPath, via === 'npm' ? args : ['--import', 'tsx', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // npm in a process group of its own: a start that times out is SIGKILLed as a group, since
    // npm cannot pass on a SIGKILL and the server would outlive it.
    detached: via === 'npm',
  })
  let output = ''
  child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))
  // 'close', not 'exit': by then the output pipes are drained, so output() holds the last lines.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)))
  const kill = () => (via === 'npm' ? process.kill(-child.pid!, 'SIGKILL') : child.kill('SIGKILL'))

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      kill()
      reject(new Error(`${args.join(' ')} did not start within ${timeoutMs} ms:\n${output}`))
    }, timeoutMs)
    const onData = () => {
      const match = ready.exec(output)
      if (!match) return
      clearTimeout(timer)
      child.stdout!.off('data', onData)
      resolve({
        child,
        url: match[1]!,
        output: () => output,
        stop: (signal = 'SIGTERM') => {
          child.kill(signal)
          return exited
        },
      })
    }
    child.stdout!.on('data', onData)
    void exited.then((code) => {
      clearTimeout(timer)
      reject(Object.assign(new Error(`${args.join(' ')} exited with ${code} before it was ready:\n${output}`), { output, code }))
    })
  })
}
