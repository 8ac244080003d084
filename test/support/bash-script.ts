// Runs a shell script as a reader of the docs would, through bash, and collects what it printed.
import { spawn, type ChildProcess } from 'node:child_process'

export interface BashResult {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * Runs `script` with bash in `cwd`, with only `env` (plus PATH and HOME) in its environment.
 * Each child is in `running` while it runs, so a test that times out can kill what is left.
 */
export function runBash(script: string, options: { cwd: string; env?: Record<string, string>; running: Set<ChildProcess> }): Promise<BashResult> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', script], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    options.running.add(child)
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('close', (code) => {
      options.running.delete(child)
      resolve({ code, stdout, stderr })
    })
  })
}
