-- A record the broker refuses for good (too large, invalid) is parked instead of being retried in front of the
-- rest: the drainer skips parked rows, an operator fixes the cause and replays with
-- `update outbox set parked_at = null, park_reason = null where id = ...`.
alter table outbox add column parked_at timestamptz;
alter table outbox add column park_reason text;

-- The drainer's scan (`where parked_at is null order by id`) and the parked-rows gauge each read only their part.
create index outbox_pending on outbox (id) where parked_at is null;
create index outbox_parked on outbox (id) where parked_at is not null;
