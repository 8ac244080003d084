export { emitDomainEvent, type DomainEvent } from './domain-events.ts'
export { domainEventCatalog, DOMAIN_EVENT_TYPES, type DomainEventType, type DomainEventData } from './event-catalog.ts'
export { Money, InventoryItemData, OrderData, OrderLineData, OrderStatus, ForecastData } from './event-payloads.ts'
