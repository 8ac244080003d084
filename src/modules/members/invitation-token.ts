import { createHash, randomBytes } from 'node:crypto'

// inv_<tenant id without dashes>_<192 random bits>. The tenant part lets accept-invite find the
// invitation inside that tenant's context; only the SHA-256 of the whole token is stored.
const TOKEN = /^inv_([0-9a-f]{32})_([A-Za-z0-9_-]{32})$/

/** How long an invitation stays acceptable (POST /members, and members brought in by an import). */
export const INVITATION_TTL_MS = 7 * 86_400_000

export function createInvitationToken(tenantId: string): { token: string; tokenHash: string } {
  const token = `inv_${tenantId.replaceAll('-', '')}_${randomBytes(24).toString('base64url')}`
  return { token, tokenHash: hashInvitationToken(token) }
}

export function hashInvitationToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

/** The tenant an invitation token belongs to, or undefined when it is not one of ours. */
export function invitationTenant(token: string): string | undefined {
  const hex = TOKEN.exec(token)?.[1]
  return hex ? `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}` : undefined
}
