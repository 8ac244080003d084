-- Erased users cannot go back to a status the old constraint knows: they become 'disabled'.
drop function if exists tenantry_user_membership_tenants(uuid);
alter table users drop constraint if exists users_erased_at_check;
update users set status = 'disabled' where status = 'erased';
alter table users drop column if exists erased_at;
alter table users drop constraint users_status_check;
alter table users add constraint users_status_check check (status in ('active', 'disabled'));
