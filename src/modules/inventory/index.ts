export { InventoryService } from './inventory.service.ts'
export * as inventoryRepository from './inventory.repository.ts'
export type { InventoryItem, NewInventoryItem, InventoryItemChanges } from './inventory.repository.ts'
export { inventoryRoutes } from './inventory.routes.ts'
// For orders: stock moves through the inventory module's ledger, in the caller's transaction.
export { reserveStock, releaseStock, type OrderLineStock } from './stock-ledger.ts'
export { presentItem, type ItemView } from './inventory.presenter.ts'
