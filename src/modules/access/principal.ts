import { createHash, timingSafeEqual } from 'node:crypto'
import { AppError } from '../../errors/index.ts'
import { InvalidTokenError, type TokenClaims, type TokenService } from '../auth/tokens.ts'
import type { TenantDirectory, UserRecord } from './tenant-directory.ts'

/** Who is calling, from the Authorization header alone (tenant resolution comes after). */
export type Principal =
  | { kind: 'anonymous' }
  | { kind: 'super_admin' }
  | { kind: 'user'; user: UserRecord; tokenTenantId: string | undefined }
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
  /** keyDigest: SHA-256 of the key, when the caller has it already. */
  verify(key: string, keyDigest?: Buffer): Promise<ApiKeyPrincipal | undefined>
}

export const isOperator = (principal: Principal): boolean =>
  principal.kind === 'super_admin' || (principal.kind === 'user' && principal.user.isPlatformAdmin)

const digest = (value: string) => createHash('sha256').update(value).digest()

export class Authenticator {
  private readonly superAdminDigest: Buffer | undefined

  constructor(
    superAdminKey: string | undefined,
    private readonly tokens: TokenService,
    private readonly directory: TenantDirectory,
    private readonly apiKeys?: ApiKeyVerifier,
  ) {
    this.superAdminDigest = superAdminKey ? digest(superAdminKey) : undefined
  }

  async authenticate(authorization: string | undefined): Promise<Principal> {
    if (authorization === undefined || authorization === '') return { kind: 'anonymous' }
    const match = /^Bearer ([\x21-\x7e]{1,4096})$/i.exec(authorization)
    if (!match) throw new AppError('invalid_token', 'Authorization must be "Bearer <token>"')
    const credential = match[1]!
    // One digest per request: the super-admin comparison and the key and token caches share it.
    const credentialDigest = digest(credential)
    // Equal-length digests compared in constant time: no timing hint about the key.
    if (this.superAdminDigest && timingSafeEqual(credentialDigest, this.superAdminDigest)) return { kind: 'super_admin' }
    if (credential.startsWith('tnt_')) {
      const key = await this.apiKeys?.verify(credential, credentialDigest)
      if (!key) throw new AppError('invalid_token', 'API key not recognised, revoked or expired')
      return key
    }

    // Cache hits are taken without an await: this runs on every request (see tenant-directory.ts).
    const claims = this.tokens.peek(credentialDigest) ?? (await this.verifyToken(credential, credentialDigest))
    const user = this.directory.peekUser(claims.userId) ?? (await this.directory.user(claims.userId))
    if (!user) throw new AppError('invalid_token', 'token invalid')
    if (user.status !== 'active') throw new AppError('account_disabled', 'this account is disabled')
    return { kind: 'user', user, tokenTenantId: claims.tenantId }
  }

  private async verifyToken(token: string, tokenDigest: Buffer): Promise<TokenClaims> {
    try {
      return await this.tokens.verify(token, tokenDigest)
    } catch (error) {
      if (error instanceof InvalidTokenError) throw new AppError('invalid_token', error.message)
      throw error
    }
  }
}
