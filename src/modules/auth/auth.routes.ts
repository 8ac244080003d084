import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { AUTH_ERRORS, problemResponses } from '../../http/openapi.ts'
import { presentTenant, TenantResponse } from '../tenants/tenants.schemas.ts'
import type { AuthService, Session } from './auth.service.ts'
import { AcceptInviteBody, LoginBody, MeResponse, RegisterOrganizationBody, SessionResponse } from './auth.schemas.ts'

const tags = ['auth']
const present = (session: Session) => ({ ...session, expires_at: session.expires_at.toISOString() })

export async function authRoutes(app: FastifyInstance, { auth }: { auth: AuthService }): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>()

  api.post('/api/v1/auth/login', {
    config: { access: 'public' },
    schema: {
      tags, security: [], summary: 'Log in: a token for the named tenant, or the default one',
      body: LoginBody,
      response: { 200: SessionResponse, ...problemResponses('invalid_credentials', 'account_disabled', 'tenant_access_denied', 'tenant_suspended', 'membership_suspended', 'tenant_required') },
    },
  }, async (request) => present(await auth.login(request.body, request.ip)))

  api.post('/api/v1/auth/register-organization', {
    config: { access: 'public' },
    schema: {
      tags, security: [], summary: 'Sign up: a new tenant with its first Admin (when SIGNUP_ENABLED)',
      body: RegisterOrganizationBody,
      response: { 201: Type.Object({ tenant: TenantResponse, user: SessionResponse.properties.user, token: Type.String(), expires_at: Type.String() }), ...problemResponses('signup_disabled', 'already_exists') },
    },
  }, async (request, reply) => {
    const { tenant, session } = await auth.registerOrganization(request.body)
    return reply.code(201).send({ tenant: presentTenant(tenant), user: session.user, token: session.token, expires_at: session.expires_at.toISOString() })
  })

  api.post('/api/v1/auth/accept-invite', {
    config: { access: 'public' },
    schema: { tags, security: [], summary: 'Accept an invitation: set a password, become an active member', body: AcceptInviteBody, response: { 200: SessionResponse, ...problemResponses('invalid_token') } },
  }, async (request) => present(await auth.acceptInvite(request.body)))

  api.get('/api/v1/auth/me', {
    config: { access: 'authenticated' },
    schema: { tags, summary: 'Who the credential belongs to', response: { 200: MeResponse, ...problemResponses(...AUTH_ERRORS) } },
  }, async (request) => {
    const principal = request.principal
    if (principal.kind === 'user') {
      return { kind: 'user' as const, user: { id: principal.user.id, email: principal.user.email, is_platform_admin: principal.user.isPlatformAdmin }, api_key: null, token_tenant_id: principal.tokenTenantId ?? null }
    }
    if (principal.kind === 'api_key') {
      return { kind: 'api_key' as const, user: null, api_key: { id: principal.apiKeyId, tenant_id: principal.tenantId }, token_tenant_id: principal.tenantId }
    }
    // 'authenticated' access lets no anonymous caller this far: what is left is SUPER_ADMIN_KEY.
    return { kind: 'super_admin' as const, user: null, api_key: null, token_tenant_id: null }
  })
}
