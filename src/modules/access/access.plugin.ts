import { addRouteHook } from '../../http/route-hooks.ts'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../../config/index.ts'
import type { SecurityLog } from '../../observability/security-log.ts'
import type { Actor } from '../../context/index.ts'
import { AppError } from '../../errors/index.ts'
import { configurationOf } from '../plans/index.ts'
import type { Permission } from '../rbac/index.ts'
import { isOperator, type Authenticator, type Principal } from './principal.ts'
import type { MembershipRecord, TenantDirectory, TenantRecord } from './tenant-directory.ts'
import { credentialTenantOf, isCrossTenantRefusal, recordCrossTenantAttempt } from './cross-tenant-attempts.ts'
import { declareTenantQueryParam } from './tenant-query-param.ts'
import { peekResolvedTenant, resolveTenant, selectorsOf, type Selector } from './tenant-resolver.ts'

/** Who may call a route: anyone, any authenticated caller, platform operators, or a tenant's members. */
export type RouteAccess = 'public' | 'authenticated' | 'platform' | 'tenant'

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess
    /** Required on tenant routes: the permission the caller's role must hold. */
    permission?: Permission
  }
  interface FastifyRequest {
    principal: Principal
    tenant: TenantRecord | undefined
    membership: MembershipRecord | undefined
  }
}

type Done = (error?: Error) => void

/**
 * Called with every refusal before it goes any further (the rate limits, D64): it calls
 * `proceed` to let the refusal be recorded and answered, or answers the request itself (429).
 * `tenant` is the caller's own tenant when it was refused inside it (a missing permission).
 */
export type RefusalLimit = (request: FastifyRequest, reply: FastifyReply, tenant: TenantRecord | undefined, proceed: () => void) => void

export interface AccessPluginOptions {
  config: Config
  authenticator: Authenticator
  directory: TenantDirectory
  /** Called for every permission denial before the 403 is sent (RBAC decision log, metrics). */
  onDenied?: (request: FastifyRequest, tenant: TenantRecord, permission: Permission) => Promise<void>
  /** Limits refusals before onDenied runs and the refusal is answered; without it every refusal is answered. */
  limitRefusal?: RefusalLimit
  /** Where cross-tenant attempts (tenant_mismatch, tenant_access_denied) are written as security events. */
  security?: SecurityLog
}

/** A missing permission: 403 permission_denied, recorded (onDenied) only once the refusal limit let it through. */
class PermissionDenial extends AppError {
  readonly tenant: TenantRecord
  readonly permission: Permission

  constructor(
    tenant: TenantRecord,
    permission: Permission,
  ) {
    super('permission_denied', `this needs the ${permission} permission`, { permission })
    this.tenant = tenant
    this.permission = permission
  }
}

/**
 * Authentication, tenant resolution (DESIGN §6) and the permission check, before the body is
 * even read. Every /api route must declare its access, and every tenant route its permission:
 * a route that forgets is refused when it is registered, not discovered in production.
 */
