// The audit log's guarantees: append-only for the app role, a hash chain that reports the first
// altered, removed or truncated entry, retention that keeps the chain verifiable from its
// anchor, and `tenantry audit verify` as a real process.
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runWithTenant } from '../src/context/index.ts'
import { withTenant } from '../src/db/index.ts'
import { entryHash, GENESIS_HASH, recordAudit } from '../src/modules/audit/index.ts'
import { bearer, createTestApi, type TestApi } from './support/api.ts'
import { runCli } from './support/cli.ts'
import { createTenant } from './support/factories.ts'
import { expectOk, expectProblem, ownerRows } from './support/platform.ts'
import { APP_ROLE, serverUrl } from './support/test-env.ts'

let api: TestApi
beforeAll(async () => {
  api = await createTestApi()
})
afterAll(() => api?.close())

const audit = () => api.services.audit
const owner = (sql: string, params: unknown[] = []) => ownerRows(api, sql, params)
const asApp = (tenantId: string, sql: string, params: unknown[] = []) => api.testDb.db.tenantTransaction(tenantId, (tx) => tx.query(sql, params))

/** Appends n entries (varied changes: nesting, unicode, numbers, dates, null) as a job would. */
async function append(tenantId: string, n: number, from = 0): Promise<void> {
  await runWithTenant(tenantId, () =>
    withTenant(api.testDb.db, async (tx) => {
      for (let i = from; i < from + n; i++) {
        await recordAudit(tx, {
          action: 'thing.changed', resourceType: 'thing', resourceId: String(i),
          changes: { i, ratio: i / 3, big: 2 ** 53 + 2, text: 'ünïcødé ✓ "quoted"', nested: { z: [1, 'two', null], a: { when: new Date(0) } }, gone: undefined },
        })
      }
    }),
  )
}

async function chainOf(n: number): Promise<string> {
  const tenantId = await createTenant(api.testDb.db)
  await append(tenantId, n)
  return tenantId
}

describe('append-only', () => {
  it('lets the app role insert and read, never update, delete or truncate', async () => {
    const tenantId = await chainOf(2)
    expect((await asApp(tenantId, 'select count(*)::int as n from audit_log')).rows).toEqual([{ n: 2 }])
    for (const sql of [`update audit_log set action = 'x' where tenant_id = $1`, 'delete from audit_log where tenant_id = $1', 'truncate audit_log', 'delete from audit_chain_heads where tenant_id = $1', 'truncate audit_chain_heads']) {
      await expect(asApp(tenantId, sql, sql.includes('$1') ? [tenantId] : []), sql).rejects.toMatchObject({ code: '42501' })
    }
    expect((await audit().verify(tenantId)).ok).toBe(true)
  })
})

