import { timingSafeEqual } from 'node:crypto'
import { AppError } from '../../errors/index.ts'
import { credentialDigest } from '../../lib/credential-digest.ts'
import { InvalidTokenError, type TokenClaims, type TokenService } from '../auth/tokens.ts'
import type { TenantDirectory, UserRecord } from './tenant-directory.ts'

/** Who is calling, from the Authorization header alone (tenant resolution comes after). */
export type Principal =
  | { kind: 'anonymous' }
  | { kind: 'super_admin' }
  | { kind: 'user'; user: UserRecord; tokenTenantId: string | undefined; tokenIssuedAt: number }
  | ApiKeyPrincipal

/** An API key: bound to one tenant, holding a fixed permission set (its role's or its own subset). */
export interface ApiKeyPrincipal {
  kind: 'api_key'
  apiKeyId: string
  tenantId: string
  permissions: ReadonlySet<string>
}

/** Implemented by the API keys module: a key string → its principal, or undefined (unknown, revoked, expired). */
export interface ApiKeyVerifier {
  /** keyDigest: credentialDigest(key), when the caller has it already. */
  verify(key: string, keyDigest?: string): Promise<ApiKeyPrincipal | undefined>
}

export const isOperator = (principal: Principal): boolean =>
  principal.kind === 'super_admin' || (principal.kind === 'user' && principal.user.isPlatformAdmin)

export class Authenticator {
  private readonly superAdminDigest: Buffer | undefined

  private readonly tokens: TokenService
  private readonly directory: TenantDirectory
  private readonly apiKeys?: ApiKeyVerifier

  constructor(
    superAdminKey: string | undefined,
    tokens: TokenService,
    directory: TenantDirectory,
    apiKeys?: ApiKeyVerifier,
  ) {
    this.tokens = tokens
    this.directory = directory
    this.apiKeys = apiKeys
    this.superAdminDigest = superAdminKey ? Buffer.from(credentialDigest(superAdminKey)) : undefined
  }

  /**
   * The caller, from the Authorization header. A value, not a promise, when everything is cached
   * (the token verified before, its user known): that is every request but a token's first, and
   * each promise of a request costs its share of the AsyncLocalStorage hooks. A promise when a
   * cache must be filled, and for API keys. Throws or rejects with AppError for a malformed
   * header or a credential that is unknown, revoked, expired or disabled.
   */
  authenticate(authorization: string | undefined): Principal | Promise<Principal> {
    if (authorization === undefined || authorization === '') return { kind: 'anonymous' }
    const match = /^Bearer ([\x21-\x7e]{1,4096})$/i.exec(authorization)
    if (!match) throw new AppError('invalid_token', 'Authorization must be "Bearer <token>"')
    const credential = match[1]!
    // One digest per request: the super-admin comparison and the key and token caches share it.
    const digest = credentialDigest(credential)
    // Equal-length digests compared in constant time: no timing hint about the key.
    if (this.superAdminDigest && timingSafeEqual(Buffer.from(digest), this.superAdminDigest)) return { kind: 'super_admin' }
    if (credential.startsWith('tnt_')) return this.authenticateKey(credential, digest)

    const claims = this.tokens.peek(digest)
    const user = claims && this.directory.peekUser(claims.userId)
    return claims && user ? userPrincipal(user, claims) : this.authenticateToken(credential, digest, claims)
  }

  private async authenticateKey(key: string, digest: string): Promise<Principal> {
    const principal = await this.apiKeys?.verify(key, digest)
    if (!principal) throw new AppError('invalid_token', 'API key not recognised, revoked or expired')
    return principal
  }

  /** A token's first request (or its user's, since the user cache was invalidated). */
  private async authenticateToken(token: string, digest: string, cached: TokenClaims | undefined): Promise<Principal> {
    const claims = cached ?? (await this.verifyToken(token, digest))
    const user = await this.directory.user(claims.userId)
    if (!user) throw new AppError('invalid_token', 'token invalid')
    return userPrincipal(user, claims)
  }

  private async verifyToken(token: string, tokenDigest: string): Promise<TokenClaims> {
    try {
      return await this.tokens.verify(token, tokenDigest)
    } catch (error) {
      if (error instanceof InvalidTokenError) throw new AppError('invalid_token', error.message)
      throw error
    }
  }
}

function userPrincipal(user: UserRecord, claims: TokenClaims): Principal {
  if (user.status !== 'active') throw new AppError('account_disabled', 'this account is disabled')
  return { kind: 'user', user, tokenTenantId: claims.tenantId, tokenIssuedAt: claims.issuedAt }
}
