-- GDPR erasure of a user (docs/decisions.md D56). The row stays, because audit entries and API
-- keys name the user by id, but nothing in it identifies the person any more: the email becomes
-- erased-<id>@erased.invalid, name, password hash and last login go, status becomes 'erased'.
alter table users drop constraint users_status_check;
alter table users add constraint users_status_check check (status in ('active', 'disabled', 'erased'));
alter table users add column erased_at timestamptz;
alter table users add constraint users_erased_at_check check ((status = 'erased') = (erased_at is not null));

-- Erasure removes the user's memberships in every tenant, whatever the tenant's status. RLS hides
-- them from the app role (rightly), so this narrow SECURITY DEFINER function returns only the ids
-- of the tenants where one user is a member; the removal itself runs in each tenant's context.
create function tenantry_user_membership_tenants(p_user_id uuid) returns table (tenant_id uuid)
language sql stable security definer set search_path = public as $$
  select tu.tenant_id from tenant_users tu where tu.user_id = p_user_id order by tu.tenant_id
$$;
revoke all on function tenantry_user_membership_tenants(uuid) from public;
grant execute on function tenantry_user_membership_tenants(uuid) to {{app_role}};
