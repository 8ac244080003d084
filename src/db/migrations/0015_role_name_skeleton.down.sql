drop index if exists tenant_roles_tenant_id_name_skeleton_key;
alter table tenant_roles drop column if exists name_skeleton;
