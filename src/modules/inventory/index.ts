export { InventoryService } from './inventory.service.ts'
export * as inventoryRepository from './inventory.repository.ts'
export type { InventoryItem, NewInventoryItem, InventoryItemChanges } from './inventory.repository.ts'
export { inventoryRoutes } from './inventory.routes.ts'
