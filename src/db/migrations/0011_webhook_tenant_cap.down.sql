-- Drops the capped claim of 0011; the three-argument claim of 0009 is still there.
drop function if exists tenantry_claim_webhook_deliveries(integer, integer, uuid, integer, uuid[], integer[]);
