-- Back to the privileges of 0001-0010.
create or replace function tenantry_erase_tenant_logs(p_tenant_id uuid) returns void
language plpgsql security definer set search_path = public as $$
begin
  if exists (select 1 from tenants where id = p_tenant_id and status <> 'deleted') then
    raise exception 'tenant % is not deleted', p_tenant_id using errcode = '55000';
  end if;
  delete from rbac_audit_log where tenant_id = p_tenant_id;
  delete from audit_log where tenant_id = p_tenant_id;
  delete from audit_chain_heads where tenant_id = p_tenant_id;
end
$$;
create or replace function tenantry_purge_audit_log(p_tenant_id uuid, p_before timestamptz) returns bigint
language plpgsql security definer set search_path = public as $$
declare
  head record;
  last_purged record;
  removed bigint;
begin
  if p_tenant_id is distinct from nullif(current_setting('app.current_tenant_id', true), '')::uuid then
    raise exception 'audit purge only inside the tenant''s own context' using errcode = '42501';
  end if;
  if p_before > now() - interval '90 days' then
    raise exception 'audit entries are kept at least 90 days' using errcode = '22023';
  end if;
  select purged_through_seq into head from audit_chain_heads where tenant_id = p_tenant_id for update;
  select seq, hash into last_purged from audit_log
   where tenant_id = p_tenant_id and created_at < p_before order by seq desc limit 1;
  if last_purged is null or (head is not null and last_purged.seq <= head.purged_through_seq) then
    return 0;
  end if;
  delete from audit_log where tenant_id = p_tenant_id and seq <= last_purged.seq;
  get diagnostics removed = row_count;
  update audit_chain_heads set purged_through_seq = last_purged.seq, purged_through_hash = last_purged.hash
   where tenant_id = p_tenant_id;
  return removed;
end
$$;
grant execute on function tenantry_erase_tenant_logs(uuid) to {{app_role}};
grant execute on function tenantry_purge_audit_log(uuid, timestamptz) to {{app_role}};

drop trigger if exists audit_log_witness on audit_log;
drop function if exists tenantry_witness_audit_append();
drop table if exists audit_chain_witnesses;
revoke update (last_seq, last_hash) on audit_chain_heads from {{app_role}};
grant update on audit_chain_heads to {{app_role}};

grant select on platform_audit_log to {{app_role}};

revoke update (updated_at) on tenants from {{app_role}};
grant insert, update, delete on tenants to {{app_role}};

drop trigger if exists users_platform_admin_password on users;
drop function if exists tenantry_guard_platform_admin_password();
drop function if exists tenantry_login_lookup(text);
revoke select (id, email, name, status, is_platform_admin, default_tenant_id, created_at, updated_at, last_login_at, erased_at, has_password)
  on users from {{app_role}};
revoke insert (id, email, name, password_hash, status, default_tenant_id) on users from {{app_role}};
revoke update (password_hash, last_login_at, default_tenant_id, updated_at) on users from {{app_role}};
alter table users drop column has_password;
grant select, insert, update on users to {{app_role}};
