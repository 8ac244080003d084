import { parseArgs } from 'node:util'
import type { Config } from '../../config/index.ts'
import type { Database } from '../../db/index.ts'
import { AuditService, type VerifyResult } from '../../modules/audit/index.ts'
import { openCliContext, tenantNamed, UsageError } from '../cli-context.ts'

/**
 * `tenantry audit verify (--tenant <id|slug> | --all)`: checks hash chains; exit code 1 when any
 * chain is broken. `tenantry audit purge`: applies AUDIT_RETENTION_DAYS to every tenant.
 */
export async function auditCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args
  if (sub !== 'verify' && sub !== 'purge') throw new UsageError(`unknown audit command ${sub ?? ''}: use verify or purge`)
  const { values } = parseArgs({ args: rest, options: { tenant: { type: 'string' }, all: { type: 'boolean' } } })
  if (sub === 'verify' && (values.tenant === undefined) === (values.all !== true)) throw new UsageError('audit verify needs --tenant <id|slug> or --all')
  if (sub === 'purge' && (values.tenant !== undefined || values.all !== undefined)) throw new UsageError('audit purge takes no options: it applies retention to every tenant')
  const { config, db } = await openCliContext()
  try {
    if (sub === 'purge') await purge(config, db)
    else if (values.tenant !== undefined) await verifyOne(db, config, values.tenant)
    else await verifyAll(db, config)
  } finally {
    await db.close()
  }
}

const auditService = (db: Database, config: Config) => new AuditService(db, { retentionDays: config.AUDIT_RETENTION_DAYS })

async function verifyOne(db: Database, config: Config, ref: string): Promise<void> {
  const tenant = await tenantNamed(db, ref)
  const result = await auditService(db, config).verify(tenant.id)
  console.log(describe(tenant.id, result))
  if (!result.ok) process.exitCode = 1
}

async function verifyAll(db: Database, config: Config): Promise<void> {
  let broken = 0
  let total = 0
  const run = await auditService(db, config).verifyAllTenants((tenantId, result) => {
    total += 1
    if (!result.ok) broken += 1
    console.log(describe(tenantId, result))
  })
  for (const { tenantId, error } of run.failed) console.log(`${tenantId}  error  ${error instanceof Error ? error.message : String(error)}`)
  console.log(`${total} chains checked, ${broken} broken, ${run.failed.length} could not be read`)
  if (broken > 0 || run.failed.length > 0) process.exitCode = 1
}

async function purge(config: Config, db: Database): Promise<void> {
  const run = await auditService(db, config).purgeAllTenants()
  for (const { tenantId, error } of run.failed) console.log(`${tenantId}  error  ${error instanceof Error ? error.message : String(error)}`)
  console.log(`retention ${config.AUDIT_RETENTION_DAYS} days: ${run.removed} entries removed across ${run.succeeded} tenants, ${run.failed.length} failed`)
  if (run.failed.length > 0) process.exitCode = 1
}

function describe(tenantId: string, result: VerifyResult): string {
  const span = result.head_seq > result.anchor_seq ? `seq ${result.anchor_seq + 1}..${result.head_seq}` : 'empty'
  return result.ok
    ? `${tenantId}  ok      ${result.checked} entries (${span})`
    : `${tenantId}  BROKEN  first bad seq ${result.first_bad_seq}: ${result.reason}`
}
