import type { FastifyRequest } from 'fastify'
import { AppError } from '../../errors/index.ts'
import { allPermissions } from './permission-catalog.ts'

/** The permissions an actor holds in the current tenant: what they may grant to others. */
export type HeldPermissions = ReadonlySet<string>

/** Operators (SUPER_ADMIN_KEY, platform admins acting in a tenant) hold every permission (DESIGN §6.6). */
export const ALL_PERMISSIONS: HeldPermissions = new Set(allPermissions)

const catalogOrder = new Map<string, number>(allPermissions.map((name, index) => [name, index]))
const rank = (permission: string) => catalogOrder.get(permission) ?? allPermissions.length

/**
 * The permissions of the request's actor in its tenant, as the access plugin admitted it: an
 * operator's all 24, an API key's own set, a member's role's set. Anyone else holds none.
 */
export function permissionsOf(request: FastifyRequest): HeldPermissions {
  if (request.actor.type === 'platform') return ALL_PERMISSIONS
  if (request.principal.kind === 'api_key') return request.principal.permissions
  if (request.membership?.status === 'active') return request.membership.permissions
  return new Set()
}

/**
 * Nobody grants what they do not hold (creating or changing a role, assigning one, minting an
 * API key): every permission in `wanted` must be in `held`, else 403 permission_denied naming
 * the first one missing in catalog order (and all of them in `missing`).
 */
export function assertCanGrant(held: HeldPermissions, wanted: Iterable<string>, what = 'grant'): void {
  const missing = [...new Set(wanted)].filter((permission) => !held.has(permission)).sort((a, b) => rank(a) - rank(b))
  if (missing.length === 0) return
  throw new AppError('permission_denied', `you cannot ${what} ${missing.join(', ')}: you do not hold ${missing.length === 1 ? 'it' : 'them'}`, {
    permission: missing[0],
    missing,
  })
}
