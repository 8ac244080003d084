import { Type } from 'typebox'
import { PageQuery, pageOf } from '../../http/pagination.ts'
import { OrderData, OrderStatus } from '../events/index.ts'

// One representation in API answers and in orders.* events (see events/event-payloads.ts).
export const OrderResponse = OrderData
export const OrderSummary = Type.Omit(OrderData, ['lines'])
export const OrderPage = pageOf(OrderSummary)
export const OrderParams = Type.Object({ id: Type.String({ format: 'uuid' }) })

const MAX_LINES = 100 // one order, one transaction: bounded so a request cannot lock the whole catalogue

export const CreateOrderBody = Type.Object(
  {
    order_number: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^\\S(.*\\S)?$', description: 'unique in the tenant; generated when absent' })),
    customer_name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    customer_email: Type.Optional(Type.String({ format: 'email', maxLength: 254 })),
    notes: Type.Optional(Type.String({ maxLength: 5000 })),
    lines: Type.Array(
      Type.Object(
        {
          item_id: Type.String({ format: 'uuid' }),
          quantity: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
          unit_price: Type.Optional(Type.Number({ minimum: 0, maximum: 999_999_999_999.99, description: "rounded to cents; the item's unit_cost when absent" })),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: MAX_LINES },
    ),
  },
  { additionalProperties: false },
)

export const ChangeStatusBody = Type.Object({ status: OrderStatus }, { additionalProperties: false })

export const ListOrdersQuery = Type.Object(
  {
    ...PageQuery,
    status: Type.Optional(OrderStatus),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'created at or after' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'created before' })),
  },
  { additionalProperties: false },
)
