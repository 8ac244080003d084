import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { migrateUp } from '../../db/index.ts'
import { ensurePlatformAdmin } from '../../modules/users/index.ts'
import { openCliContext } from '../cli-context.ts'
import { UsageError } from './migrate.command.ts'

/** `tenantry user create-admin --email E (--password P | --password-stdin)` */
export async function userCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args
  if (sub !== 'create-admin') throw new UsageError(`unknown user command ${sub ?? ''}: use create-admin`)
  const { values } = parseArgs({ args: rest, options: { email: { type: 'string' }, password: { type: 'string' }, 'password-stdin': { type: 'boolean' } } })
  if (!values.email) throw new UsageError('--email is required')
  // --password-stdin keeps the password out of shell history and process listings.
  const password = values['password-stdin'] ? readFileSync(0, 'utf8').replace(/\r?\n$/, '') : values.password
  const { db } = await openCliContext()
  try {
    await migrateUp(db)
    const admin = await ensurePlatformAdmin(db, values.email, password, { resetPassword: true })
    console.log(`${admin.created ? 'created' : 'updated'} platform admin ${values.email.toLowerCase()} (${admin.id})`)
  } finally {
    await db.close()
  }
}
