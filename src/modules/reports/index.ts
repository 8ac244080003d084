export { ReportsService, type InventorySummary } from './reports.service.ts'
export { reportsRoutes } from './reports.routes.ts'
