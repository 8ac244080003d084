// Checking one tenant's hash chain, entry by entry, from the anchor to the head. Pure: the
// service feeds it rows read in seq order; nothing here touches the database.
import { entryHash, GENESIS_HASH } from './audit-log.ts'
import type { AuditRow, ChainHeadRow, ChainWitnessRow } from './audit.repository.ts'

export interface VerifyResult {
  ok: boolean
  /** Entries whose hash and link were checked. */
  checked: number
  /** The first entry that is altered, missing or out of place. */
  first_bad_seq?: number
  reason?: string
  /** Where the chain starts: the last purged entry (0 when nothing was purged). */
  anchor_seq: number
  /** The last entry according to the chain head. */
  head_seq: number
}

/**
 * Walks the chain: each stored entry must be the next seq, link to the previous hash, and hash
 * to its own `hash` when recomputed from its stored fields; the last one must be the head. A
 * chain with no head row has no entries (GENESIS at seq 0), unless its witness (kept by the
 * owner's trigger, out of the app role's reach) says otherwise: the head and anchor must be
 * where the witness saw the last append and purge leave them.
 */
export class ChainCheck {
  private expectedSeq: bigint
  private prevHash: Uint8Array
  private checked = 0
  private failure: { seq: bigint; reason: string } | undefined
  readonly anchorSeq: bigint
  readonly headSeq: bigint

  private readonly tenantId: string
  private readonly head: ChainHeadRow | undefined
  private readonly witness?: ChainWitnessRow

  constructor(
    tenantId: string,
    head: ChainHeadRow | undefined,
    witness?: ChainWitnessRow,
  ) {
    this.tenantId = tenantId
    this.head = head
    this.witness = witness
    this.anchorSeq = BigInt(head?.purged_through_seq ?? 0)
    this.headSeq = BigInt(head?.last_seq ?? 0)
    this.expectedSeq = this.anchorSeq + 1n
    this.prevHash = this.anchorSeq > 0n ? (head?.purged_through_hash ?? new Uint8Array()) : GENESIS_HASH
    if (this.anchorSeq > 0n && !head?.purged_through_hash) this.fail(this.anchorSeq + 1n, `the purge anchor at seq ${this.anchorSeq} has no hash`)
  }

  /** A head or anchor the witness did not see: moved, or removed with the entries behind it. */
  private compareWithWitness(witness: ChainWitnessRow): void {
    const witnessedSeq = BigInt(witness.last_seq)
    const witnessedAnchor = BigInt(witness.purged_through_seq)
    if (!this.head) {
      this.fail(1n, `the chain head is missing, but the log was appended to up to seq ${witnessedSeq}`)
    } else if (witnessedSeq !== this.headSeq || !sameBytes(witness.last_hash, this.head.last_hash)) {
      this.fail(witnessedSeq < this.headSeq ? witnessedSeq + 1n : this.headSeq + 1n, `the chain head (seq ${this.headSeq}) is not where the last append left it (seq ${witnessedSeq})`)
    } else if (witnessedAnchor !== this.anchorSeq || !sameNullableBytes(witness.purged_through_hash, this.head.purged_through_hash)) {
      this.fail(this.anchorSeq + 1n, `the purge anchor (seq ${this.anchorSeq}) is not where the last purge left it (seq ${witnessedAnchor})`)
    }
  }

  get failed(): boolean {
    return this.failure !== undefined
  }

  /** The last seq checked, for reading the next page. */
  get lastSeq(): string {
    return String(this.expectedSeq - 1n)
  }

  /** An entry stored at or below the anchor: a purge removes those, so the anchor was moved. */
  belowAnchor(seq: string | undefined): void {
    if (seq !== undefined && BigInt(seq) <= this.anchorSeq) this.fail(BigInt(seq), `entry ${seq} is stored at or below the purge anchor (seq ${this.anchorSeq})`)
  }

  /** An entry stored past the head: the head was moved back, or an entry was slipped in. */
  beyondHead(seq: string | undefined): void {
    if (seq !== undefined && BigInt(seq) > this.headSeq) this.fail(this.headSeq + 1n, `entries up to seq ${seq} are stored beyond the chain head (seq ${this.headSeq})`)
  }

  /** Checks the next stored entry; false once the chain is broken (stop reading). */
  next(row: AuditRow): boolean {
    if (this.failure) return false
    const seq = BigInt(row.seq)
    if (seq !== this.expectedSeq) return this.fail(this.expectedSeq, `entry ${this.expectedSeq} is missing`)
    if (!sameBytes(row.prev_hash, this.prevHash)) return this.fail(seq, `entry ${seq} does not link to the previous entry's hash`)
    // The tenant is part of every hash: an entry copied into another tenant's chain fails here.
    const recomputed = entryHash(this.prevHash, { ...row, tenant_id: this.tenantId })
    if (!sameBytes(recomputed, row.hash)) return this.fail(seq, `entry ${seq} was altered: its stored fields do not hash to its hash`)
    this.checked += 1
    this.prevHash = row.hash
    this.expectedSeq = seq + 1n
    return true
  }

  /** After the last row: the chain must end exactly at the head. */
  finish(): VerifyResult {
    if (!this.failure) {
      const lastSeq = this.expectedSeq - 1n
      if (lastSeq < this.headSeq) this.fail(this.expectedSeq, `entries ${this.expectedSeq}..${this.headSeq} are missing: the chain head is at seq ${this.headSeq}`)
      else if (!sameBytes(this.prevHash, this.head?.last_hash ?? GENESIS_HASH)) this.fail(lastSeq, `the chain head's hash does not match entry ${lastSeq}`)
      // A chain that is whole from its anchor to its head may still have lost its tail (or all
      // of it) together with the head: the witness says where the head should be.
      else if (this.witness) this.compareWithWitness(this.witness)
    }
    const base = { checked: this.checked, anchor_seq: Number(this.anchorSeq), head_seq: Number(this.headSeq) }
    return this.failure ? { ok: false, ...base, first_bad_seq: Number(this.failure.seq), reason: this.failure.reason } : { ok: true, ...base }
  }

  private fail(seq: bigint, reason: string): false {
    this.failure ??= { seq, reason }
    return false
  }
}

function sameNullableBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  return a === null || b === null ? a === b : sameBytes(a, b)
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))
}