describe('verify', () => {
  it('is ok on a clean chain, and on a tenant that never had an entry', async () => {
    expect(await audit().verify(await chainOf(5))).toEqual({ ok: true, checked: 5, anchor_seq: 0, head_seq: 5 })
    expect(await audit().verify(await createTenant(api.testDb.db))).toEqual({ ok: true, checked: 0, anchor_seq: 0, head_seq: 0 })
  })

  it('loses an entry whose transaction rolls back, without a gap in the chain', async () => {
    const tenantId = await chainOf(2)
    const failing = runWithTenant(tenantId, () =>
      withTenant(api.testDb.db, async (tx) => {
        await recordAudit(tx, { action: 'thing.changed', resourceType: 'thing' })
        throw new Error('the change failed after its audit entry')
      }),
    )
    await expect(failing).rejects.toThrow(/the change failed/)
    await append(tenantId, 1)
    expect(await audit().verify(tenantId)).toEqual({ ok: true, checked: 3, anchor_seq: 0, head_seq: 3 })
  })

  it('stays whole under concurrent appends, the very first one included', async () => {
    const tenantId = await createTenant(api.testDb.db)
    await Promise.all(Array.from({ length: 16 }, (_, i) => append(tenantId, 3, i * 3)))
    expect(await audit().verify(tenantId)).toEqual({ ok: true, checked: 48, anchor_seq: 0, head_seq: 48 })
  })

  it('reports an edited action or edited changes at that seq', async () => {
    for (const edit of [`set action = 'thing.deleted'`, `set changes = jsonb_set(changes, '{i}', '99')`, `set actor_type = 'platform'`, `set created_at = created_at - interval '1 microsecond'`]) {
      const tenantId = await chainOf(5)
      await owner(`update audit_log ${edit} where tenant_id = $1 and seq = 3`, [tenantId])
      expect(await audit().verify(tenantId), edit).toMatchObject({ ok: false, first_bad_seq: 3, checked: 2, reason: expect.stringMatching(/altered/) })
    }
  })

  it('reports a rewritten entry (its hash recomputed) at the next link', async () => {
    const tenantId = await chainOf(5)
    const [row] = await owner(`select id::text, actor_type, action, resource_type, resource_id, changes, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as created_at, prev_hash
                                 from audit_log where tenant_id = $1 and seq = 3`, [tenantId])
    const forged = { tenant_id: tenantId, seq: '3', id: row!.id as string, actor_type: 'system', actor_id: null, action: 'thing.changed', resource_type: 'thing', resource_id: '2', request_id: null, ip: null, user_agent: null, changes: { innocent: true }, created_at: row!.created_at as string }
    await owner('update audit_log set changes = $2, hash = $3 where tenant_id = $1 and seq = 3', [tenantId, JSON.stringify(forged.changes), entryHash(row!.prev_hash as Uint8Array, forged)])
    expect(await audit().verify(tenantId)).toMatchObject({ ok: false, first_bad_seq: 4, reason: expect.stringMatching(/does not link/) })
  })

  it('reports a deleted entry in the middle, and a deleted last entry', async () => {
    const middle = await chainOf(5)
    await owner('delete from audit_log where tenant_id = $1 and seq = 2', [middle])
    expect(await audit().verify(middle)).toMatchObject({ ok: false, first_bad_seq: 2, checked: 1, reason: expect.stringMatching(/missing/) })

    const tail = await chainOf(5)
    await owner('delete from audit_log where tenant_id = $1 and seq = 5', [tail])
    expect(await audit().verify(tail)).toMatchObject({ ok: false, first_bad_seq: 5, checked: 4, head_seq: 5, reason: expect.stringMatching(/missing.*head/) })
  })

  it('reports a head that does not match the last entry, and an anchor or head moved by the app role', async () => {
    const head = await chainOf(3)
    await asApp(head, `update audit_chain_heads set last_hash = $2 where tenant_id = $1`, [head, Buffer.alloc(32, 1)])
    expect(await audit().verify(head)).toMatchObject({ ok: false, first_bad_seq: 3, reason: expect.stringMatching(/head's hash/) })

    // The app role may move the head's seq and hash (appends do), never the anchor (D73); the
    // owner may, and moving it must not hide entries.
    const moved = await chainOf(4)
    const moveAnchor = `update audit_chain_heads set purged_through_seq = 2, purged_through_hash = (select hash from audit_log where tenant_id = $1 and seq = 2) where tenant_id = $1`
    await expect(asApp(moved, moveAnchor, [moved])).rejects.toMatchObject({ code: '42501' })
    await owner(moveAnchor, [moved])
    expect(await audit().verify(moved)).toMatchObject({ ok: false, first_bad_seq: 1, reason: expect.stringMatching(/anchor/) })

    // Nor may rewinding the head hide the last entries.
    const rewound = await chainOf(4)
    await asApp(rewound, `update audit_chain_heads set last_seq = 3, last_hash = (select hash from audit_log where tenant_id = $1 and seq = 3) where tenant_id = $1`, [rewound])
    expect(await audit().verify(rewound)).toMatchObject({ ok: false, first_bad_seq: 4, checked: 3, reason: expect.stringMatching(/beyond the chain head/) })
  })

  it('is served over HTTP with audit:read', async () => {
    const org = await api.signUp()
    await append(org.tenantId, 3)
    expect(expectOk(await api.app.inject({ url: '/api/v1/audit-logs/verify', headers: bearer(org.token) }))).toMatchObject({ ok: true, checked: 3, head_seq: 3 })
    const analyst = await api.addMember(org.token, 'Analyst')
    expectProblem(await api.app.inject({ url: '/api/v1/audit-logs/verify', headers: bearer(analyst.token) }), 403, 'permission_denied')
  })
})

describe('retention', () => {
  /** Writes a correctly chained entry `daysAgo` old as the owner: the only way to have old entries in a test. */
  async function appendBackdated(tenantId: string, daysAgo: number): Promise<void> {
    const [head] = await owner('select last_seq::text as seq, last_hash from audit_chain_heads where tenant_id = $1', [tenantId])
    const prev = (head?.last_hash as Uint8Array | undefined) ?? GENESIS_HASH
    const seq = String(Number(head?.seq ?? 0) + 1)
    const createdAt = new Date(Date.now() - daysAgo * 86_400_000).toISOString().replace(/Z$/, '000Z')
    const fields = { tenant_id: tenantId, seq, id: randomUUID(), actor_type: 'system', actor_id: null, action: 'old.thing', resource_type: 'thing', resource_id: null, request_id: null, ip: null, user_agent: null, changes: { days_ago: daysAgo }, created_at: createdAt }
    const hash = entryHash(prev, fields)
    await owner(`insert into audit_log (tenant_id, seq, id, actor_type, action, resource_type, changes, created_at, prev_hash, hash) values ($1, $2, $3, 'system', 'old.thing', 'thing', $4, $5, $6, $7)`,
      [tenantId, seq, fields.id, JSON.stringify(fields.changes), createdAt, prev, hash])
    await owner(`insert into audit_chain_heads (tenant_id, last_seq, last_hash) values ($1, $2, $3) on conflict (tenant_id) do update set last_seq = $2, last_hash = $3`, [tenantId, seq, hash])
  }

  it('removes entries older than the retention, records the anchor and keeps the chain verifiable', async () => {
    const tenantId = await createTenant(api.testDb.db)
    for (const days of [400, 380, 200, 100]) await appendBackdated(tenantId, days)
    await append(tenantId, 2)
    expect(await audit().verify(tenantId)).toMatchObject({ ok: true, checked: 6 })

    expect(await audit().purgeExpired(tenantId)).toEqual({ removed: 2, purged_through_seq: 2 })
    const [anchor] = await owner('select purged_through_seq::int as seq, purged_through_hash, last_seq::int as last from audit_chain_heads where tenant_id = $1', [tenantId])
    expect(anchor).toMatchObject({ seq: 2, last: 7 })
    expect(anchor!.purged_through_hash).toBeTruthy()
    expect(await audit().verify(tenantId)).toEqual({ ok: true, checked: 5, anchor_seq: 2, head_seq: 7 })
    const [purged] = await owner(`select actor_type, changes from audit_log where tenant_id = $1 and action = 'audit.purged'`, [tenantId])
    expect(purged).toMatchObject({ actor_type: 'system', changes: { removed: 2, purged_through_seq: 2 } })

    // 90 days takes the 200- and 100-day-old entries too; a new entry still links to the chain.
    expect(await audit().purgeExpired(tenantId, 90)).toMatchObject({ removed: 2, purged_through_seq: 4 })
    await append(tenantId, 1)
    expect(await audit().verify(tenantId)).toMatchObject({ ok: true, anchor_seq: 4, head_seq: 9 })
    // And tampering after a purge is still found.
    await owner(`update audit_log set action = 'x' where tenant_id = $1 and seq = 6`, [tenantId])
    expect(await audit().verify(tenantId)).toMatchObject({ ok: false, first_bad_seq: 6 })
  })

  it('never goes below 90 days', async () => {
    const tenantId = await chainOf(1)
    await expect(audit().purgeExpired(tenantId, 89)).rejects.toThrow(/at least 90 days/)
    expect(await audit().purgeExpired(tenantId, 90)).toEqual({ removed: 0, purged_through_seq: 0 })
  })

  it('refuses, in the database itself, a cutoff inside the 90 days or another tenant', async () => {
    const tenantId = await chainOf(4)
    const other = await chainOf(1)
    // The SECURITY DEFINER function is the only way entries leave the log: it holds the floor.
    await expect(audit().purgeBefore(tenantId, new Date())).rejects.toMatchObject({ code: '22023' })
    await expect(
      api.testDb.db.tenantTransaction(tenantId, (tx) => tx.query('select tenantry_purge_audit_log($1, $2)', [other, new Date(Date.now() - 400 * 86_400_000).toISOString()])),
    ).rejects.toMatchObject({ code: '42501' })
    expect(await audit().verify(tenantId)).toMatchObject({ ok: true, head_seq: 4 })
  })

  it('purges every tenant (the nightly job) and leaves recent entries and other tenants alone', async () => {
    const old = await createTenant(api.testDb.db)
    await appendBackdated(old, 500)
    await append(old, 1)
    const recent = await chainOf(2)
    const result = await audit().purgeAllTenants()
    expect(result.failed).toEqual([])
    expect(result.removed).toBeGreaterThanOrEqual(1)
    expect(await audit().verify(old)).toMatchObject({ ok: true, anchor_seq: 1, head_seq: 3 })
    expect(await audit().verify(recent)).toEqual({ ok: true, checked: 2, anchor_seq: 0, head_seq: 2 })
  })
})

describe.runIf(serverUrl())('tenantry audit verify (a real process)', () => {
  const cli = (...args: string[]) => runCli(['audit', ...args], { DATABASE_URL: api.testDb.config.DATABASE_URL, DATABASE_APP_ROLE: APP_ROLE })

  it('prints ok for a sound chain, and the first bad seq with exit code 1 for a broken one', async () => {
    const tenantId = await chainOf(3)
    const [{ slug }] = (await owner('select slug from tenants where id = $1', [tenantId])) as [{ slug: string }]
    const sound = await cli('verify', '--tenant', slug)
    expect(sound, sound.output).toMatchObject({ code: 0, output: expect.stringContaining(`${tenantId}  ok      3 entries`) })

    await owner('delete from audit_log where tenant_id = $1 and seq = 2', [tenantId])
    const broken = await cli('verify', '--tenant', tenantId)
    expect(broken, broken.output).toMatchObject({ code: 1, output: expect.stringContaining(`${tenantId}  BROKEN  first bad seq 2`) })
    const all = await cli('verify', '--all')
    expect(all.code, all.output).toBe(1)
    expect(all.output).toContain(`${tenantId}  BROKEN`)
    expect(all.output).toMatch(/chains checked, [1-9]\d* broken/)
  }, 60_000)
})
