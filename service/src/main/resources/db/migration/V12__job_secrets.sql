-- A job request's secrets (stdin `input`, `env` values, inline `file.content`) leave the `request` jsonb: they are
-- sealed with the credentials' key (AES-256-GCM, bound to tenant and job) in `secrets`; their sizes and SHA-256,
-- which the API shows in their place, are kept in `secret_digests`. Both are null for a job without secrets.
alter table job add column secrets bytea;
alter table job add column secret_digests jsonb;

-- Jobs accepted before this version still hold their secrets in `request`. The service seals them at startup
-- (intake/JobSecretsMigration, which needs the key and so cannot run here) and reads them from `request` until then.
-- This index finds those rows without a scan; it empties as they are sealed and new jobs never enter it.
create index job_clear_secrets on job (id)
    where secrets is null and (request ? 'input' or request ? 'env' or (request -> 'file') ? 'content');
