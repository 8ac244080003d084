import { ConfigError } from '../../config/index.ts'
import { rotateMasterKey } from '../../modules/config/index.ts'
import { openCliContext, UsageError } from '../cli-context.ts'

/**
 * `tenantry keys rotate-master`: rewraps every tenant's data keys from MASTER_KEY_PREVIOUS to
 * MASTER_KEY (docs/decisions.md D55 has the whole rotation). Safe to run again; exit code 1 when
 * a tenant could not be rewrapped.
 */
export async function keysCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args
  if (sub !== 'rotate-master' || rest.length > 0) throw new UsageError(`unknown keys command ${[sub, ...rest].join(' ')}: use rotate-master`)
  const { config, db } = await openCliContext()
  try {
    if (!config.MASTER_KEY || !config.MASTER_KEY_PREVIOUS) {
      throw new ConfigError(['keys rotate-master needs MASTER_KEY (the new key) and MASTER_KEY_PREVIOUS (the key being replaced)'])
    }
    const result = await rotateMasterKey(db, { current: config.MASTER_KEY, previous: config.MASTER_KEY_PREVIOUS })
    for (const { tenantId, error } of result.failed) console.log(`${tenantId}  error  ${error instanceof Error ? error.message : String(error)}`)
    console.log(`${result.rewrapped} data keys rewrapped under MASTER_KEY across ${result.tenants} tenants, ${result.failed.length} failed`)
    if (result.failed.length > 0) process.exitCode = 1
    else console.log('every data key opens with MASTER_KEY: MASTER_KEY_PREVIOUS can be removed from every instance')
  } finally {
    await db.close()
  }
}
