-- Usage metering (DESIGN §11) and the scheduler's run record (DESIGN §15).

-- One row per tenant and UTC day. The counters are added to by every instance's flush (additive
-- upserts of what it counted in memory since the last one); the snapshot columns are set by the
-- usage-snapshot job and stay null on a day without a snapshot.
create table usage_daily (
  tenant_id           uuid not null references tenants (id),
  day                 date not null,
  requests            bigint not null default 0 check (requests >= 0),
  -- Responses with status >= 500 (server faults); 4xx are counted apart, as the caller's.
  errors              bigint not null default 0 check (errors >= 0),
  client_errors       bigint not null default 0 check (client_errors >= 0),
  webhook_deliveries  bigint not null default 0 check (webhook_deliveries >= 0),
  items               integer check (items >= 0),
  users               integer check (users >= 0),
  -- Estimated bytes of the tenant's rows across every tenant table (see the usage module).
  storage_bytes       bigint check (storage_bytes >= 0),
  snapshot_at         timestamptz,
  updated_at          timestamptz not null default now(),
  primary key (tenant_id, day)
);
select tenantry_isolate_tenant_table('usage_daily');
grant select, insert, update, delete on usage_daily to {{app_role}};

-- Global: when each scheduled job last ran anywhere. A run claims its slot here (under the job's
-- advisory lock), so with several instances a job runs once per slot, not once per instance.
create table scheduled_jobs (
  name              text primary key check (char_length(name) between 1 and 100),
  last_started_at   timestamptz not null,
  last_finished_at  timestamptz,
  last_outcome      text check (last_outcome in ('succeeded', 'partial', 'failed')),
  last_instance     text,
  last_summary      jsonb not null default '{}'::jsonb
);
grant select, insert, update on scheduled_jobs to {{app_role}};
