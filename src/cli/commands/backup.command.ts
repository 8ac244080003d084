import { createHash } from 'node:crypto'
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { parseArgs } from 'node:util'
import { InvalidationBus } from '../../cache/invalidation-bus.ts'
import { runWithContext } from '../../context/index.ts'
import { EXPORT_FORMAT_VERSION, ExportService, type ExportFormat } from '../../modules/export/index.ts'
import { TenantsService } from '../../modules/tenants/tenants.service.ts'
import { exportFormatOption, openCliContext, UsageError } from '../cli-context.ts'

interface ManifestEntry {
  id: string
  slug: string
  status: string
  file: string
  bytes?: number
  sha256?: string
  error?: string
}

/**
 * `tenantry backup --all --destination DIR [--format ndjson|json]` (DESIGN §14): every tenant's
 * export (D54: one snapshot per tenant, secrets left out) into DIR/tenantry-backup-<time>/, one
 * file per tenant and a manifest.json with each file's size and SHA-256, and a progress bar on
 * stderr. It is a logical copy of the tenants' data, not a substitute for PostgreSQL's own backups:
 * keys, webhook secrets and encrypted values are not in it. Exit code 1 when a tenant failed.
 */
export async function backupCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { all: { type: 'boolean' }, destination: { type: 'string' }, format: { type: 'string' } } })
  if (values.all !== true || !values.destination || positionals.length > 0) throw new UsageError('backup needs --all and --destination DIR')
  const format = exportFormatOption(values.format, 'ndjson')
  const started = new Date()
  const dir = join(values.destination, `tenantry-backup-${started.toISOString().replace(/[:.]/g, '-')}`)
  mkdirSync(dir, { recursive: true })

  const { db } = await openCliContext()
  const progress = new Progress()
  const entries: ManifestEntry[] = []
  try {
    const tenants = new TenantsService(db, new InvalidationBus())
    const exports = new ExportService(db)
    const all = await tenants.listAll()
    await runWithContext({ actor: { type: 'platform' }, userAgent: 'tenantry-cli backup' }, async () => {
      for (const [index, tenant] of all.entries()) {
        progress.show(index, all.length, tenant.slug)
        const entry: ManifestEntry = { id: tenant.id, slug: tenant.slug, status: tenant.status, file: `${tenant.slug}.${format}` }
        try {
          const digest = createHash('sha256')
          let bytes = 0
          const measure = new Transform({
            transform(chunk: Buffer, _encoding, done) {
              digest.update(chunk)
              bytes += chunk.length
              done(null, chunk)
            },
          })
          const { stream } = await exports.start(tenant, format, { platform: true })
          await pipeline(stream, measure, createWriteStream(join(dir, entry.file)))
          Object.assign(entry, { bytes, sha256: digest.digest('hex') })
        } catch (error) {
          entry.error = error instanceof Error ? error.message : String(error)
        }
        entries.push(entry)
      }
    })
    progress.show(all.length, all.length, 'done')
  } finally {
    progress.end()
    await db.close()
  }
  const failed = entries.filter((entry) => entry.error !== undefined)
  const manifest = { format: 'tenantry.backup', format_version: EXPORT_FORMAT_VERSION, export_format: format, started_at: started.toISOString(), finished_at: new Date().toISOString(), tenants: entries }
  writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`)
  for (const entry of failed) process.stderr.write(`${entry.id}  ${entry.slug}  failed: ${entry.error}\n`)
  process.stdout.write(`${entries.length - failed.length} of ${entries.length} tenants backed up to ${dir}${failed.length > 0 ? `, ${failed.length} failed` : ''}\n`)
  if (failed.length > 0) process.exitCode = 1
}

/** A bar on a terminal, redrawn in place; one line per tenant otherwise (a log file, CI). */
class Progress {
  private readonly tty = process.stderr.isTTY === true

  show(done: number, total: number, label: string): void {
    const width = 30
    const filled = total === 0 ? width : Math.round((done / total) * width)
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${label}`
    if (this.tty) process.stderr.write(`\r${line.padEnd(80).slice(0, 120)}`)
    else process.stderr.write(`${line}\n`)
  }

  end(): void {
    if (this.tty) process.stderr.write('\n')
  }
}
