// Proof that a tenant owns a custom domain: a DNS TXT record only the domain's owner can publish.
import { createHash } from 'node:crypto'
import { resolveTxt as systemResolveTxt } from 'node:dns/promises'

/** node:dns/promises' resolveTxt: each record as the chunks it was published in. Injected in tests. */
export type ResolveTxt = (name: string) => Promise<string[][]>

export const defaultResolveTxt: ResolveTxt = systemResolveTxt

const TXT_PREFIX = '_tenantry-verification'
const VALUE_PREFIX = 'tenantry-verification='

/**
 * The record a tenant publishes for a domain. The value is derived from the tenant and the domain
 * (nothing to store, the same on every instance): it is no secret, since publishing it needs
 * control of the domain's DNS, and it binds the proof to this tenant and this domain.
 */
export function verificationRecord(tenantId: string, domain: string): { type: 'TXT'; name: string; value: string } {
  const token = createHash('sha256').update(`tenantry-domain-verification\0${tenantId}\0${domain}`).digest('base64url').slice(0, 32)
  return { type: 'TXT', name: `${TXT_PREFIX}.${domain}`, value: `${VALUE_PREFIX}${token}` }
}

/** Whether the domain publishes the record; why not, when it does not (for the caller to fix it). */
export async function lookUpRecord(resolveTxt: ResolveTxt, record: { name: string; value: string }): Promise<{ found: true } | { found: false; why: string }> {
  let records: string[][]
  try {
    records = await resolveTxt(record.name)
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'lookup failed'
    return { found: false, why: `the DNS lookup of ${record.name} answered ${code}` }
  }
  // A long TXT value arrives in 255-byte chunks: the record is their concatenation.
  if (records.some((chunks) => chunks.join('').trim() === record.value)) return { found: true }
  return { found: false, why: `${record.name} has ${records.length} TXT record(s), none of them "${record.value}"` }
}
