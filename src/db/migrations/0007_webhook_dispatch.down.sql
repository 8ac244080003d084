-- Drops what 0007 created. The claimer role stays: roles are cluster-wide.
drop function if exists tenantry_webhook_queue_stats();
drop function if exists tenantry_claim_webhook_deliveries(integer, integer, uuid);
drop policy if exists webhook_claim on webhook_deliveries;
revoke all on webhook_deliveries from tenantry_webhook_claimer;
revoke usage on schema public from tenantry_webhook_claimer;
drop table if exists webhook_delivery_attempts;
drop index if exists webhook_deliveries_due_idx;
alter table webhook_deliveries drop column if exists lease_token, drop column if exists replayed_at_attempt;
