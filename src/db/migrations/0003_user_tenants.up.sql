-- Login without a tenant needs the user's memberships across tenants, which RLS (rightly) hides
-- from the app role. This narrow SECURITY DEFINER function returns only (tenant id, status) of
-- one user's memberships in active tenants. It runs as the migration role, which must be a
-- superuser or hold BYPASSRLS (docs/decisions.md D20).
create function tenantry_user_tenants(p_user_id uuid) returns table (tenant_id uuid, status text)
language sql stable security definer set search_path = public as $$
  select tu.tenant_id, tu.status
    from tenant_users tu join tenants t on t.id = tu.tenant_id
   where tu.user_id = p_user_id and t.status = 'active'
$$;
revoke all on function tenantry_user_tenants(uuid) from public;
grant execute on function tenantry_user_tenants(uuid) to {{app_role}};
