// SQL for orders and their lines; every statement filters on tx.tenantId explicitly.
import type { TenantTx } from '../../db/index.ts'
import type { OrderStatus } from './order-status.ts'

export interface OrderRow {
  id: string
  order_number: string
  customer_name: string | null
  customer_email: string | null
  status: OrderStatus
  notes: string
  /** numeric(14,2) arrives as its decimal text. */
  total: string
  created_at: Date
  updated_at: Date
}

export interface OrderLineRow {
  line_no: number
  item_id: string
  item_code: string
  name: string
  quantity: number
  unit_price: string
  line_total: string
}

export interface NewOrder {
  order_number: string
  customer_name?: string
  customer_email?: string
  notes?: string
}

export interface NewOrderLine {
  itemId: string
  quantity: number
  unitPrice: string
}

export interface OrderFilters {
  status?: OrderStatus
  from?: string
  to?: string
}

const COLUMNS = 'id, order_number, customer_name, customer_email, status, notes, total, created_at, updated_at'

export async function insertOrder(tx: TenantTx, order: NewOrder): Promise<OrderRow> {
  const { rows } = await tx.query<OrderRow>(
    `insert into orders (tenant_id, order_number, customer_name, customer_email, notes)
     values ($1, $2, $3, $4, coalesce($5, '')) returning ${COLUMNS}`,
    [tx.tenantId, order.order_number, order.customer_name ?? null, order.customer_email ?? null, order.notes ?? null],
  )
  return rows[0]!
}

/** Lines are numbered in the order given, from 1; one statement whatever their number. */
export async function insertLines(tx: TenantTx, orderId: string, lines: NewOrderLine[]): Promise<void> {
  await tx.query(
    `insert into order_lines (tenant_id, order_id, line_no, item_id, quantity, unit_price)
     select $1, $2, line.ordinality, line.item_id, line.quantity, line.unit_price
       from unnest($3::uuid[], $4::int[], $5::numeric[]) with ordinality as line (item_id, quantity, unit_price, ordinality)`,
    [tx.tenantId, orderId, lines.map((line) => line.itemId), lines.map((line) => line.quantity), lines.map((line) => line.unitPrice)],
  )
}

/** The total is summed in SQL, in numeric: no binary floating point touches money. */
export async function updateTotal(tx: TenantTx, orderId: string): Promise<OrderRow> {
  const { rows } = await tx.query<OrderRow>(
    `update orders set total = (select coalesce(sum(quantity * unit_price), 0) from order_lines where tenant_id = $1 and order_id = $2), updated_at = now()
      where tenant_id = $1 and id = $2 returning ${COLUMNS}`,
    [tx.tenantId, orderId],
  )
  return rows[0]!
}

export async function findOrder(tx: TenantTx, id: string, options: { lock?: boolean } = {}): Promise<OrderRow | undefined> {
  const { rows } = await tx.query<OrderRow>(`select ${COLUMNS} from orders where tenant_id = $1 and id = $2${options.lock ? ' for update' : ''}`, [tx.tenantId, id])
  return rows[0]
}

export async function listLines(tx: TenantTx, orderId: string): Promise<OrderLineRow[]> {
  const { rows } = await tx.query<OrderLineRow>(
    `select l.line_no, l.item_id, i.item_code, i.name, l.quantity, l.unit_price, (l.quantity * l.unit_price)::numeric(14, 2)::text as line_total
       from order_lines l join inventory_items i on i.tenant_id = l.tenant_id and i.id = l.item_id
      where l.tenant_id = $1 and l.order_id = $2 order by l.line_no`,
    [tx.tenantId, orderId],
  )
  return rows
}

export async function updateStatus(tx: TenantTx, id: string, status: OrderStatus): Promise<OrderRow> {
  const { rows } = await tx.query<OrderRow>(`update orders set status = $3, updated_at = now() where tenant_id = $1 and id = $2 returning ${COLUMNS}`, [tx.tenantId, id, status])
  return rows[0]!
}

/** Its lines go with it (on delete cascade). */
export async function deleteOrder(tx: TenantTx, id: string): Promise<boolean> {
  const { rowCount } = await tx.query('delete from orders where tenant_id = $1 and id = $2', [tx.tenantId, id])
  return rowCount > 0
}

/** Newest first, keyset by (created_at, id); `position` is created_at as PostgreSQL prints it. */
export async function listOrders(
  tx: TenantTx,
  options: OrderFilters & { limit: number; before?: { at: string; id: string } },
): Promise<(OrderRow & { position: string })[]> {
  const { rows } = await tx.query<OrderRow & { position: string }>(
    `select ${COLUMNS}, created_at::text as position from orders
      where tenant_id = $1
        and ($2::text is null or status = $2)
        and ($3::timestamptz is null or created_at >= $3::timestamptz)
        and ($4::timestamptz is null or created_at < $4::timestamptz)
        and ($5::timestamptz is null or (created_at, id) < ($5::timestamptz, $6::uuid))
      order by created_at desc, id desc limit $7`,
    [tx.tenantId, options.status ?? null, options.from ?? null, options.to ?? null, options.before?.at ?? null, options.before?.id ?? null, options.limit],
  )
  return rows
}
