import { Type } from 'typebox'
import { MAX_STOCK } from './inventory.repository.ts'
import { PageQuery, pageOf } from '../../http/pagination.ts'
import { InventoryItemData } from '../events/index.ts'

// One representation in API answers and in inventory.* events (see events/event-payloads.ts).
export const ItemResponse = InventoryItemData
export const ItemPage = pageOf(ItemResponse)
export const ItemParams = Type.Object({ id: Type.String({ format: 'uuid' }) })


// Writable fields, shared by POST and PATCH. Unknown properties (tenant_id, id, created_at …) are
// refused with 400 rather than ignored: a caller who sends them expects them to count.
const fields = {
  item_code: Type.String({ minLength: 1, maxLength: 64, pattern: '^\\S(.*\\S)?$', description: 'unique in the tenant; no surrounding spaces' }),
  name: Type.String({ minLength: 1, maxLength: 200 }),
  description: Type.String({ maxLength: 5000 }),
  quantity: Type.Integer({ minimum: 0, maximum: MAX_STOCK }),
  unit: Type.String({ minLength: 1, maxLength: 32 }),
  location: Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()]),
  reorder_point: Type.Integer({ minimum: 0, maximum: MAX_STOCK }),
  unit_cost: Type.Number({ minimum: 0, maximum: 999_999_999_999.99, description: 'rounded to cents; answered as a decimal string' }),
}

export const CreateItemBody = Type.Object(
  {
    item_code: fields.item_code,
    name: fields.name,
    description: Type.Optional(fields.description),
    quantity: Type.Optional(fields.quantity),
    unit: Type.Optional(fields.unit),
    location: Type.Optional(fields.location),
    reorder_point: Type.Optional(fields.reorder_point),
    unit_cost: Type.Optional(fields.unit_cost),
  },
  { additionalProperties: false },
)

export const UpdateItemBody = Type.Object(
  {
    item_code: Type.Optional(fields.item_code),
    name: Type.Optional(fields.name),
    description: Type.Optional(fields.description),
    quantity: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_STOCK, description: 'sets the stock; the change is recorded in the adjustments ledger' })),
    unit: Type.Optional(fields.unit),
    location: Type.Optional(fields.location),
    reorder_point: Type.Optional(fields.reorder_point),
    unit_cost: Type.Optional(fields.unit_cost),
  },
  { additionalProperties: false, minProperties: 1 },
)

export const ListItemsQuery = Type.Object(
  {
    ...PageQuery,
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'substring of name or item_code, case-insensitive' })),
    location: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    low_stock: Type.Optional(Type.Boolean({ description: 'only items with quantity <= reorder_point' })),
  },
  { additionalProperties: false },
)

export const AdjustmentBody = Type.Object(
  {
    delta: Type.Integer({ minimum: -MAX_STOCK, maximum: MAX_STOCK, not: { const: 0 }, description: 'units added (positive) or removed (negative)' }),
    reason: Type.String({ minLength: 1, maxLength: 500 }),
  },
  { additionalProperties: false },
)

export const AdjustmentResponse = Type.Object({
  id: Type.String({ format: 'uuid' }),
  item_id: Type.String({ format: 'uuid' }),
  delta: Type.Integer(),
  reason: Type.String(),
  quantity_after: Type.Integer({ minimum: 0 }),
  order_id: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], { description: 'the order that reserved or released the stock' }),
  actor_type: Type.Union([Type.String(), Type.Null()]),
  actor_id: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String({ format: 'date-time' }),
})

export const AdjustedResponse = Type.Object({ adjustment: AdjustmentResponse, item: ItemResponse })
export const AdjustmentPage = pageOf(AdjustmentResponse)
export const ListAdjustmentsQuery = Type.Object(PageQuery, { additionalProperties: false })
