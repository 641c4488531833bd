-- Secret rotation with an overlap window, per-partner quotas, and the request counts all instances share.
ALTER TABLE partners
    ADD COLUMN previous_secret text NULL,
    ADD COLUMN previous_secret_expires_at bigint NULL,
    ADD COLUMN rate_limit_per_minute integer NULL;

CREATE TABLE rate_windows (
    client_id     text PRIMARY KEY,
    window_start  bigint NOT NULL,
    count         integer NOT NULL
);
