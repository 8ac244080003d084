-- Drops what 0001 created. The app role stays: roles are cluster-wide and other databases on
-- the same server may use it.
drop table if exists inventory_items;
drop table if exists tenant_users;
drop table if exists platform_audit_log;
drop table if exists role_permissions;
drop table if exists roles;
drop table if exists permissions;
drop table if exists users;
drop table if exists tenants;
drop function if exists tenantry_isolate_tenant_table(regclass);
revoke usage on schema public from {{app_role}};
