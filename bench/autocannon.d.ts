// autocannon ships no types; this declares only the part of its programmatic API the bench uses.
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events'

  namespace autocannon {
    interface Request {
      method?: string
      path?: string
      headers?: Record<string, string>
      body?: string
      /** Called before each send of this request; returns the request to send. */
      setupRequest?: (request: Request) => Request
    }
    interface Options {
      url: string
      connections?: number
      /** Seconds. */
      duration?: number
      headers?: Record<string, string>
      /** Each connection cycles through these in order. */
      requests?: Request[]
    }
    interface Histogram {
      average: number
      total: number
      p50: number
      p99: number
    }
    interface Result {
      /** Seconds, measured by autocannon. */
      duration: number
      errors: number
      timeouts: number
      non2xx: number
      requests: Histogram
      latency: Histogram
    }
    interface Instance extends EventEmitter {
      stop(): void
    }
  }

  function autocannon(options: autocannon.Options, callback: (error: Error | null, result: autocannon.Result) => void): autocannon.Instance
  export = autocannon
}
