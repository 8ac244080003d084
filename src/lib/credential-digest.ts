import { hash } from 'node:crypto'

/**
 * SHA-256 of a credential (bearer token, API key) as base64url: the key of the verified-credential
 * caches, computed once per request. A one-shot hash straight to a string costs about a third of
 * createHash().update().digest() followed by toString() (measured in docs/decisions.md D52).
 */
export const credentialDigest = (credential: string): string => hash('sha256', credential, 'base64url')
