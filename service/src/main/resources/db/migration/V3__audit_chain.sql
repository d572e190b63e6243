-- Tamper evidence: each audit row carries SHA-256(previous row's hash of the same tenant || this row's content).
alter table audit_event
    add column prev_hash bytea,
    add column hash      bytea;
create index audit_event_tenant_id on audit_event (tenant_id, id);
create index job_labels on job using gin ((request -> 'labels'));
