-- Webhooks (DESIGN §10): the endpoints a tenant registers and the deliveries the domain events
-- outbox writes for them, in the same transaction as the change that caused them.

create table webhook_endpoints (
  tenant_id                   uuid not null references tenants (id),
  id                          uuid not null default gen_random_uuid(),
  name                        text not null check (char_length(name) between 1 and 200),
  url                         text not null check (char_length(url) between 1 and 2048),
  events                      text[] not null check (cardinality(events) > 0),
  headers                     jsonb not null default '{}'::jsonb,
  retry_count                 integer not null check (retry_count between 0 and 100),
  timeout_ms                  integer not null check (timeout_ms between 100 and 300000),
  status                      text not null default 'active' check (status in ('active', 'disabled')),
  -- The signing secret. secret_key_version null: the 64 hex characters as they are (no
  -- MASTER_KEY); otherwise sealed with that version of the tenant's data key (tenant_data_keys).
  secret                      text not null,
  secret_key_version          integer,
  -- After a rotation the previous secret keeps signing until previous_secret_expires_at.
  previous_secret             text,
  previous_secret_key_version integer,
  previous_secret_expires_at  timestamptz,
  last_success_at             timestamptz,
  last_failure_at             timestamptz,
  failure_count               integer not null default 0 check (failure_count >= 0),
  created_at                  timestamptz not null default now(),
  updated_at                  timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint webhook_endpoints_previous_secret_check check ((previous_secret is null) = (previous_secret_expires_at is null))
);
create index webhook_endpoints_tenant_id_created_at_idx on webhook_endpoints (tenant_id, created_at);
create index webhook_endpoints_tenant_id_status_idx on webhook_endpoints (tenant_id, status);

create table webhook_deliveries (
  tenant_id         uuid not null references tenants (id),
  id                uuid not null default gen_random_uuid(),
  endpoint_id       uuid not null,
  event_id          uuid not null,
  event_type        text not null,
  -- The exact bytes every attempt sends (buildEventBody): text, never jsonb, so retries re-sign them.
  body              text not null,
  status            text not null default 'pending' check (status in ('pending', 'delivering', 'delivered', 'failed', 'dlq')),
  attempts          integer not null default 0 check (attempts >= 0),
  next_attempt_at   timestamptz not null default now(),
  lease_until       timestamptz,
  last_status_code  integer,
  last_error        text,
  created_at        timestamptz not null default now(),
  delivered_at      timestamptz,
  primary key (tenant_id, id),
  constraint webhook_deliveries_endpoint_fkey foreign key (tenant_id, endpoint_id) references webhook_endpoints (tenant_id, id) on delete cascade,
  constraint webhook_deliveries_endpoint_event_key unique (tenant_id, endpoint_id, event_id)
);
create index webhook_deliveries_tenant_id_endpoint_id_created_at_idx on webhook_deliveries (tenant_id, endpoint_id, created_at);
-- Due work: deliveries waiting for an attempt (pending, failed awaiting a retry, delivering with a lapsed lease).
create index webhook_deliveries_tenant_id_due_idx on webhook_deliveries (tenant_id, next_attempt_at)
  where status in ('pending', 'failed', 'delivering');

select tenantry_isolate_tenant_table('webhook_endpoints');
select tenantry_isolate_tenant_table('webhook_deliveries');

grant select, insert, update, delete on webhook_endpoints, webhook_deliveries to {{app_role}};
