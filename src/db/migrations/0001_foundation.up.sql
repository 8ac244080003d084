-- Foundation schema: global tables, the first tenant-scoped tables, the request-traffic role.
-- {{app_role}} is replaced by DATABASE_APP_ROLE (a validated identifier, quoted) before running.

-- The request-traffic role: may log in (so a pool can connect as it), is no superuser, cannot
-- bypass RLS and owns nothing. Roles are cluster-wide, so another database may have made it.
do $$
begin
  if not exists (select 1 from pg_roles where rolname = '{{app_role_name}}') then
    begin
      create role {{app_role}} login nosuperuser nobypassrls nocreatedb nocreaterole;
    exception when duplicate_object or unique_violation then
      null; -- created concurrently by a migration of another database
    end;
  end if;
  -- A non-superuser owner needs membership to SET ROLE to it.
  if not (select rolsuper from pg_roles where rolname = current_user) then
    execute format('grant %I to %I', '{{app_role_name}}', current_user);
  end if;
end
$$;

grant usage on schema public to {{app_role}};

-- ───────────────────────── global tables ─────────────────────────

create table tenants (
  id          uuid primary key default gen_random_uuid(),
  slug        text not null,
  name        text not null check (char_length(name) between 1 and 200),
  status      text not null default 'provisioning'
              check (status in ('provisioning', 'active', 'suspended', 'deleted')),
  plan        text not null default 'basic' check (plan in ('basic', 'premium', 'enterprise', 'custom')),
  settings    jsonb not null default '{}'::jsonb check (jsonb_typeof(settings) = 'object'),
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now(),
  deleted_at  timestamptz,
  constraint tenants_slug_key unique (slug),
  constraint tenants_slug_format check (slug ~ '^[a-z0-9]([a-z0-9-]{1,61})[a-z0-9]$')
);

create table users (
  id                 uuid primary key default gen_random_uuid(),
  email              text not null check (email = lower(email) and char_length(email) between 3 and 254),
  name               text,
  password_hash      text,
  status             text not null default 'active' check (status in ('active', 'disabled')),
  is_platform_admin  boolean not null default false,
  created_at         timestamptz not null default now(),
  updated_at         timestamptz not null default now(),
  last_login_at      timestamptz,
  constraint users_email_key unique (email)
);

create table permissions (
  name         text primary key check (name ~ '^[a-z_]+:[a-z_]+$'),
  resource     text not null,
  action       text not null,
  description  text not null
);

-- The system roles (Admin, Manager, Analyst, Auditor): global and read-only for tenants.
create table roles (
  id           uuid primary key default gen_random_uuid(),
  name         text not null,
  description  text not null default '',
  created_at   timestamptz not null default now(),
  constraint roles_name_key unique (name)
);

create table role_permissions (
  role_id     uuid not null references roles (id) on delete cascade,
  permission  text not null references permissions (name) on delete cascade,
  primary key (role_id, permission)
);

create table platform_audit_log (
  id           uuid primary key default gen_random_uuid(),
  actor_type   text not null check (actor_type in ('platform', 'system', 'user')),
  actor_id     text,
  action       text not null,
  target_type  text,
  target_id    text,
  request_id   text,
  ip           text,
  metadata     jsonb not null default '{}'::jsonb,
  created_at   timestamptz not null default now()
);
create index platform_audit_log_created_at_idx on platform_audit_log (created_at);

-- ───────────────────────── tenant-scoped tables ─────────────────────────
-- Rules (DESIGN §4): tenant_id leads every key and index; foreign keys between tenant tables
-- include tenant_id; RLS enabled and FORCED with the one nullif policy; registered in
-- src/db/table-registry.ts.

create table tenant_users (
  tenant_id   uuid not null references tenants (id),
  user_id     uuid not null references users (id),
  role_id     uuid not null references roles (id),
  status      text not null default 'active' check (status in ('active', 'suspended', 'invited')),
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now(),
  primary key (tenant_id, user_id)
);
create index tenant_users_tenant_id_role_id_idx on tenant_users (tenant_id, role_id);

create table inventory_items (
  tenant_id      uuid not null references tenants (id),
  id             uuid not null default gen_random_uuid(),
  item_code      text not null check (char_length(item_code) between 1 and 64),
  name           text not null check (char_length(name) between 1 and 200),
  description    text not null default '',
  quantity       integer not null default 0 check (quantity >= 0),
  unit           text not null default 'each',
  location       text,
  reorder_point  integer not null default 0 check (reorder_point >= 0),
  unit_cost      numeric(14, 2) not null default 0 check (unit_cost >= 0),
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint inventory_items_tenant_id_item_code_key unique (tenant_id, item_code)
);
create index inventory_items_tenant_id_name_idx on inventory_items (tenant_id, name);

-- The one isolation policy (DESIGN §4), applied by every migration that adds a tenant table.
-- The sub-select is evaluated once per statement, not per row (4-5x on scans).
create function tenantry_isolate_tenant_table(target regclass) returns void language plpgsql as $fn$
begin
  execute format('alter table %s enable row level security', target);
  execute format('alter table %s force row level security', target);
  execute format($p$create policy tenant_isolation on %s
    using (tenant_id = (select nullif(current_setting('app.current_tenant_id', true), '')::uuid))
    with check (tenant_id = (select nullif(current_setting('app.current_tenant_id', true), '')::uuid))$p$, target);
end
$fn$;
revoke all on function tenantry_isolate_tenant_table(regclass) from public;

select tenantry_isolate_tenant_table('tenant_users');
select tenantry_isolate_tenant_table('inventory_items');

-- ───────────────────────── grants ─────────────────────────
-- The app role gets exactly what request traffic needs; TRUNCATE never (it ignores RLS).
revoke all on all tables in schema public from public;
grant select, insert, update on tenants, users to {{app_role}};
grant select on permissions, roles, role_permissions to {{app_role}};
grant select, insert on platform_audit_log to {{app_role}};
grant select, insert, update, delete on tenant_users, inventory_items to {{app_role}};
revoke truncate on all tables in schema public from {{app_role}};
