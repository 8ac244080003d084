import { parseArgs } from 'node:util'
import { configChecks, databaseChecks, redisChecks, type CheckResult } from '../../modules/doctor/index.ts'
import { openCliContext } from '../cli-context.ts'

const LABEL = { pass: 'PASS', warn: 'WARN', fail: 'FAIL' } as const

/**
 * `tenantry doctor [--json]`: the security checklist (DESIGN §14), item by item. Configuration
 * is judged as production would judge it, whatever NODE_ENV says; the database items are the
 * start-up checks plus migrations; a REDIS_URL must answer a PING. Exit code 1 when an item fails; warnings are advice.
 */
export async function doctorCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' } } })
  const { config, db } = await openCliContext()
  let results: CheckResult[]
  try {
    results = [...configChecks(config), ...(await redisChecks(config.REDIS_URL)), ...(await databaseChecks(db))]
  } finally {
    await db.close()
  }
  if (values.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`)
  else {
    const width = Math.max(...results.map((r) => r.id.length))
    for (const result of results) {
      const [first, ...rest] = result.details
      process.stdout.write(`${LABEL[result.status]}  ${result.id.padEnd(width)}  ${first}\n`)
      for (const line of rest) process.stdout.write(`${' '.repeat(width + 8)}${line}\n`)
    }
    const count = (status: CheckResult['status']) => results.filter((r) => r.status === status).length
    process.stdout.write(`${count('pass')} passed, ${count('warn')} warnings, ${count('fail')} failed\n`)
  }
  if (results.some((r) => r.status === 'fail')) process.exitCode = 1
}
