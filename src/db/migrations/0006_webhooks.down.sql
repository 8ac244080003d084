drop table if exists webhook_deliveries;
drop table if exists webhook_endpoints;
