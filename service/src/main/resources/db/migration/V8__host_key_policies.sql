-- Host key policies: the tenant admin's explicit permission for 'off', and jump hosts (ProxyJump) per host.
alter table tenant add column allow_host_key_policy_off boolean not null default false;

-- Comma-separated inventory host names of the same tenant, first hop first.
alter table host add column proxy_jump text;
