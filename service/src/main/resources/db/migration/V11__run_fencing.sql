-- A run declared LOST may still be executing under a worker that lost the database. Its retry waits until
-- not_before, by when that worker has fenced itself (stopped the remote command), so no two attempts overlap.
alter table host_run add column not_before timestamptz;
