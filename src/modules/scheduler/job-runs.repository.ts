// SQL for scheduled_jobs (global): the slot claim and the record of each run. Times are the
// database's, so instances whose clocks disagree still agree on whether a slot was taken.
import type { Queryable } from '../../db/index.ts'

export interface JobRunRow {
  name: string
  last_started_at: Date
  last_finished_at: Date | null
  last_outcome: string | null
  last_instance: string | null
  last_summary: Record<string, unknown>
}

/**
 * Claims a run: true when no run started within `minGapMs` (or `force`). Called under the job's
 * advisory lock, so the check and the write cannot interleave with another instance's.
 */
export async function claimRun(tx: Queryable, name: string, minGapMs: number, instance: string, force: boolean): Promise<boolean> {
  const { rows } = await tx.query(
    `insert into scheduled_jobs (name, last_started_at, last_instance) values ($1, now(), $3)
     on conflict (name) do update set last_started_at = now(), last_instance = excluded.last_instance, last_finished_at = null, last_outcome = null
       where $4::boolean or scheduled_jobs.last_started_at <= now() - make_interval(secs => $2::float8 / 1000)
     returning name`,
    [name, minGapMs, instance, force],
  )
  return rows.length === 1
}

export async function finishRun(tx: Queryable, name: string, outcome: string, summary: Record<string, unknown>): Promise<void> {
  await tx.query(
    'update scheduled_jobs set last_finished_at = now(), last_outcome = $2, last_summary = $3 where name = $1',
    [name, outcome, JSON.stringify(summary)],
  )
}

export async function listRuns(tx: Queryable): Promise<JobRunRow[]> {
  const { rows } = await tx.query<JobRunRow>('select name, last_started_at, last_finished_at, last_outcome, last_instance, last_summary from scheduled_jobs order by name')
  return rows
}