async function accessPlugin(app: FastifyInstance, options: AccessPluginOptions): Promise<void> {
  const { config, authenticator, directory } = options
  const resolution = { requireTenant: config.REQUIRE_TENANT, allowDefaultTenant: config.ALLOW_DEFAULT_TENANT, defaultTenantId: config.DEFAULT_TENANT_ID }
  const selectorOptions = {
    tenantHeader: config.TENANT_HEADER,
    subdomainEnabled: config.TENANT_SUBDOMAIN_ENABLED,
    baseDomain: config.BASE_DOMAIN,
    queryParamEnabled: config.TENANT_QUERY_PARAM_ENABLED,
    customDomainsEnabled: config.TENANT_CUSTOM_DOMAINS_ENABLED,
  }

  // Set on /api routes by their access hook; routes outside /api have no principal.
  app.decorateRequest('principal', null as unknown as { getter: () => Principal })
  app.decorateRequest('tenant', undefined)
  app.decorateRequest('membership', undefined)

  // Access is attached to each /api route when it is registered, as a route-level onRequest
  // hook that already knows the route's access and permission: routes outside /api (health,
  // docs) run nothing, and no request reads request.routeOptions (a fresh object per read).
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/')) return
    const access = route.config?.access
    if (!access) throw new Error(`route ${route.method} ${route.url} declares no access (public, authenticated, platform or tenant)`)
    const permission = route.config?.permission
    if (access === 'tenant' && !permission) throw new Error(`tenant route ${route.method} ${route.url} declares no permission`)
    if (access === 'tenant' && config.TENANT_QUERY_PARAM_ENABLED) declareTenantQueryParam(route)
    const check = (request: FastifyRequest, reply: FastifyReply, done: Done) => {
      let pending: Promise<void> | undefined
      try {
        pending = admit(request, access, permission)
      } catch (error) {
        return refuse(request, reply, error, route.url, done)
      }
      if (pending) pending.then(() => done(), (error: unknown) => refuse(request, reply, error, route.url, done))
      else done()
    }
    addRouteHook(route, 'onRequest', check, 'first')
  })

  // The admission steps return undefined when the request was admitted from the caches alone,
  // and a promise only when something had to be looked up first (a token's first request, a
  // tenant or membership not cached, API keys): every promise of a request costs its share of
  // the AsyncLocalStorage hooks, and this runs on every /api request. A refusal is an AppError,
  // thrown or rejected, and goes to `refuse`.
  function admit(request: FastifyRequest, access: RouteAccess, permission: Permission | undefined): Promise<void> | undefined {
    const principal = authenticator.authenticate(request.headers.authorization)
    if (principal instanceof Promise) return principal.then((loaded) => admitPrincipal(request, loaded, access, permission))
    return admitPrincipal(request, principal, access, permission)
  }

  function admitPrincipal(request: FastifyRequest, principal: Principal, access: RouteAccess, permission: Permission | undefined): Promise<void> | undefined {
    request.principal = principal
    if (access === 'public') return
    if (principal.kind === 'anonymous') throw new AppError('unauthorized', 'send Authorization: Bearer <token>')
    request.actor = actorOf(principal, false)
    if (access === 'authenticated') return
    if (access === 'platform') {
      if (!isOperator(principal)) throw new AppError('forbidden', 'platform routes need SUPER_ADMIN_KEY or a platform admin')
      return
    }
    return admitToTenant(request, principal, permission!)
  }

  function admitToTenant(request: FastifyRequest, principal: Principal, permission: Permission): Promise<void> | undefined {
    const credentialTenantId = credentialTenantOf(principal)
    const selectors = selectorsOf(request, selectorOptions)
    const tenant = peekResolvedTenant(credentialTenantId, selectors, directory)
    const membership = tenant && principal.kind === 'user' ? directory.peekMembership(tenant.id, principal.user.id) : undefined
    if (tenant && (principal.kind !== 'user' || membership)) {
      decide(request, principal, tenant, membership, permission)
      return
    }
    return lookUp(principal, credentialTenantId, selectors).then(([loaded, loadedMembership]) => decide(request, principal, loaded, loadedMembership, permission))
  }

  async function lookUp(principal: Principal, credentialTenantId: string | undefined, selectors: Selector[]): Promise<[TenantRecord, MembershipRecord | undefined]> {
    const tenant = await resolveTenant(credentialTenantId, selectors, directory, resolution)
    const membership = principal.kind === 'user' ? await directory.membership(tenant.id, principal.user.id) : undefined
    return [tenant, membership]
  }

  /** The tenant and permission checks, on the resolved tenant and the caller's membership of it. */
  function decide(request: FastifyRequest, principal: Principal, tenant: TenantRecord, membership: MembershipRecord | undefined, permission: Permission): void {
    // Operators act inside active and suspended tenants (support); a deleted one waits for its
    // purge or a reactivation, and nothing may be written into it meanwhile. (Members and keys are
    // refused below with the answer that reveals nothing.)
    if (tenant.status === 'deleted' && isOperator(principal)) {
      throw new AppError('tenant_access_denied', `tenant ${tenant.id} is deleted: reactivate it (POST /api/v1/tenants/${tenant.id}/reactivate) to act inside it`)
    }
    if (principal.kind === 'api_key') {
      if (tenant.status === 'suspended') throw new AppError('tenant_suspended', 'this tenant is suspended')
      if (tenant.status !== 'active') throw new AppError('tenant_access_denied', 'the tenant does not exist or you have no access to it')
      if (!principal.permissions.has(permission)) throw new PermissionDenial(tenant, permission)
    }

    if (principal.kind === 'user') {
      assertSessionCurrent(principal, tenant)
      if (membership) request.membership = membership
      if (!membership || membership.status === 'invited') {
        // Operators may act inside any tenant (DESIGN §6.6); everyone else sees one answer.
        if (!principal.user.isPlatformAdmin) throw new AppError('tenant_access_denied', 'the tenant does not exist or you have no access to it')
      } else {
        if (tenant.status === 'suspended') throw new AppError('tenant_suspended', 'this tenant is suspended')
        if (tenant.status !== 'active') throw new AppError('tenant_access_denied', 'the tenant does not exist or you have no access to it')
        if (membership.status === 'suspended') throw new AppError('membership_suspended', 'your membership of this tenant is suspended')
        if (!membership.permissions.has(permission)) throw new PermissionDenial(tenant, permission)
      }
    }
    request.tenant = tenant
    request.tenantId = tenant.id
    request.actor = actorOf(principal, request.membership?.status === 'active')
  }

  /**
   * Every refusal (401, 403, a lookup that failed) passes the refusal limit first (D64): past the
   * caller's or the address's limit the answer is 429 and the refusal costs nothing more; in
   * particular a permission denial is recorded only once the limit let it through. Refusals
   * only: the admitted path never comes here.
   */
  function refuse(request: FastifyRequest, reply: FastifyReply, error: unknown, route: string, done: Done): void {
    const denial = error instanceof PermissionDenial ? error : undefined
    const proceed = denial
      ? () => recordDenial(request, denial, done)
      : isCrossTenantRefusal(error)
        ? () => {
            recordCrossTenantAttempt(options.security, request, error, route, selectorsOf(request, selectorOptions))
            done(error)
          }
        : () => done(error as Error)
    if (!options.limitRefusal) return proceed()
    let proceeded = false
    try {
      options.limitRefusal(request, reply, denial?.tenant, () => {
        proceeded = true
        proceed()
      })
    } catch (limitError) {
      // Also runs from a promise callback: a throw must not become an unhandled rejection, and
      // a limiter that fails does not let the refusal go unanswered.
      request.log.error({ err: limitError }, 'refusal limit failed; refusal answered')
      if (!proceeded && !reply.sent) proceed()
    }
  }

  /** The 403 of a missing permission, answered after the denial is recorded. */
  function recordDenial(request: FastifyRequest, denial: PermissionDenial, done: Done): void {
    if (!options.onDenied) return done(denial)
    options.onDenied(request, denial.tenant, denial.permission).then(() => done(denial), done)
  }
}

/**
 * A token for this tenant older than the tenant's session timeout is refused, whatever its exp:
 * a timeout lowered by a plan or settings change ends longer sessions from their next request.
 */
function assertSessionCurrent(principal: Extract<Principal, { kind: 'user' }>, tenant: TenantRecord): void {
  if (principal.tokenTenantId !== tenant.id) return
  const timeoutMinutes = configurationOf(tenant).limits.session_timeout_minutes
  if (Date.now() / 1000 - principal.tokenIssuedAt > timeoutMinutes * 60) {
    throw new AppError('invalid_token', `token expired: this tenant's sessions last ${timeoutMinutes} minutes; log in again`)
  }
}

function actorOf(principal: Principal, isMember: boolean): Actor {
  if (principal.kind === 'super_admin') return { type: 'platform' }
  if (principal.kind === 'api_key') return { type: 'api_key', apiKeyId: principal.apiKeyId }
  if (principal.kind === 'user') return principal.user.isPlatformAdmin && !isMember ? { type: 'platform', userId: principal.user.id } : { type: 'user', userId: principal.user.id }
  return { type: 'anonymous' }
}

export default fp(accessPlugin, { name: 'tenantry-access', dependencies: ['tenantry-request-context'] })
