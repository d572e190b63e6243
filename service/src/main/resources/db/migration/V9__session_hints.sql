-- Connection affinity: which worker holds a pooled SSH session to which host, refreshed every
-- dispatch.worker.session-hint-interval. The claim leaves a fresh job's runs to the worker that holds the host.
-- Advisory only: a stale or missing row costs an extra SSH handshake, never correctness.
create table ssh_session_hint (
    tenant_id text        not null,
    host_name text        not null,
    worker_id text        not null,
    seen_at   timestamptz not null default now(),
    primary key (tenant_id, host_name, worker_id)
);
create index ssh_session_hint_worker on ssh_session_hint (worker_id);
