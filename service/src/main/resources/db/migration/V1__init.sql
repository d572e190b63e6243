-- dispatch schema v1: tenants, inventory, jobs, host runs, stored output, audit trail.

create table tenant (
    id              text primary key,
    host_key_policy text not null default 'strict' check (host_key_policy in ('strict', 'accept-new', 'off')),
    created_at      timestamptz not null default now()
);

-- Private key material is stored AES-256-GCM encrypted (nonce || ciphertext || tag), never in clear.
create table credential (
    id                   uuid primary key,
    tenant_id            text not null references tenant (id),
    name                 text not null,
    key_type             text not null,
    fingerprint          text not null,
    encrypted_key        bytea not null,
    encrypted_passphrase bytea,
    created_at           timestamptz not null default now(),
    updated_at           timestamptz not null default now(),
    constraint credential_name_unique unique (tenant_id, name)
);

create table host (
    id              uuid primary key,
    tenant_id       text not null references tenant (id),
    name            text not null,
    address         text not null,
    port            integer not null default 22 check (port between 1 and 65535),
    username        text not null,
    credential_name text,
    labels          jsonb not null default '{}',
    groups          jsonb not null default '[]',
    host_key_policy text check (host_key_policy in ('strict', 'accept-new', 'off')),
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now(),
    constraint host_name_unique unique (tenant_id, name)
);

-- Keys belong to the inventory host name, whatever address it has.
create table known_host_key (
    id          uuid primary key,
    tenant_id   text not null references tenant (id),
    host_name   text not null,
    marker      text check (marker in ('revoked', 'cert-authority')),
    key_type    text not null,
    public_key  text not null,
    fingerprint text not null,
    created_at  timestamptz not null default now(),
    created_by  text not null,
    constraint known_host_key_unique unique (tenant_id, host_name, public_key)
);

create table job (
    id              uuid primary key,
    tenant_id       text not null references tenant (id),
    kind            text not null,
    state           text not null check (state in ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED')),
    request         jsonb not null,
    submitted_by    text not null,
    source          text not null,
    idempotency_key text,
    parallelism     integer not null check (parallelism >= 1),
    host_count      integer not null,
    created_at      timestamptz not null default now(),
    started_at      timestamptz,
    finished_at     timestamptz,
    version         bigint not null default 0,
    constraint job_idempotency_key_unique unique (tenant_id, idempotency_key)
);
create index job_tenant_created on job (tenant_id, created_at desc);
create index job_active on job (created_at) where state in ('QUEUED', 'RUNNING');

create table host_run (
    id           uuid primary key,
    job_id       uuid not null references job (id),
    tenant_id    text not null,
    host_name    text not null,
    ordinal      integer not null,
    state        text not null check (state in ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'UNREACHABLE',
                                                'AUTH_FAILED', 'HOST_KEY_REJECTED', 'CANCELLED', 'SKIPPED', 'LOST')),
    attempt      integer not null default 0,
    address      text,
    port         integer,
    username     text,
    exit_code    integer,
    exit_signal  text,
    error        text,
    claimed_by   text,
    heartbeat_at timestamptz,
    started_at   timestamptz,
    finished_at  timestamptz,
    stdout_bytes bigint not null default 0,
    stderr_bytes bigint not null default 0,
    stdout_chunks integer not null default 0,
    stderr_chunks integer not null default 0,
    changed      boolean,
    version      bigint not null default 0,
    constraint host_run_job_host_unique unique (job_id, host_name)
);
create index host_run_queued on host_run (job_id, ordinal) where state = 'QUEUED';
create index host_run_running on host_run (job_id) where state = 'RUNNING';
create index host_run_lease on host_run (heartbeat_at) where state = 'RUNNING';

-- Head and tail of each stream, capped; total_bytes counts everything the host printed.
create table run_output (
    run_id      uuid not null references host_run (id),
    stream      text not null check (stream in ('stdout', 'stderr')),
    data        bytea not null,
    total_bytes bigint not null,
    truncated   boolean not null,
    primary key (run_id, stream)
);

create table audit_event (
    id        bigserial primary key,
    tenant_id text not null,
    at        timestamptz not null default now(),
    actor     text not null,
    action    text not null,
    target    text,
    outcome   text not null,
    source    text,
    details   jsonb
);
create index audit_event_tenant_at on audit_event (tenant_id, at desc);

create function audit_event_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'audit_event is append-only';
end;
$$;
create trigger audit_event_no_update_or_delete
    before update or delete on audit_event
    for each row execute function audit_event_append_only();
