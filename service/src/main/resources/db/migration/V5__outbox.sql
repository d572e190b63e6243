-- Transactional outbox: host results and job events are written with the state change that caused them and
-- published (in id order, by one drainer at a time) after commit; a crash between commit and publish loses nothing.
create table outbox (
    id         bigserial primary key,
    topic      text not null,
    record_key text,
    tenant_id  text,
    type       text not null,
    payload    jsonb not null,
    created_at timestamptz not null default now()
);
