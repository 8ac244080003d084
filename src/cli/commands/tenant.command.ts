// `tenantry tenant …` (DESIGN §14): the platform operator's tenant lifecycle from a shell, through
// the same TenantsService as the platform API, so every change is validated, locked, audited in
// the platform log (actor "platform") and announced to the other instances' caches.
import { createWriteStream } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import { parseArgs } from 'node:util'
import { ExportService, ImportService, type ExportFormat, type ImportFile } from '../../modules/export/index.ts'
import { WebhooksService } from '../../modules/webhooks/index.ts'
import { printImport } from '../import-summary.ts'
import { PLAN_NAMES, type PlanName } from '../../modules/plans/index.ts'
import { TenantsService, type Tenant } from '../../modules/tenants/tenants.service.ts'
import { SecurityLog } from '../../observability/security-log.ts'
import { exportFormatOption, openOperatorContext, tenantNamed, UsageError } from '../cli-context.ts'

const SUBCOMMANDS = ['create', 'list', 'show', 'suspend', 'reactivate', 'delete', 'export', 'import'] as const
type Subcommand = (typeof SUBCOMMANDS)[number]
const STATUSES = ['provisioning', 'active', 'suspended', 'deleted'] as const

export async function tenantCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args
  if (!SUBCOMMANDS.includes(sub as Subcommand)) throw new UsageError(`unknown tenant command ${sub ?? ''}: use ${SUBCOMMANDS.join(', ')}`)
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      name: { type: 'string' }, slug: { type: 'string' }, plan: { type: 'string' }, status: { type: 'string' }, json: { type: 'boolean' },
      format: { type: 'string' }, output: { type: 'string' }, file: { type: 'string' }, purge: { type: 'boolean' },
    },
  })
  const request = parseRequest(sub as Subcommand, values, positionals)

  const operator = await openOperatorContext()
  const { config, db, bus, asOperator } = operator
  try {
    const tenants = new TenantsService(db, bus, new SecurityLog(operator.logger), config)
    const idOf = async (ref: string) => (await tenantNamed(db, ref)).id
    if (request.sub === 'export') {
      const started = await asOperator(async () => new ExportService(db).start(await tenants.get(await idOf(request.ref)), request.format, { platform: true }))
      try {
        await pipeline(started.stream, request.output ? createWriteStream(request.output) : process.stdout, { end: request.output !== undefined })
      } catch (error) {
        // `tenantry tenant export x | head`: the reader stopped; so does the export (its transaction ends).
        if ((error as NodeJS.ErrnoException).code === 'EPIPE') return
        throw error
      }
      if (request.output) process.stderr.write(`exported to ${request.output}\n`)
      return
    }
    if (request.sub === 'import') {
      const importer = new ImportService(db, { tenants, webhooks: new WebhooksService(db, config), bus })
      const summary = await asOperator(async () => importer.importFile(await idOf(request.ref), request.file))
      printImport(summary, values.json === true)
      return
    }
    const output = await asOperator(async () => {
      switch (request.sub) {
        case 'create':
          return tenants.create({ name: request.name, slug: request.slug, plan: request.plan })
        case 'list':
          return tenants.listAll(request.status)
        case 'show':
          return tenants.get(await idOf(request.ref))
        case 'suspend':
          return tenants.suspend(await idOf(request.ref))
        case 'reactivate':
          return tenants.reactivate(await idOf(request.ref))
        case 'delete':
          return request.purge ? tenants.purge(await idOf(request.ref)) : tenants.softDelete(await idOf(request.ref))
      }
    })
    if ('purged' in output) printPurge(output, values.json === true)
    else print(output, values.json === true)
  } finally {
    await operator.close()
  }
}

type Request =
  | { sub: 'create'; name: string; slug?: string; plan?: PlanName }
  | { sub: 'export'; ref: string; format: ExportFormat; output?: string }
  | { sub: 'import'; ref: string; file: ImportFile }
  | { sub: 'list'; status?: (typeof STATUSES)[number] }
  | { sub: 'show' | 'suspend' | 'reactivate'; ref: string }
  | { sub: 'delete'; ref: string; purge: boolean }

function parseRequest(sub: Subcommand, values: { name?: string; slug?: string; plan?: string; status?: string; format?: string; output?: string; file?: string; purge?: boolean }, positionals: string[]): Request {
  if (values.purge && sub !== 'delete') throw new UsageError('--purge goes with tenant delete')
  if (sub === 'create') {
    if (!values.name || positionals.length > 0) throw new UsageError('tenant create needs --name N (and takes --slug S, --plan P)')
    if (values.plan !== undefined && !PLAN_NAMES.includes(values.plan as PlanName)) throw new UsageError(`--plan must be one of ${PLAN_NAMES.join(', ')}`)
    return { sub, name: values.name, slug: values.slug, plan: values.plan as PlanName | undefined }
  }
  if (sub === 'list') {
    if (positionals.length > 0) throw new UsageError('tenant list takes no arguments (filter with --status S)')
    if (values.status !== undefined && !STATUSES.includes(values.status as (typeof STATUSES)[number])) throw new UsageError(`--status must be one of ${STATUSES.join(', ')}`)
    return { sub, status: values.status as (typeof STATUSES)[number] | undefined }
  }
  if (positionals.length !== 1) throw new UsageError(`tenant ${sub} needs one tenant id or slug`)
  if (sub === 'export') {
    return { sub, ref: positionals[0]!, format: exportFormatOption(values.format, 'ndjson'), output: values.output }
  }
  if (sub === 'import') {
    if (!values.file) throw new UsageError('tenant import needs --file PATH (an export; --format json for a JSON document, else by its extension)')
    const format = exportFormatOption(values.format, values.file.toLowerCase().endsWith('.json') ? 'json' : 'ndjson')
    return { sub, ref: positionals[0]!, file: { path: values.file, format } }
  }
  if (sub === 'delete') return { sub, ref: positionals[0]!, purge: values.purge === true }
  return { sub, ref: positionals[0]! }
}

/** What `tenant delete --purge` removed, table by table. */
function printPurge(output: { id: string; purged: Record<string, number> }, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(output, null, 2)}\n`)
    return
  }
  const removed = Object.entries(output.purged).filter(([, count]) => count > 0)
  process.stdout.write(`purged tenant ${output.id}: ${removed.map(([table, count]) => `${table} ${count}`).join(', ') || 'no rows'}\n`)
}

function print(output: Tenant | Tenant[], json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(output, null, 2)}\n`)
    return
  }
  const rows = Array.isArray(output) ? output : [output]
  for (const t of rows) process.stdout.write(`${t.id}  ${t.slug.padEnd(24)}  ${t.status.padEnd(10)}  ${t.plan.padEnd(10)}  ${t.name}\n`)
  if (Array.isArray(output)) process.stdout.write(`${output.length} tenant${output.length === 1 ? '' : 's'}\n`)
}
