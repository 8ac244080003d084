import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { problemResponses, TENANT_ERRORS } from '../../http/openapi.ts'
import type { Services } from '../../services.ts'
import type { DecisionRow } from './decisions.repository.ts'
import { permissionsOf } from './grants.ts'
import {
  CreateRoleBody,
  DecisionPage,
  ListDecisionsQuery,
  ListRolesQuery,
  PermissionList,
  RoleParams,
  RolePage,
  RoleResponse,
  UpdateRoleBody,
} from './rbac.schemas.ts'
import type { RoleRecord } from './roles.repository.ts'

const tags = ['roles']

const presentRole = (role: RoleRecord) => ({ ...role, created_at: role.created_at.toISOString(), updated_at: role.updated_at.toISOString() })
const presentDecision = (decision: DecisionRow) => ({ ...decision, created_at: decision.created_at.toISOString() })

export async function rbacRoutes(app: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>()
  const { rbac } = services

  api.get('/api/v1/permissions', {
    config: { access: 'tenant', permission: 'roles:read' },
    schema: { tags, summary: 'The 24 permissions roles are built from', response: { 200: PermissionList, ...problemResponses(...TENANT_ERRORS) } },
  }, async () => ({ data: rbac.listPermissions() }))

  api.get('/api/v1/roles', {
    config: { access: 'tenant', permission: 'roles:read' },
    schema: { tags, summary: "The system roles and the tenant's custom roles", querystring: ListRolesQuery, response: { 200: RolePage, ...problemResponses(...TENANT_ERRORS) } },
  }, async (request) => {
    const result = await rbac.listRoles(request.query)
    return { data: result.data.map(presentRole), next_cursor: result.next_cursor }
  })

  api.post('/api/v1/roles', {
    config: { access: 'tenant', permission: 'roles:write' },
    schema: {
      tags, summary: 'Create a custom role from permissions the caller holds',
      body: CreateRoleBody,
      response: { 201: RoleResponse, ...problemResponses(...TENANT_ERRORS, 'already_exists') },
    },
  }, async (request, reply) => reply.code(201).send(presentRole(await rbac.createRole(request.body, permissionsOf(request)))))

  api.get('/api/v1/roles/:id', {
    config: { access: 'tenant', permission: 'roles:read' },
    schema: { tags, summary: "A system role or one of the tenant's custom roles", params: RoleParams, response: { 200: RoleResponse, ...problemResponses(...TENANT_ERRORS, 'not_found') } },
  }, async (request) => presentRole(await rbac.getRole(request.params.id)))

  api.patch('/api/v1/roles/:id', {
    config: { access: 'tenant', permission: 'roles:write' },
    schema: {
      tags, summary: 'Rename a custom role or replace its permissions (effective on the next request); system roles are read-only',
      params: RoleParams, body: UpdateRoleBody,
      response: { 200: RoleResponse, ...problemResponses(...TENANT_ERRORS, 'forbidden', 'not_found', 'already_exists') },
    },
  }, async (request) => presentRole(await rbac.updateRole(request.params.id, request.body, permissionsOf(request))))

  api.delete('/api/v1/roles/:id', {
    config: { access: 'tenant', permission: 'roles:write' },
    schema: {
      tags, summary: 'Delete a custom role no member or API key holds (needs every permission it grants)',
      params: RoleParams,
      response: { 204: { type: 'null', description: 'deleted' }, ...problemResponses(...TENANT_ERRORS, 'forbidden', 'not_found', 'conflict') },
    },
  }, async (request, reply) => {
    await rbac.deleteRole(request.params.id, permissionsOf(request))
    return reply.code(204).send(null)
  })

  api.get('/api/v1/audit-logs/rbac', {
    config: { access: 'tenant', permission: 'audit:read' },
    schema: {
      tags: ['audit', ...tags], summary: 'Permission decisions (denials), newest first; filter by result, permission, user, API key, time',
      querystring: ListDecisionsQuery,
      response: { 200: DecisionPage, ...problemResponses(...TENANT_ERRORS) },
    },
  }, async (request) => {
    const { limit, cursor, ...filter } = request.query
    const result = await rbac.listDecisions(filter, { limit, cursor })
    return { data: result.data.map(presentDecision), next_cursor: result.next_cursor }
  })
}
