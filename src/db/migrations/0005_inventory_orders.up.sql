-- The reference domain: stock adjustments, orders with lines, forecasts, and the domain events
-- outbox that the webhooks module turns into deliveries.

create table inventory_adjustments (
  tenant_id     uuid not null references tenants (id),
  id            uuid not null default gen_random_uuid(),
  item_id       uuid not null,
  delta         integer not null check (delta <> 0),
  reason        text not null check (char_length(reason) between 1 and 500),
  quantity_after integer not null check (quantity_after >= 0),
  order_id      uuid,
  actor_type    text,
  actor_id      text,
  created_at    timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint inventory_adjustments_item_fkey foreign key (tenant_id, item_id) references inventory_items (tenant_id, id) on delete cascade
);
create index inventory_adjustments_tenant_id_item_id_created_at_idx on inventory_adjustments (tenant_id, item_id, created_at);

create table orders (
  tenant_id       uuid not null references tenants (id),
  id              uuid not null default gen_random_uuid(),
  order_number    text not null check (char_length(order_number) between 1 and 64),
  customer_name   text,
  customer_email  text,
  status          text not null default 'pending' check (status in ('pending', 'confirmed', 'shipped', 'delivered', 'cancelled')),
  notes           text not null default '',
  total           numeric(14, 2) not null default 0 check (total >= 0),
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint orders_tenant_id_order_number_key unique (tenant_id, order_number)
);
create index orders_tenant_id_status_created_at_idx on orders (tenant_id, status, created_at);
create index orders_tenant_id_created_at_idx on orders (tenant_id, created_at);

create table order_lines (
  tenant_id   uuid not null references tenants (id),
  order_id    uuid not null,
  line_no     integer not null check (line_no > 0),
  item_id     uuid not null,
  quantity    integer not null check (quantity > 0),
  unit_price  numeric(14, 2) not null check (unit_price >= 0),
  primary key (tenant_id, order_id, line_no),
  constraint order_lines_order_fkey foreign key (tenant_id, order_id) references orders (tenant_id, id) on delete cascade,
  constraint order_lines_item_fkey foreign key (tenant_id, item_id) references inventory_items (tenant_id, id)
);
create index order_lines_tenant_id_item_id_idx on order_lines (tenant_id, item_id);

create table forecasts (
  tenant_id          uuid not null references tenants (id),
  item_id            uuid not null,
  method             text not null,
  window_days        integer not null check (window_days > 0),
  horizon_days       integer not null check (horizon_days > 0),
  average_daily      numeric(14, 4) not null,
  forecast_quantity  numeric(14, 2) not null,
  history            jsonb not null default '[]'::jsonb,
  computed_at        timestamptz not null default now(),
  primary key (tenant_id, item_id),
  constraint forecasts_item_fkey foreign key (tenant_id, item_id) references inventory_items (tenant_id, id) on delete cascade
);

-- The transactional outbox of domain events (DESIGN §10): written in the caller's transaction.
create table domain_events (
  tenant_id   uuid not null references tenants (id),
  id          uuid not null default gen_random_uuid(),
  type        text not null,
  data        jsonb not null,
  created_at  timestamptz not null default now(),
  primary key (tenant_id, id)
);
create index domain_events_tenant_id_created_at_idx on domain_events (tenant_id, created_at);

select tenantry_isolate_tenant_table('inventory_adjustments');
select tenantry_isolate_tenant_table('orders');
select tenantry_isolate_tenant_table('order_lines');
select tenantry_isolate_tenant_table('forecasts');
select tenantry_isolate_tenant_table('domain_events');

grant select, insert, update, delete on inventory_adjustments, orders, order_lines, forecasts, domain_events to {{app_role}};
