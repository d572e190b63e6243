-- Wakes idle workers in every process as soon as runs are queued (LISTEN dispatch_runs_queued, RunsQueuedListener)
-- instead of at their next poll. One notification per inserting statement, delivered at commit; PostgreSQL folds
-- identical notifications of one transaction into one. Polling (dispatch.worker.poll-interval) stays the fallback.
create function dispatch_runs_queued() returns trigger language plpgsql as $$
begin
    perform pg_notify('dispatch_runs_queued', '');
    return null;
end
$$;

create trigger host_run_queued after insert on host_run for each statement execute function dispatch_runs_queued();
