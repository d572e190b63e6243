-- Groups of hosts: explicit members and/or a label selector. A group's hosts are its members, the hosts whose labels
-- contain the whole selector, and the hosts whose own "groups" list names it (resolved at use, never stored).
create table host_group (
    id         uuid primary key,
    tenant_id  text not null references tenant (id),
    name       text not null,
    members    jsonb not null default '[]',
    selector   jsonb not null default '{}',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint host_group_name_unique unique (tenant_id, name)
);

-- DELETE /credentials/{name} looks up the hosts that still use a credential.
create index host_credential on host (tenant_id, credential_name) where credential_name is not null;
