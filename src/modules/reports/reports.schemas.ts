import { Type } from 'typebox'

export const InventorySummaryQuery = Type.Object(
  { low_stock_limit: Type.Optional(Type.Integer({ minimum: 0, maximum: 500, default: 50, description: 'how many low-stock items to list' })) },
  { additionalProperties: false },
)

export const InventorySummaryResponse = Type.Object({
  totals: Type.Object({
    item_count: Type.Integer(),
    total_units: Type.Integer(),
    stock_value: Type.String({ pattern: '^\\d+\\.\\d{2}$', description: 'sum of quantity × unit_cost, a decimal string' }),
    low_stock_count: Type.Integer({ description: 'items with quantity <= reorder_point' }),
    out_of_stock_count: Type.Integer(),
  }),
  low_stock_items: Type.Array(
    Type.Object({
      id: Type.String({ format: 'uuid' }),
      item_code: Type.String(),
      name: Type.String(),
      location: Type.Union([Type.String(), Type.Null()]),
      quantity: Type.Integer(),
      reorder_point: Type.Integer(),
      unit: Type.String(),
      shortfall: Type.Integer({ description: 'reorder_point - quantity: how far below the reorder point' }),
    }),
    { description: 'furthest below the reorder point first' },
  ),
  generated_at: Type.String({ format: 'date-time' }),
})
