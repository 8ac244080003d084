drop function if exists tenantry_domain_tenant(text);
drop table if exists tenant_domains;
