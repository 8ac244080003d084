-- Control plane: a user's default tenant (login without naming one), tenant configuration with
-- encrypted values, per-tenant data keys, and member invitations.

-- Set when a user gains a first membership; lets login pick a tenant without a query across
-- tenants (tenant_users is keyed by tenant first, as every tenant table).
alter table users add column default_tenant_id uuid references tenants (id) on delete set null;

create table tenant_configurations (
  tenant_id        uuid not null references tenants (id),
  key              text not null check (key ~ '^[a-z0-9][a-z0-9_.-]{0,127}$'),
  value            jsonb,
  encrypted_value  text,
  is_encrypted     boolean not null default false,
  key_version      integer,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  primary key (tenant_id, key),
  constraint tenant_configurations_value_shape check (
    (is_encrypted and encrypted_value is not null and value is null and key_version is not null)
    or (not is_encrypted and encrypted_value is null and value is not null))
);

-- Each tenant's data key, AES-256-GCM-wrapped by MASTER_KEY; versions allow master-key rotation.
create table tenant_data_keys (
  tenant_id    uuid not null references tenants (id),
  version      integer not null,
  wrapped_key  text not null,
  created_at   timestamptz not null default now(),
  primary key (tenant_id, version)
);

create table invitations (
  tenant_id    uuid not null references tenants (id),
  id           uuid not null default gen_random_uuid(),
  user_id      uuid not null,
  token_hash   text not null,
  expires_at   timestamptz not null,
  accepted_at  timestamptz,
  created_at   timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint invitations_tenant_id_token_hash_key unique (tenant_id, token_hash),
  constraint invitations_membership_fkey foreign key (tenant_id, user_id) references tenant_users (tenant_id, user_id) on delete cascade
);

select tenantry_isolate_tenant_table('tenant_configurations');
select tenantry_isolate_tenant_table('tenant_data_keys');
select tenantry_isolate_tenant_table('invitations');

grant select, insert, update, delete on tenant_configurations, tenant_data_keys, invitations to {{app_role}};
-- Purging a deleted tenant removes its row once every tenant table is empty of it.
grant delete on tenants to {{app_role}};
revoke truncate on tenant_configurations, tenant_data_keys, invitations from {{app_role}};
