export { ExportService } from './export.service.ts'
export { exportRoutes } from './export.routes.ts'
export { EXPORT_FORMAT_VERSION, streamTenantExport, type ExportFormat } from './tenant-export.ts'
