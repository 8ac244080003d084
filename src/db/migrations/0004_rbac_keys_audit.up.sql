-- Custom roles, API keys, the tenant audit log (append-only, hash-chained), the RBAC decision log.

-- Custom roles belong to one tenant and hold permissions from the same 24 (DESIGN §8).
create table tenant_roles (
  tenant_id    uuid not null references tenants (id),
  id           uuid not null default gen_random_uuid(),
  name         text not null check (char_length(name) between 1 and 100),
  description  text not null default '',
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now(),
  primary key (tenant_id, id)
);
create unique index tenant_roles_tenant_id_lower_name_key on tenant_roles (tenant_id, lower(name));

create table tenant_role_permissions (
  tenant_id   uuid not null references tenants (id),
  role_id     uuid not null,
  permission  text not null references permissions (name),
  primary key (tenant_id, role_id, permission),
  constraint tenant_role_permissions_role_fkey foreign key (tenant_id, role_id) references tenant_roles (tenant_id, id) on delete cascade
);

-- A membership holds a system role (role_id) or a custom role of its tenant (custom_role_id).
alter table tenant_users alter column role_id drop not null;
alter table tenant_users add column custom_role_id uuid;
alter table tenant_users add constraint tenant_users_custom_role_fkey foreign key (tenant_id, custom_role_id) references tenant_roles (tenant_id, id);
alter table tenant_users add constraint tenant_users_one_role check ((role_id is null) <> (custom_role_id is null));
create index tenant_users_tenant_id_custom_role_id_idx on tenant_users (tenant_id, custom_role_id);

-- API keys: tnt_<prefix>_<secret>; the prefix embeds the tenant, so a key resolves its own tenant
-- without a query across tenants. Only the SHA-256 of the whole key is stored.
create table api_keys (
  tenant_id       uuid not null references tenants (id),
  id              uuid not null default gen_random_uuid(),
  name            text not null check (char_length(name) between 1 and 100),
  prefix          text not null,
  key_hash        bytea not null check (octet_length(key_hash) = 32),
  role_id         uuid references roles (id),
  custom_role_id  uuid,
  permissions     text[],
  created_by      uuid references users (id),
  expires_at      timestamptz,
  last_used_at    timestamptz,
  revoked_at      timestamptz,
  created_at      timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint api_keys_tenant_id_prefix_key unique (tenant_id, prefix),
  constraint api_keys_custom_role_fkey foreign key (tenant_id, custom_role_id) references tenant_roles (tenant_id, id),
  -- Bound to a role or to an explicit permission subset, never to nothing.
  constraint api_keys_grant check ((role_id is not null)::int + (custom_role_id is not null)::int + (permissions is not null)::int = 1)
);

-- The tenant audit log: append-only for the app role (INSERT, SELECT), hash-chained per tenant.
create table audit_log (
  tenant_id      uuid not null references tenants (id),
  seq            bigint not null,
  id             uuid not null default gen_random_uuid(),
  actor_type     text not null check (actor_type in ('user', 'api_key', 'platform', 'system')),
  actor_id       text,
  action         text not null,
  resource_type  text not null,
  resource_id    text,
  request_id     text,
  ip             text,
  user_agent     text,
  changes        jsonb not null default '{}'::jsonb,
  created_at     timestamptz not null default now(),
  prev_hash      bytea not null,
  hash           bytea not null,
  primary key (tenant_id, seq),
  constraint audit_log_tenant_id_id_key unique (tenant_id, id)
);
create index audit_log_tenant_id_created_at_idx on audit_log (tenant_id, created_at);
create index audit_log_tenant_id_action_idx on audit_log (tenant_id, action);

-- The head of each tenant's chain; its row lock serialises appends. purged_* anchor the chain
-- after a retention purge removed its oldest entries.
create table audit_chain_heads (
  tenant_id           uuid not null references tenants (id),
  last_seq            bigint not null default 0,
  last_hash           bytea not null,
  purged_through_seq  bigint not null default 0,
  purged_through_hash bytea,
  primary key (tenant_id)
);

create table rbac_audit_log (
  tenant_id   uuid not null references tenants (id),
  id          uuid not null default gen_random_uuid(),
  user_id     uuid,
  api_key_id  uuid,
  permission  text not null,
  resource    text not null,
  action      text not null,
  result      text not null check (result in ('allowed', 'denied')),
  route       text not null,
  method      text not null,
  request_id  text,
  created_at  timestamptz not null default now(),
  primary key (tenant_id, id)
);
create index rbac_audit_log_tenant_id_created_at_idx on rbac_audit_log (tenant_id, created_at);

select tenantry_isolate_tenant_table('tenant_roles');
select tenantry_isolate_tenant_table('tenant_role_permissions');
select tenantry_isolate_tenant_table('api_keys');
select tenantry_isolate_tenant_table('audit_log');
select tenantry_isolate_tenant_table('audit_chain_heads');
select tenantry_isolate_tenant_table('rbac_audit_log');

grant select, insert, update, delete on tenant_roles, tenant_role_permissions, api_keys to {{app_role}};
grant select, insert on audit_log, rbac_audit_log to {{app_role}};
grant select, insert, update on audit_chain_heads to {{app_role}};

-- Retention: deleting old audit entries is not the app role's to do. This function removes the
-- current tenant's entries created before `before` (at least 90 days ago) and records the hash of
-- the last removed one, so the remaining chain still verifies from that anchor. It runs as the
-- migration role; the checks below are what keeps the log append-only for the app role.
create function tenantry_purge_audit_log(p_tenant_id uuid, p_before timestamptz) returns bigint
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
  -- Serialises purges (and appends) of this tenant: the anchor never moves backwards.
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
  return removed;
end
$$;
revoke all on function tenantry_purge_audit_log(uuid, timestamptz) from public;
grant execute on function tenantry_purge_audit_log(uuid, timestamptz) to {{app_role}};

-- Purging a deleted tenant removes its append-only logs too; only this function may.
create function tenantry_erase_tenant_logs(p_tenant_id uuid) returns void
language plpgsql security definer set search_path = public as $$
begin
  if exists (select 1 from tenants where id = p_tenant_id and status <> 'deleted') then
    raise exception 'tenant % is not deleted', p_tenant_id using errcode = '55000';
  end if;
  delete from rbac_audit_log where tenant_id = p_tenant_id;
  delete from audit_log where tenant_id = p_tenant_id;
  delete from audit_chain_heads where tenant_id = p_tenant_id;
end
$$;
revoke all on function tenantry_erase_tenant_logs(uuid) from public;
grant execute on function tenantry_erase_tenant_logs(uuid) to {{app_role}};
