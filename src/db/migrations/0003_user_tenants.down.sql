drop function if exists tenantry_user_tenants(uuid);
