-- What request traffic's role may do to global rows and to the append-only logs (docs/decisions.md
-- D73). The app role can name any tenant context, so RLS does not stop it acting inside any tenant;
-- what it must not reach are the platform's powers: making operators, reading password hashes,
-- changing a tenant's status or plan, removing audit history.

-- ───────────────────────── users ─────────────────────────
-- Whether an account has a password, without the hash (an invitation or an import decides on it).
alter table users add column has_password boolean generated always as (password_hash is not null) stored;
revoke select, insert, update on users from {{app_role}};
grant select (id, email, name, status, is_platform_admin, default_tenant_id, created_at, updated_at, last_login_at, erased_at, has_password)
  on users to {{app_role}};
grant insert (id, email, name, password_hash, status, default_tenant_id) on users to {{app_role}};
grant update (password_hash, last_login_at, default_tenant_id, updated_at) on users to {{app_role}};

-- Login needs the hash of the one account whose email was typed, and only that one.
create function tenantry_login_lookup(p_email text) returns table (id uuid, password_hash text)
language sql stable security definer set search_path = public as $$
  select u.id, u.password_hash from users u where u.email = p_email
$$;
revoke all on function tenantry_login_lookup(text) from public;
grant execute on function tenantry_login_lookup(text) to {{app_role}};

-- Setting a platform admin's password would make its setter an operator: not the app role's to do.
create function tenantry_guard_platform_admin_password() returns trigger language plpgsql as $$
begin
  if old.is_platform_admin and new.password_hash is distinct from old.password_hash and current_user = '{{app_role_name}}' then
    raise exception 'a platform admin''s password is changed by the platform, not by request traffic' using errcode = '42501';
  end if;
  return new;
end
$$;
create trigger users_platform_admin_password before update of password_hash on users
  for each row execute function tenantry_guard_platform_admin_password();

-- ───────────────────────── tenants ─────────────────────────
-- Read only: lifecycle, plan and settings changes run as the owner. UPDATE on updated_at alone
-- is what lets a transaction take the row lock (FOR NO KEY UPDATE needs UPDATE on some column).
revoke insert, update, delete on tenants from {{app_role}};
grant update (updated_at) on tenants to {{app_role}};

-- ───────────────────────── platform audit ─────────────────────────
-- Appended to by operators' calls inside a tenant; read by no request.
revoke select on platform_audit_log from {{app_role}};

-- ───────────────────────── tenant audit log ─────────────────────────
-- The anchor moves only through the purge; the head's seq and hash with each append.
revoke update on audit_chain_heads from {{app_role}};
grant update (last_seq, last_hash) on audit_chain_heads to {{app_role}};

-- Where each chain's last append and purge anchor are kept out of the app role's reach: a trigger
-- of the owner's writes it, the app role only reads it. Verification compares the head with it,
-- so a head that disappeared, or moved back with the tail, no longer passes for an empty log.
create table audit_chain_witnesses (
  tenant_id            uuid not null references tenants (id),
  last_seq             bigint not null,
  last_hash            bytea not null,
  purged_through_seq   bigint not null default 0,
  purged_through_hash  bytea,
  primary key (tenant_id)
);
-- Chains begun before this migration (an owner without BYPASSRLS sees no heads: those stay unwitnessed).
insert into audit_chain_witnesses (tenant_id, last_seq, last_hash, purged_through_seq, purged_through_hash)
  select tenant_id, last_seq, last_hash, purged_through_seq, purged_through_hash from audit_chain_heads;
select tenantry_isolate_tenant_table('audit_chain_witnesses');
grant select on audit_chain_witnesses to {{app_role}};

create function tenantry_witness_audit_append() returns trigger
language plpgsql security definer set search_path = public as $$
begin
  insert into audit_chain_witnesses (tenant_id, last_seq, last_hash) values (new.tenant_id, new.seq, new.hash)
  on conflict (tenant_id) do update set last_seq = excluded.last_seq, last_hash = excluded.last_hash
   where audit_chain_witnesses.last_seq < excluded.last_seq;
  return null;
end
$$;
revoke all on function tenantry_witness_audit_append() from public;
create trigger audit_log_witness after insert on audit_log for each row execute function tenantry_witness_audit_append();

-- Retention and erasure are the owner's (the scheduled job, a tenant purge): no EXECUTE for the app role.
revoke execute on function tenantry_purge_audit_log(uuid, timestamptz) from {{app_role}};
revoke execute on function tenantry_erase_tenant_logs(uuid) from {{app_role}};

-- As in 0004, and the anchor is witnessed too.
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
  update audit_chain_witnesses set purged_through_seq = last_purged.seq, purged_through_hash = last_purged.hash
   where tenant_id = p_tenant_id;
  return removed;
end
$$;

-- Only a deleted tenant's logs, inside its own context, and its witness with them.
create or replace function tenantry_erase_tenant_logs(p_tenant_id uuid) returns void
language plpgsql security definer set search_path = public as $$
begin
  if p_tenant_id is distinct from nullif(current_setting('app.current_tenant_id', true), '')::uuid then
    raise exception 'tenant logs are erased only inside the tenant''s own context' using errcode = '42501';
  end if;
  if not exists (select 1 from tenants where id = p_tenant_id and status = 'deleted' and deleted_at is not null) then
    raise exception 'tenant % is not deleted: its logs go only with a purge of the deleted tenant', p_tenant_id using errcode = '55000';
  end if;
  delete from rbac_audit_log where tenant_id = p_tenant_id;
  delete from audit_log where tenant_id = p_tenant_id;
  delete from audit_chain_heads where tenant_id = p_tenant_id;
  delete from audit_chain_witnesses where tenant_id = p_tenant_id;
end
$$;
