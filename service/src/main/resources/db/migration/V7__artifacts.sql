-- Artifacts: content-addressed files per tenant, for large copies/updates and for files fetched from hosts.
-- The content is stored in 256 KiB chunk rows, written (and read) one short statement at a time, so neither an upload
-- nor an SFTP transfer ever holds a transaction or a whole file in memory. Chunks are staged under a fresh id before
-- the SHA-256 is known; the artifact row then names them (or, when the tenant already has that content, they are
-- dropped again).
create table artifact (
    id         uuid primary key,
    tenant_id  text not null references tenant (id),
    sha256     text not null check (sha256 ~ '^[0-9a-f]{64}$'),
    size       bigint not null check (size >= 0),
    created_by text not null,
    created_at timestamptz not null default now(),
    constraint artifact_sha256_unique unique (tenant_id, sha256)
);

create table artifact_chunk (
    artifact_id uuid not null,
    seq         integer not null check (seq >= 0),
    data        bytea not null,
    created_at  timestamptz not null default now(),
    primary key (artifact_id, seq)
);

-- fetch: the SHA-256 of the fetched file, stored as an artifact of the run's tenant.
alter table host_run
    add column artifact_sha256 text;
