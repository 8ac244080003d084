// SQL for memberships (tenant_users) and invitations; every statement filters on tx.tenantId.
import type { TenantTx } from '../../db/index.ts'
import { createInvitationToken, INVITATION_TTL_MS } from './invitation-token.ts'

export interface MemberRow {
  id: string
  user_id: string
  email: string
  name: string | null
  role_id: string
  role: string
  custom_role: boolean
  status: 'active' | 'suspended' | 'invited'
  created_at: Date
  updated_at: Date
}

// A member holds a system role (roles) or a custom role of the tenant (tenant_roles).
const MEMBER_SELECT = `select tu.user_id as id, tu.user_id, u.email, u.name, coalesce(tu.role_id, tu.custom_role_id) as role_id,
       coalesce(r.name, cr.name) as role, tu.custom_role_id is not null as custom_role, tu.status, tu.created_at, tu.updated_at
  from tenant_users tu join users u on u.id = tu.user_id
  left join roles r on r.id = tu.role_id
  left join tenant_roles cr on cr.tenant_id = tu.tenant_id and cr.id = tu.custom_role_id`

export async function listMembers(tx: TenantTx, limit: number, after: { at: string; id: string } | undefined): Promise<(MemberRow & { position: string })[]> {
  const { rows } = await tx.query<MemberRow & { position: string }>(
    `${MEMBER_SELECT.replace(' from tenant_users', ', tu.created_at::text as position from tenant_users')} where tu.tenant_id = $1 and ($2::timestamptz is null or (tu.created_at, tu.user_id) > ($2::timestamptz, $3::uuid))
      order by tu.created_at, tu.user_id limit $4`,
    [tx.tenantId, after?.at ?? null, after?.id ?? null, limit + 1],
  )
  return rows
}

export async function findMember(tx: TenantTx, userId: string): Promise<MemberRow | undefined> {
  const { rows } = await tx.query<MemberRow>(`${MEMBER_SELECT} where tu.tenant_id = $1 and tu.user_id = $2`, [tx.tenantId, userId])
  return rows[0]
}

/** A system role goes to role_id, a custom role of the tenant to custom_role_id (exactly one is set). */
export interface RoleRef {
  id: string
  custom: boolean
}

export async function insertMembership(tx: TenantTx, membership: { userId: string; roleId: string; customRole?: boolean; status: MemberRow['status'] }): Promise<void> {
  const custom = membership.customRole ?? false
  await tx.query('insert into tenant_users (tenant_id, user_id, role_id, custom_role_id, status) values ($1, $2, $3, $4, $5)', [
    tx.tenantId,
    membership.userId,
    custom ? null : membership.roleId,
    custom ? membership.roleId : null,
    membership.status,
  ])
}

export async function updateMembership(tx: TenantTx, userId: string, changes: { role?: RoleRef; status?: MemberRow['status'] }): Promise<boolean> {
  const { role } = changes
  const { rowCount } = await tx.query(
    `update tenant_users set role_id = case when $3::boolean then $4::uuid else role_id end, custom_role_id = case when $3::boolean then $5::uuid else custom_role_id end,
            status = coalesce($6, status), updated_at = now()
      where tenant_id = $1 and user_id = $2`,
    [tx.tenantId, userId, role !== undefined, role && !role.custom ? role.id : null, role?.custom ? role.id : null, changes.status ?? null],
  )
  return rowCount > 0
}

export async function deleteMembership(tx: TenantTx, userId: string): Promise<boolean> {
  const { rowCount } = await tx.query('delete from tenant_users where tenant_id = $1 and user_id = $2', [tx.tenantId, userId])
  return rowCount > 0
}

export async function countMembers(tx: TenantTx): Promise<number> {
  const { rows } = await tx.query<{ n: number }>('select count(*)::int as n from tenant_users where tenant_id = $1', [tx.tenantId])
  return rows[0]!.n
}

/** Active members holding the (system) Admin role, locked so two concurrent demotions cannot both pass. */
export async function activeAdminIds(tx: TenantTx): Promise<string[]> {
  const { rows } = await tx.query<{ user_id: string }>(
    `select tu.user_id from tenant_users tu join roles r on r.id = tu.role_id
      where tu.tenant_id = $1 and tu.status = 'active' and r.name = 'Admin' for update of tu`,
    [tx.tenantId],
  )
  return rows.map((row) => row.user_id)
}

/** A new invitation for the member: only the token's digest is stored; the token is returned once. */
export async function issueInvitation(tx: TenantTx, userId: string): Promise<{ token: string; expiresAt: Date }> {
  const { token, tokenHash } = createInvitationToken(tx.tenantId)
  const expiresAt = new Date(Date.now() + INVITATION_TTL_MS)
  await tx.query('insert into invitations (tenant_id, user_id, token_hash, expires_at) values ($1, $2, $3, $4)', [tx.tenantId, userId, tokenHash, expiresAt])
  return { token, expiresAt }
}

/** Claims an open invitation (one use): returns its user, or undefined when unknown, used or expired. */
export async function consumeInvitation(tx: TenantTx, tokenHash: string): Promise<string | undefined> {
  const { rows } = await tx.query<{ user_id: string }>(
    `update invitations set accepted_at = now()
      where tenant_id = $1 and token_hash = $2 and accepted_at is null and expires_at > now()
      returning user_id`,
    [tx.tenantId, tokenHash],
  )
  return rows[0]?.user_id
}
