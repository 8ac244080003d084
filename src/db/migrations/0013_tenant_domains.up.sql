-- Custom domains a tenant has proved it owns (a DNS TXT record, docs/decisions.md D75). A row is
-- a verified domain; a domain listed in tenants.settings.domains without a row never routes.
create table tenant_domains (
  tenant_id    uuid not null references tenants (id),
  domain       text not null check (char_length(domain) between 4 and 253 and domain = lower(domain)),
  verified_at  timestamptz not null default now(),
  primary key (tenant_id, domain)
);
select tenantry_isolate_tenant_table('tenant_domains');
grant select, insert, delete on tenant_domains to {{app_role}};

-- A request's Host is resolved before its tenant is known, and RLS (rightly) hides every tenant's
-- rows from the app role: this narrow SECURITY DEFINER lookup returns only the id of the tenant a
-- verified domain belongs to (the earliest verification, should two ever hold it), skipping
-- deleted tenants. Verification calls it too, to refuse a domain another tenant holds. It scans
-- by domain (no index may lead with it, DESIGN §4); the table holds a handful of rows per tenant
-- and answers are cached per host.
create function tenantry_domain_tenant(p_domain text) returns uuid
language sql stable security definer set search_path = public as $$
  select d.tenant_id
    from tenant_domains d join tenants t on t.id = d.tenant_id
   where d.domain = p_domain and t.status <> 'deleted'
   order by d.verified_at, d.tenant_id
   limit 1
$$;
revoke all on function tenantry_domain_tenant(text) from public;
grant execute on function tenantry_domain_tenant(text) to {{app_role}};
