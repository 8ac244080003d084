import { Counter } from 'prom-client'
import { metricsRegistry } from '../../observability/metrics.ts'

// Labels are bounded: a handful of job names and four outcomes.

/** One per run attempt: succeeded, partial (some tenants failed), failed (the run threw), skipped (another instance has it). */
export const scheduledJobRunsTotal = new Counter({
  name: 'scheduled_job_runs_total',
  help: 'Scheduled job runs by job and outcome (succeeded, partial, failed, skipped)',
  labelNames: ['job', 'outcome'] as const,
  registers: [metricsRegistry],
})

/** One per tenant whose work threw, plus one per run that failed as a whole. */
export const scheduledJobFailuresTotal = new Counter({
  name: 'scheduled_job_failures_total',
  help: 'Scheduled job failures: each tenant whose work threw, and each run that failed as a whole',
  labelNames: ['job'] as const,
  registers: [metricsRegistry],
})
