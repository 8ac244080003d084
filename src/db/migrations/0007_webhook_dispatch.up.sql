-- The webhook dispatcher (DESIGN §10): every attempt recorded, leases that survive a crash, and
-- the one statement that spans tenants — the claim of due deliveries.

-- Replays reset the retry budget but keep the history: the schedule counts attempts since the
-- last replay (attempts - replayed_at_attempt). lease_token names the claim that owns a row, so a
-- dispatcher whose lease lapsed (and whose row another one took) cannot write its late result.
alter table webhook_deliveries
  add column replayed_at_attempt integer not null default 0 check (replayed_at_attempt >= 0),
  add column lease_token uuid;

-- Cross-tenant due order for the claim (the 0006 index serves per-tenant listings).
create index webhook_deliveries_due_idx on webhook_deliveries (next_attempt_at)
  where status in ('pending', 'failed', 'delivering');

create table webhook_delivery_attempts (
  tenant_id      uuid not null,
  id             uuid not null default gen_random_uuid(),
  delivery_id    uuid not null,
  attempt        integer not null check (attempt > 0),
  started_at     timestamptz not null,
  duration_ms    integer not null check (duration_ms >= 0),
  -- delivered (2xx), failed (anything else, retried), dlq (failed, no retry left), gone (410: endpoint disabled)
  outcome        text not null check (outcome in ('delivered', 'failed', 'dlq', 'gone')),
  status_code    integer,
  error          text,
  -- The first 1 KiB of the receiver's answer, for debugging a failing endpoint.
  response_body  text check (octet_length(response_body) <= 1024),
  primary key (tenant_id, id),
  constraint webhook_delivery_attempts_delivery_fkey foreign key (tenant_id, delivery_id)
    references webhook_deliveries (tenant_id, id) on delete cascade
);
create index webhook_delivery_attempts_delivery_idx on webhook_delivery_attempts (tenant_id, delivery_id, attempt);
select tenantry_isolate_tenant_table('webhook_delivery_attempts');
grant select, insert, delete on webhook_delivery_attempts to {{app_role}};

-- The claimer: a NOLOGIN role that owns the claim functions. Instead of BYPASSRLS (which only a
-- superuser may grant, and which would open every table) it gets one extra policy on one table.
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'tenantry_webhook_claimer') then
    begin
      create role tenantry_webhook_claimer nologin nosuperuser nobypassrls nocreatedb nocreaterole;
    exception when duplicate_object or unique_violation then
      null; -- created concurrently by a migration of another database
    end;
  end if;
  if not (select rolsuper from pg_roles where rolname = current_user) then
    execute format('grant %I to %I', 'tenantry_webhook_claimer', current_user);
  end if;
end
$$;
grant usage on schema public to tenantry_webhook_claimer;
-- Making a role the owner of a function needs that role to hold CREATE on the function's schema
-- (a superuser skips the check; a non-superuser database owner does not, docs/decisions.md D71).
-- The claimer needs it only for the two ALTER … OWNER below: revoked again before the end.
grant create on schema public to tenantry_webhook_claimer;
grant select, update on webhook_deliveries to tenantry_webhook_claimer;
create policy webhook_claim on webhook_deliveries for all to tenantry_webhook_claimer using (true) with check (true);

-- Leases up to p_limit due deliveries of any tenant: pending, failed and due for a retry, or
-- delivering with a lapsed lease (its worker died). The lease is written as next_attempt_at, so
-- one condition finds all three. Returns only the keys: everything after the claim runs in the
-- delivery's own tenant context. SKIP LOCKED lets any number of dispatchers claim side by side.
-- plpgsql, not sql: a sql function's body is planned without the limit's value (PostgreSQL < 18),
-- and with many rows due that generic plan scans the whole table on every claim.
create function tenantry_claim_webhook_deliveries(p_limit integer, p_lease_ms integer, p_token uuid)
returns table (tenant_id uuid, delivery_id uuid)
language plpgsql security definer set search_path = public as $$
#variable_conflict use_column
begin
  return query
  with due as (
    select d.tenant_id, d.id
      from webhook_deliveries d
     where d.status in ('pending', 'failed', 'delivering') and d.next_attempt_at <= now()
     order by d.next_attempt_at
     limit least(greatest(p_limit, 0), 1000)
       for update skip locked
  )
  update webhook_deliveries w
     set status = 'delivering',
         lease_token = p_token,
         lease_until = now() + make_interval(secs => greatest(p_lease_ms, 1000) / 1000.0),
         next_attempt_at = now() + make_interval(secs => greatest(p_lease_ms, 1000) / 1000.0)
    from due
   where w.tenant_id = due.tenant_id and w.id = due.id
  returning w.tenant_id, w.id;
end
$$;
alter function tenantry_claim_webhook_deliveries(integer, integer, uuid) owner to tenantry_webhook_claimer;
revoke all on function tenantry_claim_webhook_deliveries(integer, integer, uuid) from public;
grant execute on function tenantry_claim_webhook_deliveries(integer, integer, uuid) to {{app_role}};

-- Queue depth and the age of the oldest due delivery, for webhook_queue_depth and /health.
-- Counts only; no tenant's row leaves the function.
create function tenantry_webhook_queue_stats()
returns table (due bigint, oldest_due_at timestamptz)
language sql stable security definer set search_path = public as $$
  select count(*), min(next_attempt_at)
    from webhook_deliveries
   where status in ('pending', 'failed', 'delivering') and next_attempt_at <= now()
$$;
alter function tenantry_webhook_queue_stats() owner to tenantry_webhook_claimer;
revoke all on function tenantry_webhook_queue_stats() from public;
grant execute on function tenantry_webhook_queue_stats() to {{app_role}};
revoke create on schema public from tenantry_webhook_claimer;
