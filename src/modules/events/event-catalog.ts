// Every domain event type, what it means, and the JSON schema of its `data`. The webhooks
// module lists these at GET /api/v1/webhook-events and lets endpoints subscribe to them; the
// types of emitDomainEvent come from here, so an emitter cannot send a payload off the contract.
import { Type, type Static, type TSchema } from 'typebox'
import { ForecastData, InventoryItemData, OrderData, OrderStatus } from './event-payloads.ts'

/** Field → { from, to } for the fields a change touched. */
const Changes = Type.Record(Type.String(), Type.Object({ from: Type.Unknown(), to: Type.Unknown() }))

export const domainEventCatalog = {
  'inventory.created': {
    description: 'An inventory item was created.',
    data: Type.Object({ item: InventoryItemData }),
  },
  'inventory.updated': {
    description: "An item's fields or stock changed (an edit, a stock adjustment, an order reserving or releasing stock).",
    data: Type.Object({ item: InventoryItemData, changes: Changes }),
  },
  'inventory.deleted': {
    description: 'An inventory item was deleted; `item` is its last state.',
    data: Type.Object({ item: InventoryItemData }),
  },
  'inventory.low_stock': {
    description: "An item's quantity fell to or below its reorder point (sent once per crossing, not on every change below it).",
    data: Type.Object({ item: InventoryItemData, cause: Type.Union([Type.Literal('update'), Type.Literal('adjustment'), Type.Literal('order')]) }),
  },
  'orders.created': {
    description: 'An order was placed; its stock is reserved.',
    data: Type.Object({ order: OrderData }),
  },
  'orders.updated': {
    description: "An order's status changed (a cancellation releases its stock).",
    data: Type.Object({ order: OrderData, previous_status: OrderStatus }),
  },
  'orders.deleted': {
    description: 'A pending or cancelled order was deleted; `order` is its last state.',
    data: Type.Object({ order: OrderData }),
  },
  'forecast.updated': {
    description: "An item's stored demand forecast was recomputed.",
    data: Type.Object({ forecast: ForecastData }),
  },
} as const satisfies Record<string, { description: string; data: TSchema }>

export type DomainEventType = keyof typeof domainEventCatalog
export type DomainEventData<T extends DomainEventType> = Static<(typeof domainEventCatalog)[T]['data']>

export const DOMAIN_EVENT_TYPES = Object.keys(domainEventCatalog) as DomainEventType[]
