// Where the time of a run went: CPU of the worker (from its probe), of the receiver, and of the
// PostgreSQL backends serving the bench database (from /proc, when PostgreSQL runs on this
// machine), plus the worker's round trips by statement. Read before and after a run.
import pg from 'pg'
import { readProcessCpuSeconds } from '../process-cpu.ts'
import type { Child } from './processes.ts'
import { WEBHOOK_BENCH_DATABASE } from './settings.ts'

export interface ProbeSnapshot {
  queries: Record<string, { calls: number; rows: number }>
  cpuMs: number
  eventLoopUtilization: number
}

export interface Costs {
  workerCpuMs: number | null
  workerEventLoopUtilization: number | null
  receiverCpuMs: number
  /** null when PostgreSQL's processes are not readable here (another machine, a container). */
  postgresCpuMs: number | null
  queries: Record<string, { calls: number; rows: number }>
}

/** CPU milliseconds (user + system) of each backend connected to the bench database. */
export async function postgresCpu(admin: pg.Client): Promise<Map<number, number> | null> {
  const { rows } = await admin.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [WEBHOOK_BENCH_DATABASE])
  const cpu = new Map<number, number>()
  for (const { pid } of rows) {
    // Not on this machine (or gone since the query): not counted.
    const seconds = readProcessCpuSeconds(pid)
    if (seconds !== undefined) cpu.set(pid, seconds * 1000)
  }
  return rows.length > 0 && cpu.size === 0 ? null : cpu
}

/** Backends that appeared during the run count from zero; those that left are not counted. */
export function postgresCpuSpent(before: Map<number, number> | null, after: Map<number, number> | null): number | null {
  if (!before || !after) return null
  let total = 0
  for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0)
  return total
}

export class CostMeter {
  private pgBefore: Map<number, number> | null = null
  private receiverBefore = 0

  private readonly admin: pg.Client
  private readonly receiver: Child
  private readonly worker: Child | undefined

  constructor(
    admin: pg.Client,
    receiver: Child,
    worker: Child | undefined,
  ) {
    this.admin = admin
    this.receiver = receiver
    this.worker = worker
  }

  async start(): Promise<void> {
    if (this.worker) await this.worker.ask<ProbeSnapshot>({ cmd: 'snapshot' })
    this.receiverBefore = (await this.receiver.ask<{ cpuMs: number }>({ cmd: 'stats' })).cpuMs
    this.pgBefore = await postgresCpu(this.admin)
  }

  async stop(): Promise<Costs> {
    const probe = this.worker ? await this.worker.ask<ProbeSnapshot>({ cmd: 'snapshot' }) : undefined
    const receiverCpu = (await this.receiver.ask<{ cpuMs: number }>({ cmd: 'stats' })).cpuMs - this.receiverBefore
    const pgCpu = postgresCpuSpent(this.pgBefore, await postgresCpu(this.admin))
    return {
      workerCpuMs: probe?.cpuMs ?? null,
      workerEventLoopUtilization: probe?.eventLoopUtilization ?? null,
      receiverCpuMs: receiverCpu,
      postgresCpuMs: pgCpu,
      queries: probe?.queries ?? {},
    }
  }
}
