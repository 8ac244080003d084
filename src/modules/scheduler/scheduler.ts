// The scheduler (DESIGN §15): cron-timed jobs, each run by exactly one instance. A run takes the
// job's advisory lock (job-lock.ts), then claims its slot in scheduled_jobs, then works; an
// instance that finds the lock taken, or the slot already claimed, skips. Per-tenant work goes
// through forEachTenant, each tenant in its own context: one tenant's failure is logged and
// counted, and the others still run.
import { hostname } from 'node:os'
import { randomBytes } from 'node:crypto'
import { Cron } from 'croner'
import type { Actor } from '../../context/index.ts'
import { forEachTenant, withSystem, type Database, type ForEachTenantResult } from '../../db/index.ts'
import type { Logger } from '../../observability/logger.ts'
import { withJobLock } from './job-lock.ts'
import * as runs from './job-runs.repository.ts'
import { scheduledJobFailuresTotal, scheduledJobRunsTotal } from './scheduler.metrics.ts'

export interface JobContext {
  readonly job: string
  readonly logger: Logger | undefined
  /** Aborted when the scheduler stops: per-tenant loops stop starting new tenants. */
  readonly signal: AbortSignal
  /** forEachTenant as this job: each tenant in its own context; failures logged and counted, never fatal. */
  eachTenant(fn: (tenantId: string) => Promise<void>, options?: { statuses?: string[] }): Promise<ForEachTenantResult>
}

export interface ScheduledJob {
  name: string
  /** Cron pattern, evaluated in UTC. */
  schedule: string
  /** What the run did, for the log and scheduled_jobs.last_summary (JSON). */
  run(context: JobContext): Promise<Record<string, unknown> | void>
}

export type RunOutcome = 'succeeded' | 'partial' | 'failed' | 'skipped'

export interface RunReport {
  job: string
  outcome: RunOutcome
  /** Why a run was skipped: another holder has the lock, the slot ran already, or the scheduler is stopping. */
  reason?: 'locked' | 'already_ran' | 'stopping'
  /** Tenants whose work threw. */
  failures: number
  summary?: Record<string, unknown>
  error?: unknown
}

export interface SchedulerOptions {
  db: Database
  logger?: Logger
  /** Names this instance in scheduled_jobs.last_instance. */
  instanceId?: string
}

interface Registered {
  job: ScheduledJob
  /** Half the gap between two slots: a run that started less than this ago took the current slot. */
  minGapMs: number
  cron?: Cron
}

export class Scheduler {
  private readonly jobs = new Map<string, Registered>()
  private readonly running = new Set<Promise<RunReport>>()
  private readonly db: Database
  private logger: Logger | undefined
  private readonly instanceId: string
  private stopping = new AbortController()
  private started = false

