-- A cap on what one tenant may hold of a dispatcher's slots (docs/decisions.md D63).
--
-- 0009 shares each batch between the tenants with queued work, but a dispatcher's slot stays
-- taken until its attempt ends. A tenant whose receivers never answer took every slot of a batch
-- it had alone (8 endpoints x 8 connections = 64) and held them for its endpoints' timeout (up to
-- 5 minutes): no batch was claimed for anyone meanwhile. The dispatcher now passes what it holds
-- per tenant (p_held_tenants, p_held_counts: attempts claimed here and not yet recorded) and the
-- most one tenant may hold (p_tenant_cap). The claim takes at most cap - held for a tenant and
-- nothing for a tenant at its cap; that tenant's due deliveries are not touched (still pending or
-- failed, still due) and are taken by a later claim, once its attempts end.
--
-- The walk over tenants and the equal shares are 0009's. What the shares leave no longer goes to
-- the oldest due deliveries of anyone (that pass cannot skip a capped tenant's backlog without
-- reading it): it goes to the walked tenants that still have room, the one whose oldest due
-- delivery has waited longest first, each up to its room. Every step is an index probe on the
-- (tenant_id, next_attempt_at) partial index of 0006, as before.
--
-- A new overload, not a replacement: instances of the previous release keep calling the
-- three-argument function of 0009 during a rolling deploy; a later migration can drop it.
create function tenantry_claim_webhook_deliveries(p_limit integer, p_lease_ms integer, p_token uuid,
                                                  p_tenant_cap integer, p_held_tenants uuid[], p_held_counts integer[])
returns table (tenant_id uuid, delivery_id uuid)
language plpgsql security definer set search_path = public as $$
#variable_conflict use_column
declare
  v_limit       integer := least(greatest(p_limit, 0), 1000);
  -- null: no cap (what a batch can hold anyway).
  v_cap         integer := greatest(coalesce(p_tenant_cap, 1000), 0);
  v_lease       interval := make_interval(secs => greatest(p_lease_ms, 1000) / 1000.0);
  v_start       uuid := gen_random_uuid();
  v_walked      uuid[];
  v_tenants     uuid[];
  v_rooms       integer[];
  v_share       integer;
  v_tenant_ids  uuid[];
  v_ids         uuid[];
  v_claimed     integer := 0;
  v_next        record;
  v_taken       integer;
begin
  if v_limit = 0 or v_cap = 0 then
    return;
  end if;

  -- Tenants with queued work, as in 0009: walk up from v_start, then wrap around to the lowest ids.
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
    select tenant_id, step from walk where tenant_id is not null
    union all
    select tenant_id, step + v_limit * 2 from wrapped where tenant_id is not null
  )
  select array_agg(v.tenant_id order by v.step) into v_walked
    from (select tenant_id, step from visited limit v_limit * 2) v;

  -- The walked tenants with room left under the cap, in walk order. A tenant at its cap is dropped
  -- here, after the walk: excluding it inside the walk would make each probe step over its rows.
  select array_agg(r.tenant_id order by r.position), array_agg(r.room order by r.position)
    into v_tenants, v_rooms
    from (select t.tenant_id, t.position, (v_cap - coalesce(h.held, 0))::integer as room
            from unnest(v_walked) with ordinality as t (tenant_id, position)
            left join (select x.tenant_id, sum(x.held) as held
                         from unnest(p_held_tenants, p_held_counts) as x (tenant_id, held)
                        group by x.tenant_id) h on h.tenant_id = t.tenant_id) r
   where r.room > 0;

  if v_tenants is null then
    return;
  end if;

  -- An equal share of the batch for each, never more than its room.
  v_share := ceil(v_limit::numeric / cardinality(v_tenants))::integer;
  with due as (
    select d.tenant_id, d.id
      from unnest(v_tenants, v_rooms) with ordinality as t (tenant_id, room, position)
      cross join lateral (
        select d.tenant_id, d.id
          from webhook_deliveries d
         where d.tenant_id = t.tenant_id and d.status in ('pending', 'failed', 'delivering') and d.next_attempt_at <= now()
         order by d.next_attempt_at
         limit least(v_share, t.room)
           for update skip locked
      ) d
     order by t.position
     limit v_limit
  ), claimed as (
    update webhook_deliveries w
       set status = 'delivering',
           lease_token = p_token,
           lease_until = now() + v_lease,
           next_attempt_at = now() + v_lease
      from due
     where w.tenant_id = due.tenant_id and w.id = due.id
    returning w.tenant_id, w.id
  )
  select array_agg(c.tenant_id), array_agg(c.id) into v_tenant_ids, v_ids from claimed c;
  v_claimed := coalesce(cardinality(v_ids), 0);
  return query select * from unnest(v_tenant_ids, v_ids);

  -- What the shares left: the same tenants, each up to the room it has left, the one whose oldest
  -- due delivery has waited longest first (the rows claimed above are no longer due: their
  -- next_attempt_at is the lease's end).
  if v_claimed < v_limit then
    for v_next in
      select t.tenant_id, t.room - coalesce(g.taken, 0)::integer as room
        from unnest(v_tenants, v_rooms) as t (tenant_id, room)
        left join (select y.tenant_id, count(*) as taken from unnest(v_tenant_ids) as y (tenant_id) group by y.tenant_id) g
          on g.tenant_id = t.tenant_id
       cross join lateral (
         select d.next_attempt_at
           from webhook_deliveries d
          where d.tenant_id = t.tenant_id and d.status in ('pending', 'failed', 'delivering')
          order by d.next_attempt_at
          limit 1
       ) oldest
       where oldest.next_attempt_at <= now() and t.room - coalesce(g.taken, 0) > 0
       order by oldest.next_attempt_at
    loop
      exit when v_claimed >= v_limit;
      return query
      with due as (
        select d.tenant_id, d.id
          from webhook_deliveries d
         where d.tenant_id = v_next.tenant_id and d.status in ('pending', 'failed', 'delivering') and d.next_attempt_at <= now()
         order by d.next_attempt_at
         limit least(v_next.room, v_limit - v_claimed)
           for update skip locked
      )
      update webhook_deliveries w
         set status = 'delivering',
             lease_token = p_token,
             lease_until = now() + v_lease,
             next_attempt_at = now() + v_lease
        from due
       where w.tenant_id = due.tenant_id and w.id = due.id
      returning w.tenant_id, w.id;
      get diagnostics v_taken = row_count;
      v_claimed := v_claimed + v_taken;
    end loop;
  end if;
end
$$;
alter function tenantry_claim_webhook_deliveries(integer, integer, uuid, integer, uuid[], integer[]) owner to tenantry_webhook_claimer;
revoke all on function tenantry_claim_webhook_deliveries(integer, integer, uuid, integer, uuid[], integer[]) from public;
grant execute on function tenantry_claim_webhook_deliveries(integer, integer, uuid, integer, uuid[], integer[]) to {{app_role}};
