// What `tenantry tenant import` prints: the counts, then what the operator has to act on (keys
// to create, webhooks to re-arm, invitations to hand out). The tokens are shown this once.
import type { ImportSummary } from '../modules/export/index.ts'

export function printImport(summary: ImportSummary, json: boolean): void {
  const out = (line = ''): void => void process.stdout.write(`${line}\n`)
  if (json) return out(JSON.stringify(summary, null, 2))
  const { source } = summary
  out(`imported into ${summary.tenant.slug} (${summary.tenant.id}) from ${source.slug ?? '?'} (${source.tenant_id ?? '?'}), exported ${source.exported_at ?? '?'}`)
  out(`file sha256 ${summary.sha256}`)
  out(`users: ${summary.users.matched} matched by email, ${summary.users.created} created without a password`)
  for (const [table, rows] of Object.entries(summary.rows)) out(`  ${table.padEnd(28)} ${String(rows).padStart(8)}`)
  const skipped = Object.entries(summary.skipped)
  if (skipped.length > 0) out('skipped:')
  for (const [table, entry] of skipped) out(`  ${table} (${entry.rows}${entry.keys ? `: ${entry.keys.join(', ')}` : ''}): ${entry.reason}`)
  if (summary.changed.length > 0) out('changed:')
  for (const entry of summary.changed) out(`  ${entry.table} (${entry.rows}${entry.ids ? `: ${entry.ids.join(', ')}` : ''}): ${entry.change}`)
  if (summary.invitations.length > 0) out('invitations (POST /api/v1/auth/accept-invite; shown once):')
  for (const invitation of summary.invitations) out(`  ${invitation.email}  ${invitation.token}  until ${invitation.expires_at}`)
}