  constructor(options: SchedulerOptions) {
    this.db = options.db
    this.logger = options.logger
    this.instanceId = options.instanceId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`
  }

  register(job: ScheduledJob): void {
    if (this.jobs.has(job.name)) throw new Error(`scheduled job ${job.name} is registered twice`)
    // Parsed now: a bad pattern fails at start, not at 3 a.m.
    const [first, second] = new Cron(job.schedule, { paused: true, timezone: 'UTC' }).nextRuns(2)
    if (!first || !second) throw new Error(`scheduled job ${job.name}: pattern ${job.schedule} never repeats`)
    this.jobs.set(job.name, { job, minGapMs: (second.getTime() - first.getTime()) / 2 })
  }

  get jobNames(): string[] {
    return [...this.jobs.keys()]
  }

  /** Starts the cron timers (they do not keep the process alive). */
  start(logger?: Logger): void {
    if (logger) this.logger = logger
    if (this.started) return
    this.started = true
    this.stopping = new AbortController()
    for (const entry of this.jobs.values()) {
      // protect: a run still going when its next slot comes is not started twice here.
      entry.cron = new Cron(entry.job.schedule, { timezone: 'UTC', protect: true, unref: true, catch: true }, async () => {
        await this.runJob(entry.job.name, { force: false })
      })
    }
    this.logger?.info({ jobs: this.jobNames }, 'scheduler started')
  }

  /** Stops the timers, asks running jobs to stop after their current tenant, and waits for them. */
  async stop(): Promise<void> {
    for (const entry of this.jobs.values()) {
      entry.cron?.stop()
      entry.cron = undefined
    }
    this.started = false
    this.stopping.abort()
    await Promise.allSettled([...this.running])
  }

  /**
   * Runs a job now, under its lock. `force: false` (the timers) also requires that no instance
   * ran it within half its period; `force: true` (operators, tests) only needs the lock.
   */
  runJob(name: string, options: { force?: boolean } = {}): Promise<RunReport> {
    const entry = this.jobs.get(name)
    if (!entry) return Promise.reject(new Error(`no scheduled job named ${name}`))
    const run = this.execute(entry, options.force ?? true)
    this.running.add(run)
    void run.finally(() => this.running.delete(run))
    return run
  }

  private async execute(entry: Registered, force: boolean): Promise<RunReport> {
    const { job } = entry
    if (this.stopping.signal.aborted) return this.skipped(job.name, 'stopping')
    let failures = 0
    try {
      const locked = await withJobLock(this.db, job.name, async () => {
        const claimed = await withSystem(this.db, (tx) => runs.claimRun(tx, job.name, entry.minGapMs, this.instanceId, force))
        if (!claimed) return undefined
        const context = this.contextFor(job.name, () => (failures += 1))
        let outcome: RunOutcome = 'failed'
        let summary: Record<string, unknown> = {}
        try {
          summary = (await job.run(context)) ?? {}
          // Stopped midway: the tenants not reached wait for the next slot; say so in the record.
          if (context.signal.aborted) summary = { ...summary, interrupted: true }
          outcome = failures > 0 ? 'partial' : 'succeeded'
          return { outcome, summary }
        } catch (error) {
          summary = { error: error instanceof Error ? error.message : String(error) }
          throw error
        } finally {
          await withSystem(this.db, (tx) => runs.finishRun(tx, job.name, outcome, { ...summary, failed_tenants: failures })).catch((error: unknown) =>
            this.logger?.warn({ err: error, job: job.name }, 'could not record the end of a scheduled job run'),
          )
        }
      })
      if (!locked.acquired) return this.skipped(job.name, 'locked')
      if (locked.value === undefined) return this.skipped(job.name, 'already_ran')
      const { outcome, summary } = locked.value
      scheduledJobRunsTotal.inc({ job: job.name, outcome })
      this.logger?.info({ job: job.name, outcome, failed_tenants: failures, ...summary }, 'scheduled job finished')
      return { job: job.name, outcome, failures, summary }
    } catch (error) {
      scheduledJobRunsTotal.inc({ job: job.name, outcome: 'failed' })
      scheduledJobFailuresTotal.inc({ job: job.name })
      this.logger?.error({ err: error, job: job.name }, 'scheduled job failed')
      return { job: job.name, outcome: 'failed', failures, error }
    }
  }

  private contextFor(job: string, onFailure: () => void): JobContext {
    const actor: Actor = { type: 'system', job }
    const signal = this.stopping.signal
    const logger = this.logger
    return {
      job,
      logger,
      signal,
      eachTenant: async (fn, options = {}) => {
        const result = await forEachTenant(this.db, async (tenantId) => {
          if (signal.aborted) return // stopping: the remaining tenants wait for the next run
          await fn(tenantId)
        }, { statuses: options.statuses, actor })
        for (const failure of result.failed) {
          onFailure()
          scheduledJobFailuresTotal.inc({ job })
          logger?.error({ err: failure.error, job, tenant_id: failure.tenantId }, 'scheduled job failed for one tenant; the others went on')
        }
        return result
      },
    }
  }

  private skipped(job: string, reason: NonNullable<RunReport['reason']>): RunReport {
    scheduledJobRunsTotal.inc({ job, outcome: 'skipped' })
    this.logger?.debug({ job, reason }, 'scheduled job skipped')
    return { job, outcome: 'skipped', reason, failures: 0 }
  }
}
