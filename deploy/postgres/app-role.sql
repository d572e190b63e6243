-- The restricted role dispatch runs as (README "Database roles"). Run as the owner of dispatch's schema (the role
-- Flyway migrates as), in dispatch's database, e.g.:
--   psql -v app_password="$DISPATCH_APP_DB_PASSWORD" -U dispatch_owner -d dispatch -f deploy/postgres/app-role.sql
-- Creating the role needs CREATEROLE (or let your DBA do that part). Run it before the first start of a version with
-- migration V13 (V13 then makes the table grants itself), or after it, to make them. Idempotent.
\set ON_ERROR_STOP on
select format('create role dispatch_app login password %L', :'app_password')
where not exists (select 1 from pg_roles where rolname = 'dispatch_app') \gexec
-- Never a superuser, never able to create roles or databases; it must not be the owner or a member of it either.
alter role dispatch_app nosuperuser nocreatedb nocreaterole nobypassrls;
select format('grant connect on database %I to dispatch_app', current_database()) \gexec
grant usage on schema public to dispatch_app;
-- Tables and sequences the owner creates from now on (every later migration).
alter default privileges in schema public grant select, insert, update, delete on tables to dispatch_app;
alter default privileges in schema public grant usage, select on sequences to dispatch_app;
-- Tables that exist already: everything but the audit trail and Flyway's history.
do $$
begin
    execute 'grant select, insert, update, delete on all tables in schema public to dispatch_app';
    execute 'grant usage, select on all sequences in schema public to dispatch_app';
    if to_regclass('audit_event') is not null then
        -- read and append only: no UPDATE, DELETE, TRUNCATE, TRIGGER, REFERENCES
        execute 'revoke all on audit_event from dispatch_app';
        execute 'grant select, insert on audit_event to dispatch_app';
    end if;
    if to_regclass('audit_head') is not null then
        execute 'revoke all on audit_head from dispatch_app';
        execute 'grant select, insert, update on audit_head to dispatch_app';
    end if;
    if to_regclass('flyway_schema_history') is not null then
        execute 'revoke all on flyway_schema_history from dispatch_app';
    end if;
end
$$;
