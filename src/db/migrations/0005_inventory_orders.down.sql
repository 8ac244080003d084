drop table if exists domain_events;
drop table if exists forecasts;
drop table if exists order_lines;
drop table if exists orders;
drop table if exists inventory_adjustments;
