import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import pino from 'pino'
import { InvalidationBus } from '../../cache/invalidation-bus.ts'
import { runWithContext } from '../../context/index.ts'
import { migrateUp, withSystem } from '../../db/index.ts'
import { notFound } from '../../errors/index.ts'
import { MembersService } from '../../modules/members/members.service.ts'
import { ensurePlatformAdmin, UserErasureService, usersRepository } from '../../modules/users/index.ts'
import { createLogger } from '../../observability/logger.ts'
import { SecurityLog } from '../../observability/security-log.ts'
import { openCliContext } from '../cli-context.ts'
import { UsageError } from './migrate.command.ts'
import { connectRedis } from './tenant.command.ts'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

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
  const { values } = parseArgs({ args, options: { email: { type: 'string' }, password: { type: 'string' }, 'password-stdin': { type: 'boolean' } } })
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

async function erase(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { yes: { type: 'boolean' }, json: { type: 'boolean' } } })
  if (positionals.length !== 1) throw new UsageError('user erase needs one user id or email')
  if (!values.yes) throw new UsageError('erasure cannot be undone: add --yes to erase this user')
  const ref = positionals[0]!
  const { config, db } = await openCliContext()
  // The security stream (user.erased) goes to stderr; stdout is the answer.
  const logger = createLogger(config, pino.destination({ fd: 2, sync: true }))
  const redis = await connectRedis(config, logger)
  try {
    const user = await withSystem(db, (tx) => (UUID.test(ref) ? usersRepository.findUserById(tx, ref) : usersRepository.findUserByEmail(tx, ref)))
    if (!user) throw notFound('user', ref)
    const bus = new InvalidationBus(redis, logger)
    const erasure = new UserErasureService(db, new MembersService(db, bus), bus, new SecurityLog(logger))
    // The operator at the shell: audit entries name a platform actor, as SUPER_ADMIN_KEY does.
    const erased = await runWithContext({ actor: { type: 'platform' }, userAgent: 'tenantry-cli' }, () => erasure.erase(user.id))
    if (values.json) process.stdout.write(`${JSON.stringify(erased, null, 2)}\n`)
    else process.stdout.write(`erased user ${erased.id} (${erased.tenants.length} membership${erased.tenants.length === 1 ? '' : 's'} removed)\n`)
    // The invalidations are fire-and-forget; let them leave before the connection closes.
    if (redis) await redis.ping().catch(() => undefined)
  } finally {
    redis?.disconnect()
    await db.close()
  }
}
