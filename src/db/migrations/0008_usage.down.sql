drop table if exists scheduled_jobs;
drop table if exists usage_daily;
