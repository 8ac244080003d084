import { randomBytes, randomUUID } from 'node:crypto'
import { errors as joseErrors, importPKCS8, importSPKI, jwtVerify, SignJWT, type CryptoKey } from 'jose'
import { TtlCache } from '../../cache/ttl-cache.ts'
import { credentialDigest } from '../../lib/credential-digest.ts'

/** How far a token's iat may be ahead of this server's clock (instances' clocks drift a little). */
const ISSUED_AT_SKEW_SECONDS = 60

export const TOKEN_ISSUER = 'tenantry'
export const TOKEN_AUDIENCE = 'tenantry-api'

export interface TokenClaims {
  userId: string
  tenantId?: string
  jti: string
  /** iat, in seconds: a tenant's session timeout is measured from it on every request. */
  issuedAt: number
  expiresAt: Date
}

export class InvalidTokenError extends Error {
  override name = 'InvalidTokenError'
}

/** HS256 with a shared secret, or EdDSA (Ed25519) with a key pair given as PEM. */
export type SigningKeys = { secret: string } | { privateKeyPem: string; publicKeyPem: string }

/**
 * User tokens: JWTs via jose (HS256 keyed by JWT_SECRET, or EdDSA when JWT_PRIVATE_KEY and
 * JWT_PUBLIC_KEY are set), with sub, tid, iat, exp, iss, aud and jti. Verification pins the one
 * configured algorithm and requires exp, iss and aud. Verified tokens are cached (bounded, keyed
 * by a digest of the token, never past exp): verification costs 100-240 µs of CPU (DESIGN §16).
 */
export class TokenService {
  private readonly algorithm: 'HS256' | 'EdDSA'
  private readonly keys: Promise<{ sign: Uint8Array | CryptoKey; verify: Uint8Array | CryptoKey }>
  private readonly verified = new TtlCache<TokenClaims>(5 * 60_000, 50_000)

  constructor(keys: SigningKeys | string) {
    const config = typeof keys === 'string' ? { secret: keys } : keys
    if ('secret' in config) {
      this.algorithm = 'HS256'
      const key = new TextEncoder().encode(config.secret)
      this.keys = Promise.resolve({ sign: key, verify: key })
    } else {
      this.algorithm = 'EdDSA'
      this.keys = Promise.all([importPKCS8(config.privateKeyPem, 'EdDSA'), importSPKI(config.publicKeyPem, 'EdDSA')]).then(([sign, verify]) => ({ sign, verify }))
    }
  }

  async issue(userId: string, tenantId: string | undefined, ttlSeconds: number): Promise<{ token: string; expiresAt: Date }> {
    const now = Math.floor(Date.now() / 1000)
    const expiresAt = new Date((now + ttlSeconds) * 1000)
    const token = await new SignJWT(tenantId ? { tid: tenantId } : {})
      .setProtectedHeader({ alg: this.algorithm, typ: 'JWT' })
      .setSubject(userId)
      .setIssuedAt(now)
      .setExpirationTime(now + ttlSeconds)
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setJti(randomUUID())
      .sign((await this.keys).sign)
    return { token, expiresAt }
  }

  /** The claims of a token verified before and not expired, without waiting; undefined otherwise. */
  peek(tokenDigest: string): TokenClaims | undefined {
    const cached = this.verified.get(tokenDigest)
    return cached && cached.expiresAt.getTime() > Date.now() ? cached : undefined
  }

  /** tokenDigest: credentialDigest(token), when the caller has it already (the cache key). */
  async verify(token: string, tokenDigest?: string): Promise<TokenClaims> {
    const cacheKey = tokenDigest ?? credentialDigest(token)
    const cached = this.peek(cacheKey)
    if (cached) return cached
    try {
      const { payload } = await jwtVerify(token, (await this.keys).verify, {
        algorithms: [this.algorithm],
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
        requiredClaims: ['exp', 'iat', 'sub', 'jti'],
      })
      if (payload.tid !== undefined && typeof payload.tid !== 'string') throw new InvalidTokenError('malformed tid claim')
      // This service issues every token it accepts, with iat = now: one issued in the future was
      // not (a leaked key minting long-lived tokens, or a signer with a broken clock).
      if (payload.iat! > Date.now() / 1000 + ISSUED_AT_SKEW_SECONDS) throw new InvalidTokenError('token invalid')
      const claims: TokenClaims = { userId: payload.sub!, tenantId: payload.tid as string | undefined, jti: payload.jti!, issuedAt: payload.iat!, expiresAt: new Date(payload.exp! * 1000) }
      this.verified.set(cacheKey, claims, Math.min(5 * 60_000, claims.expiresAt.getTime() - Date.now()))
      return claims
    } catch (error) {
      if (error instanceof InvalidTokenError) throw error
      if (error instanceof joseErrors.JOSEError) throw new InvalidTokenError(error.code === 'ERR_JWT_EXPIRED' ? 'token expired' : 'token invalid')
      throw new InvalidTokenError('token invalid')
    }
  }
}

/** Parses "24h", "15m", "7d", "30s" into seconds (validated by the config schema). */
export function durationSeconds(duration: string): number {
  const match = /^(\d+)\s*(s|m|h|d)$/.exec(duration.trim())
  if (!match) throw new Error(`bad duration ${duration}`)
  const unit = { s: 1, m: 60, h: 3600, d: 86_400 }[match[2] as 's' | 'm' | 'h' | 'd']
  return Number(match[1]) * unit
}

/**
 * The signing keys the configuration asks for. Production refuses to start without JWT_SECRET
 * or a key pair; elsewhere a missing secret is random, so tokens live as long as the process.
 */
export function signingKeysFrom(config: { JWT_SECRET?: string; JWT_PRIVATE_KEY?: string; JWT_PUBLIC_KEY?: string }): SigningKeys {
  if (config.JWT_PRIVATE_KEY && config.JWT_PUBLIC_KEY) return { privateKeyPem: config.JWT_PRIVATE_KEY, publicKeyPem: config.JWT_PUBLIC_KEY }
  return { secret: config.JWT_SECRET ?? randomBytes(32).toString('base64url') }
}
