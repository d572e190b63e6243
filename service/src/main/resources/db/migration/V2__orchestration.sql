-- Orchestration: rolling batches, failure budget, automatic retries, cancel, retry-of lineage, fair claiming.
alter table job
    add column batch_size       integer check (batch_size >= 1),
    add column max_failures     integer check (max_failures >= 1),
    add column retries          integer not null default 0 check (retries >= 0),
    add column cancel_requested boolean not null default false,
    add column retry_of         uuid references job (id),
    add column last_claim_at    timestamptz,
    add column timeout_ms       bigint not null default 3600000;

alter table host_run
    add column batch integer not null default 0;

drop index host_run_queued;
create index host_run_queued on host_run (job_id, batch, ordinal) where state = 'QUEUED';
create index host_run_unfinished on host_run (job_id, batch) where state in ('QUEUED', 'RUNNING');
