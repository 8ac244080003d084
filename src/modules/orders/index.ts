export { OrdersService, type OrderWithLines, type CreateOrderInput } from './orders.service.ts'
export { ordersRoutes } from './orders.routes.ts'
export { ORDER_TRANSITIONS, type OrderStatus } from './order-status.ts'
