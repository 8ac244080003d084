import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { migrateUp } from '../../db/index.ts'
import { MembersService } from '../../modules/members/members.service.ts'
import { ensurePlatformAdmin, UserErasureService } from '../../modules/users/index.ts'
import { SecurityLog } from '../../observability/security-log.ts'
import { openCliContext, openOperatorContext, UsageError, userNamed } from '../cli-context.ts'

/**
 * `tenantry user create-admin --email E (--password P | --password-stdin)`
 * `tenantry user erase <id or email> --yes` (GDPR erasure, D56: cannot be undone, hence --yes)
 */
export async function userCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args
  if (sub === 'create-admin') return createAdmin(rest)
  if (sub === 'erase') return erase(rest)
  throw new UsageError(`unknown user command ${sub ?? ''}: use create-admin, erase`)
}

async function createAdmin(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { email: { type: 'string' }, password: { type: 'string' }, 'password-stdin': { type: 'boolean' }, 'reset-password': { type: 'boolean' } } })
  if (!values.email) throw new UsageError('--email is required')
  // --password-stdin keeps the password out of shell history and process listings.
  const password = values['password-stdin'] ? readFileSync(0, 'utf8').replace(/\r?\n$/, '') : values.password
  const { db } = await openCliContext()
  try {
    await migrateUp(db)
    const admin = await ensurePlatformAdmin(db, values.email, password, { existingPassword: values['reset-password'] ? 'reset' : 'refuse' })
    console.log(`${admin.created ? 'created' : 'updated'} platform admin ${values.email.toLowerCase()} (${admin.id})`)
  } finally {
    await db.close()
  }
}

async function erase(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { yes: { type: 'boolean' }, json: { type: 'boolean' } } })
  if (positionals.length !== 1) throw new UsageError('user erase needs one user id or email')
  if (!values.yes) throw new UsageError('erasure cannot be undone: add --yes to erase this user')
  const operator = await openOperatorContext()
  const { db, bus } = operator
  try {
    const user = await userNamed(db, positionals[0]!)
    const erasure = new UserErasureService(db, new MembersService(db, bus), bus, new SecurityLog(operator.logger))
    const erased = await operator.asOperator(() => erasure.erase(user.id))
    if (values.json) process.stdout.write(`${JSON.stringify(erased, null, 2)}\n`)
    else process.stdout.write(`erased user ${erased.id} (${erased.tenants.length} membership${erased.tenants.length === 1 ? '' : 's'} removed)\n`)
  } finally {
    await operator.close()
  }
}
