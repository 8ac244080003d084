-- Custom role names are unique by what they read as (docs/decisions.md D77): the application
-- computes each name's skeleton (NFKC, lookalike letters of other scripts as Latin, case folded;
-- src/modules/rbac/role-name.ts) and this unique index makes two lookalikes created at once
-- impossible. Rows named before this migration get their lower-case name, which the index of
-- 0004 already kept unique; renaming such a role stores its real skeleton.
alter table tenant_roles add column name_skeleton text;
update tenant_roles set name_skeleton = lower(name);
alter table tenant_roles alter column name_skeleton set not null;
create unique index tenant_roles_tenant_id_name_skeleton_key on tenant_roles (tenant_id, name_skeleton);
