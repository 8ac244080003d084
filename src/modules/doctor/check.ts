/** One item of the checklist: what was checked, and what to do when it is not right. */
export interface CheckResult {
  id: string
  status: 'pass' | 'warn' | 'fail'
  /** What was found, or what to change (one line each). */
  details: string[]
}

export const pass = (id: string, detail: string): CheckResult => ({ id, status: 'pass', details: [detail] })
export const warn = (id: string, ...details: string[]): CheckResult => ({ id, status: 'warn', details })
export const fail = (id: string, ...details: string[]): CheckResult => ({ id, status: 'fail', details })

/** pass when problems is empty, otherwise the given status with one line per problem. */
export const judged = (id: string, problems: string[], ok: string, status: 'warn' | 'fail' = 'fail'): CheckResult =>
  problems.length === 0 ? pass(id, ok) : { id, status, details: problems }
