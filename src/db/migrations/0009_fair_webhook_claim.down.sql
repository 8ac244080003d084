-- Back to the oldest-first claim of 0007.
create or replace function tenantry_claim_webhook_deliveries(p_limit integer, p_lease_ms integer, p_token uuid)
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
