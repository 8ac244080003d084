// Plumbing every bench server shares: its settings (env, set by bench/run.ts), listening on
// 127.0.0.1, telling the parent it is ready, and closing cleanly when told to stop.
import type { FastifyInstance } from 'fastify'

export interface ServerEnv {
  databaseUrl: string
  /** Set for the variant whose pool logs in as the app role. */
  appDatabaseUrl: string | undefined
  port: number
}

// Past this, a stuck close must not keep the bench waiting (the parent would SIGKILL anyway).
const CLOSE_TIMEOUT_MS = 3_000

export function serverEnv(env: NodeJS.ProcessEnv = process.env): ServerEnv {
  const databaseUrl = env.BENCH_SERVER_DATABASE_URL
  if (!databaseUrl) throw new Error('BENCH_SERVER_DATABASE_URL is not set (bench servers are started by bench/run.ts)')
  return {
    databaseUrl,
    appDatabaseUrl: env.BENCH_SERVER_APP_DATABASE_URL || undefined,
    port: Number(env.BENCH_SERVER_PORT ?? 0), // 0: any free port, reported in the ready message
  }
}

/** Listens, reports `{ ready: url }` over IPC (or prints it when run by hand), closes on SIGTERM or parent exit. */
export async function serve(app: FastifyInstance, port: number, closeDatabase: () => Promise<void>): Promise<void> {
  const url = await app.listen({ port, host: '127.0.0.1' })
  let closing = false
  const shutdown = () => {
    if (closing) return
    closing = true
    setTimeout(() => process.exit(1), CLOSE_TIMEOUT_MS).unref()
    app.close().then(closeDatabase).then(() => process.exit(0), () => process.exit(1))
  }
  process.on('SIGTERM', shutdown).on('SIGINT', shutdown).on('disconnect', shutdown)
  if (process.send) process.send({ ready: url })
  else console.log(`ready ${url}`)
}
