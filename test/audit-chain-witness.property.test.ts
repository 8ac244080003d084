// Properties of verification against the chain witness (docs/decisions.md D73), on chains built in
// memory with the real hash: whatever removal an attacker makes at the ends of a chain, and
// however they then set the head to match what is left, the chain verifies only if nothing was
// removed, or if the removal was a purge the witness saw.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ChainCheck } from '../src/modules/audit/audit-chain.ts'
import { entryHash, GENESIS_HASH } from '../src/modules/audit/audit-log.ts'
import type { AuditRow, ChainHeadRow, ChainWitnessRow } from '../src/modules/audit/audit.repository.ts'

const TENANT = '11111111-1111-4111-8111-111111111111'

function chainOf(length: number): AuditRow[] {
  const rows: AuditRow[] = []
  let prev: Uint8Array = GENESIS_HASH
  for (let seq = 1; seq <= length; seq++) {
    const fields = { seq: String(seq), id: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`, actor_type: 'system' as const, actor_id: null, action: 'thing.changed', resource_type: 'thing', resource_id: null, request_id: null, ip: null, user_agent: null, changes: { seq }, created_at: '2026-01-01T00:00:00.000000Z' }
    const hash = entryHash(prev, { ...fields, tenant_id: TENANT })
    rows.push({ ...fields, prev_hash: prev, hash })
    prev = hash
  }
  return rows
}

/** The head an attacker writes over what is left: consistent with it in every field. */
function headOver(rows: AuditRow[], anchorSeq: number, anchorHash: Uint8Array | null): ChainHeadRow | undefined {
  const last = rows.at(-1)
  if (!last && anchorSeq === 0) return undefined
  return { last_seq: last?.seq ?? String(anchorSeq), last_hash: last?.hash ?? anchorHash!, purged_through_seq: String(anchorSeq), purged_through_hash: anchorHash }
}

function verify(rows: AuditRow[], head: ChainHeadRow | undefined, witness: ChainWitnessRow | undefined) {
  const check = new ChainCheck(TENANT, head, witness)
  for (const row of rows) if (!check.next(row)) break
  return check.finish()
}

const removalArb = fc.integer({ min: 1, max: 12 }).chain((length) =>
  fc.record({ length: fc.constant(length), fromStart: fc.integer({ min: 0, max: length }), fromEnd: fc.integer({ min: 0, max: length }) }),
)

describe('a chain checked against its witness', () => {
  it('verifies only when nothing was removed, whatever the attacker sets the head to', () => {
    fc.assert(
      fc.property(removalArb, ({ length, fromStart, fromEnd }) => {
        const full = chainOf(length)
        const last = full.at(-1)!
        const witness: ChainWitnessRow = { last_seq: last.seq, last_hash: last.hash, purged_through_seq: '0', purged_through_hash: null }
        const kept = full.slice(fromStart, Math.max(fromStart, length - fromEnd))
        // The oldest removed entries become a made-up anchor, as a purge would have left it.
        const anchorSeq = kept.length > 0 ? Number(kept[0]!.seq) - 1 : 0
        const anchorHash = anchorSeq > 0 ? full[anchorSeq - 1]!.hash : null
        const result = verify(kept, headOver(kept, anchorSeq, anchorHash), witness)
        expect(result.ok).toBe(fromStart === 0 && fromEnd === 0)
        if (!result.ok) expect(result.first_bad_seq).toBeGreaterThan(0)
      }),
    )
  })

  it('verifies a purge the witness recorded, and nothing removed beyond it', () => {
    fc.assert(
      fc.property(removalArb, ({ length, fromStart, fromEnd }) => {
        const full = chainOf(length)
        const purged = Math.min(fromStart, length - 1)
        const witness: ChainWitnessRow = { last_seq: full.at(-1)!.seq, last_hash: full.at(-1)!.hash, purged_through_seq: String(purged), purged_through_hash: purged > 0 ? full[purged - 1]!.hash : null }
        const kept = full.slice(purged, Math.max(purged, length - fromEnd))
        const anchorHash = purged > 0 ? full[purged - 1]!.hash : null
        expect(verify(kept, headOver(kept, purged, anchorHash), witness).ok).toBe(fromEnd === 0)
      }),
    )
  })
})
