-- Webhook claims shared fairly between tenants (docs/decisions.md D50).
--
-- 0007 claimed the oldest due deliveries across all tenants. One tenant with a backlog (a bulk
-- import with a subscribed endpoint) then held every claim until its backlog was sent, and every
-- other tenant's deliveries waited behind it. Now a claim first visits the tenants with queued work,
-- from a random point of the tenant id space (so several dispatchers need no shared cursor and no
-- tenant is always first), and gives each visited tenant an equal share of the batch; what the
-- shares leave unused goes to the oldest due deliveries, as before, so one busy tenant alone still
-- gets whole batches.
--
-- (PostgreSQL 15 has no min(uuid): the next id is an ordered index probe with limit 1.)
-- Finding the tenants costs one index probe per tenant on the (tenant_id, next_attempt_at)
-- partial index of 0006, never a scan of the backlog: the next tenant id above the last one,
-- whatever its rows' due times (a tenant whose work is all due later gets a share and claims
-- nothing; the second pass hands that share on). At most p_limit * 2 tenants are looked at per
-- claim.
create or replace function tenantry_claim_webhook_deliveries(p_limit integer, p_lease_ms integer, p_token uuid)
returns table (tenant_id uuid, delivery_id uuid)
language plpgsql security definer set search_path = public as $$
#variable_conflict use_column
declare
  v_limit    integer := least(greatest(p_limit, 0), 1000);
  v_start    uuid := gen_random_uuid();
  v_tenants  uuid[];
  v_share    integer;
  v_claimed  integer := 0;
begin
  if v_limit = 0 then
    return;
  end if;

  -- Tenants with queued work: walk up from v_start, then wrap around to the lowest ids.
  with recursive walk (tenant_id, step) as (
      select (select d.tenant_id from webhook_deliveries d
               where d.status in ('pending', 'failed', 'delivering') and d.tenant_id >= v_start
               order by d.tenant_id limit 1), 1
    union all
      select (select d.tenant_id from webhook_deliveries d
               where d.status in ('pending', 'failed', 'delivering') and d.tenant_id > w.tenant_id
               order by d.tenant_id limit 1), w.step + 1
        from walk w
       where w.tenant_id is not null and w.step < v_limit * 2
  ), wrapped (tenant_id, step) as (
      select (select d.tenant_id from webhook_deliveries d
               where d.status in ('pending', 'failed', 'delivering') and d.tenant_id < v_start
               order by d.tenant_id limit 1), 1
    union all
      select (select d.tenant_id from webhook_deliveries d
               where d.status in ('pending', 'failed', 'delivering') and d.tenant_id > w.tenant_id and d.tenant_id < v_start
               order by d.tenant_id limit 1), w.step + 1
        from wrapped w
       where w.tenant_id is not null and w.step < v_limit * 2
  ), visited as (
    -- The wrapped walk is only evaluated when the walk up ran out of tenants before the cap.
    select tenant_id, step from walk where tenant_id is not null
    union all
    select tenant_id, step + v_limit * 2 from wrapped where tenant_id is not null
  )
  select array_agg(v.tenant_id order by v.step) into v_tenants
    from (select tenant_id, step from visited limit v_limit * 2) v;

  if v_tenants is not null then
    v_share := ceil(v_limit::numeric / cardinality(v_tenants))::integer;
    return query
    with due as (
      select d.tenant_id, d.id
        from unnest(v_tenants) with ordinality as t (tenant_id, position)
        cross join lateral (
          select d.tenant_id, d.id
            from webhook_deliveries d
           where d.tenant_id = t.tenant_id and d.status in ('pending', 'failed', 'delivering') and d.next_attempt_at <= now()
           order by d.next_attempt_at
           limit v_share
             for update skip locked
        ) d
       order by t.position
       limit v_limit
    )
    update webhook_deliveries w
       set status = 'delivering',
           lease_token = p_token,
           lease_until = now() + make_interval(secs => greatest(p_lease_ms, 1000) / 1000.0),
           next_attempt_at = now() + make_interval(secs => greatest(p_lease_ms, 1000) / 1000.0)
      from due
     where w.tenant_id = due.tenant_id and w.id = due.id
    returning w.tenant_id, w.id;
    get diagnostics v_claimed = row_count;
  end if;

  -- What the shares left: the oldest due deliveries of any tenant (the rows claimed above are no
  -- longer due: their next_attempt_at is the lease's end).
  if v_claimed < v_limit then
    return query
    with due as (
      select d.tenant_id, d.id
        from webhook_deliveries d
       where d.status in ('pending', 'failed', 'delivering') and d.next_attempt_at <= now()
       order by d.next_attempt_at
       limit v_limit - v_claimed
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
  end if;
end
$$;
