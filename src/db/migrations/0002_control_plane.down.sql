drop table if exists invitations;
drop table if exists tenant_data_keys;
drop table if exists tenant_configurations;
alter table users drop column if exists default_tenant_id;
revoke delete on tenants from {{app_role}};
