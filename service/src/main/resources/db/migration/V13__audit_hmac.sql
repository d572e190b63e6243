-- Audit trail that notices deletion, truncation and rewriting (README "Audit trail").
--
-- Rows now carry a per-tenant sequence number and an HMAC-SHA256 chain whose key lives outside the database
-- (dispatch.audit.hmac-key). chain_version 1 marks rows written before this migration (unkeyed SHA-256, checked as
-- before); every later row is version 2. audit_head holds each tenant's newest (seq, hash) so the service never
-- derives the head from the rows themselves, and how far signed checkpoints were published to Kafka.
alter table audit_event add column seq bigint;
alter table audit_event add column chain_version smallint not null default 1;

-- Backfilling the sequence of old rows is the one update this table ever gets, made by the owner.
alter table audit_event disable trigger audit_event_no_update_or_delete;
update audit_event e set seq = n.seq
from (select id, row_number() over (partition by tenant_id order by id) as seq from audit_event) n
where e.id = n.id;
alter table audit_event enable trigger audit_event_no_update_or_delete;

alter table audit_event alter column seq set not null;
alter table audit_event alter column chain_version drop default;
create unique index audit_event_tenant_seq on audit_event (tenant_id, seq);

create table audit_head (
    tenant_id        text primary key,
    seq              bigint not null,
    hash             bytea not null,
    checkpointed_seq bigint not null default 0,
    updated_at       timestamptz not null default now()
);
insert into audit_head (tenant_id, seq, hash)
select distinct on (tenant_id) tenant_id, seq, hash from audit_event order by tenant_id, seq desc;
create index audit_head_pending on audit_head (tenant_id) where seq > checkpointed_seq;

-- The row trigger never fires for TRUNCATE; a statement-level one does.
create trigger audit_event_no_truncate
    before truncate on audit_event
    for each statement execute function audit_event_append_only();

-- The service's role (placeholder app_role, quarkus.flyway.placeholders.app_role, default dispatch_app) gets only
-- what it needs: reading and appending audit rows, never UPDATE, DELETE, TRUNCATE or TRIGGER on them, and it does not
-- own the table, so it cannot disable the triggers either. Tables and sequences that later migrations create (as this
-- owner) are granted to it by default privileges. A database without that role keeps working as before, unprotected;
-- deploy/postgres/app-role.sql creates the role and repeats these grants.
do $grants$
declare
    app text := '${app_role}';
begin
    if app = '' or not exists (select 1 from pg_roles where rolname = app) then
        raise notice 'role "%" does not exist: no grants made; the service must then connect as the owner, which'
            ' can delete and truncate audit rows (see deploy/postgres/app-role.sql)', app;
        return;
    end if;
    if pg_has_role(app, current_user, 'MEMBER') then
        raise exception 'role "%" is a member of the schema owner "%": it could disable the audit triggers', app,
            current_user;
    end if;
    execute format('grant usage on schema %I to %I', current_schema(), app);
    execute format('grant select, insert, update, delete on all tables in schema %I to %I', current_schema(), app);
    execute format('grant usage, select on all sequences in schema %I to %I', current_schema(), app);
    execute format('revoke all on audit_event from %I', app);
    execute format('grant select, insert on audit_event to %I', app);
    execute format('revoke all on audit_head from %I', app);
    execute format('grant select, insert, update on audit_head to %I', app);
    if to_regclass('flyway_schema_history') is not null then
        execute format('revoke all on flyway_schema_history from %I', app);
    end if;
    execute format('alter default privileges in schema %I grant select, insert, update, delete on tables to %I',
        current_schema(), app);
    execute format('alter default privileges in schema %I grant usage, select on sequences to %I',
        current_schema(), app);
end
$grants$;
