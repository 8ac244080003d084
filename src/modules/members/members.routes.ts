import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { AppError } from '../../errors/index.ts'
import { PLATFORM_ERRORS, problemResponses, TENANT_ERRORS } from '../../http/openapi.ts'
import { permissionsOf } from '../rbac/index.ts'
import { TenantIdParams } from '../tenants/tenants.schemas.ts'
import type { MemberRow } from './members.repository.ts'
import { AddedMemberResponse, AddMemberBody, ListMembersQuery, MemberPage, MemberParams, MemberResponse, OperatorAddMemberBody, UpdateMemberBody } from './members.schemas.ts'
import type { AddedMember, MembersService } from './members.service.ts'

const tags = ['members']

const presentMember = (member: MemberRow) => ({ ...member, created_at: member.created_at.toISOString(), updated_at: member.updated_at.toISOString() })
const presentAdded = (added: AddedMember) => ({
  member: presentMember(added.member),
  ...(added.invitation_token ? { invitation_token: added.invitation_token, invitation_expires_at: added.invitation_expires_at!.toISOString() } : {}),
})

export async function membersRoutes(app: FastifyInstance, { members }: { members: MembersService }): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>()

  api.get('/api/v1/members', {
    config: { access: 'tenant', permission: 'users:read' },
    schema: { tags, summary: "The tenant's members", querystring: ListMembersQuery, response: { 200: MemberPage, ...problemResponses(...TENANT_ERRORS) } },
  }, async (request) => {
    const result = await members.list(request.query)
    return { data: result.data.map(presentMember), next_cursor: result.next_cursor }
  })

  api.post('/api/v1/members', {
    config: { access: 'tenant', permission: 'users:write' },
    schema: {
      tags, summary: 'Add a member with a system or custom role the caller could grant: an existing user joins; a new one gets the password given or a one-time invitation token',
      body: AddMemberBody,
      response: { 201: AddedMemberResponse, ...problemResponses(...TENANT_ERRORS, 'already_exists', 'conflict', 'quota_exceeded') },
    },
  }, async (request, reply) => reply.code(201).send(presentAdded(await members.add(request.body, permissionsOf(request)))))

  api.patch('/api/v1/members/:userId', {
    config: { access: 'tenant', permission: 'users:write' },
    schema: { tags, summary: "Change a member's role (system or custom) or status", params: MemberParams, body: UpdateMemberBody, response: { 200: MemberResponse, ...problemResponses(...TENANT_ERRORS, 'not_found', 'last_admin', 'conflict') } },
  }, async (request) => presentMember(await members.update(request.params.userId, request.body, permissionsOf(request))))

  api.delete('/api/v1/members/:userId', {
    config: { access: 'tenant', permission: 'users:delete' },
    schema: { tags, summary: 'Remove a member from the tenant (the user account stays)', params: MemberParams, response: { 204: { type: 'null', description: 'removed' }, ...problemResponses(...TENANT_ERRORS, 'not_found', 'last_admin') } },
  }, async (request, reply) => {
    await members.remove(request.params.userId, permissionsOf(request))
    return reply.code(204).send(null)
  })

  api.post('/api/v1/tenants/:id/users', {
    config: { access: 'platform' },
    schema: {
      tags: ['tenants', ...tags], summary: 'Operators: add a user (by id or email) to a tenant with a role',
      params: TenantIdParams, body: OperatorAddMemberBody,
      response: { 201: AddedMemberResponse, ...problemResponses(...PLATFORM_ERRORS, 'not_found', 'already_exists', 'quota_exceeded') },
    },
  }, async (request, reply) => {
    const { user_id, email, role_id, role } = request.body
    if ((user_id === undefined) === (email === undefined)) throw new AppError('validation_failed', 'give exactly one of user_id and email', { field: 'user_id' })
    const added = await members.addToTenant(request.params.id, { userId: user_id, email, role_id, role })
    return reply.code(201).send(presentAdded(added))
  })
}
