// The public representations that domain events carry. They are the same objects the REST API
// answers with (the inventory and orders schemas reuse them), so a webhook receiver and an API
// client parse one shape. This file imports nothing from domain modules: events is the leaf that
// inventory, orders and forecasts build on, never the other way round.
import { Type } from 'typebox'

/** Money is a decimal string with two places ("12.50"): exact, unlike a JSON number. */
export const Money = Type.String({ pattern: '^\\d{1,12}\\.\\d{2}$', description: 'decimal string, two places' })

export const InventoryItemData = Type.Object({
  id: Type.String({ format: 'uuid' }),
  item_code: Type.String(),
  name: Type.String(),
  description: Type.String(),
  quantity: Type.Integer({ minimum: 0, description: 'units on hand (stock reserved by orders is already taken off)' }),
  unit: Type.String(),
  location: Type.Union([Type.String(), Type.Null()]),
  reorder_point: Type.Integer({ minimum: 0 }),
  unit_cost: Money,
  low_stock: Type.Boolean({ description: 'quantity <= reorder_point' }),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
})

export const OrderStatus = Type.Union([Type.Literal('pending'), Type.Literal('confirmed'), Type.Literal('shipped'), Type.Literal('delivered'), Type.Literal('cancelled')])

export const OrderLineData = Type.Object({
  line_no: Type.Integer({ minimum: 1 }),
  item_id: Type.String({ format: 'uuid' }),
  item_code: Type.String(),
  name: Type.String(),
  quantity: Type.Integer({ minimum: 1 }),
  unit_price: Money,
  line_total: Money,
})

export const OrderData = Type.Object({
  id: Type.String({ format: 'uuid' }),
  order_number: Type.String(),
  customer_name: Type.Union([Type.String(), Type.Null()]),
  customer_email: Type.Union([Type.String(), Type.Null()]),
  status: OrderStatus,
  notes: Type.String(),
  total: Money,
  lines: Type.Array(OrderLineData),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
})

export const ForecastData = Type.Object({
  item_id: Type.String({ format: 'uuid' }),
  method: Type.Literal('simple_moving_average'),
  window_days: Type.Integer({ minimum: 1 }),
  horizon_days: Type.Integer({ minimum: 1 }),
  total_demand: Type.Integer({ minimum: 0, description: 'units ordered in the window (cancelled orders excluded)' }),
  average_daily: Type.Number({ minimum: 0, description: 'total_demand / window_days, four places' }),
  forecast_quantity: Type.Number({ minimum: 0, description: 'average_daily × horizon_days, two places' }),
  history: Type.Array(Type.Object({ date: Type.String({ format: 'date' }), quantity: Type.Integer({ minimum: 0 }) }), {
    description: 'units ordered per UTC day, oldest first, one entry per day of the window',
  }),
  computed_at: Type.String({ format: 'date-time' }),
})
