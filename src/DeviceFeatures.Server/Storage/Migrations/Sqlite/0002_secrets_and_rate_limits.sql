-- Secret rotation with an overlap window, per-partner quotas, and the shared request counts.
ALTER TABLE partners ADD COLUMN previous_secret TEXT NULL;
ALTER TABLE partners ADD COLUMN previous_secret_expires_at INTEGER NULL;
ALTER TABLE partners ADD COLUMN rate_limit_per_minute INTEGER NULL;

CREATE TABLE rate_windows (
    client_id     TEXT PRIMARY KEY,
    window_start  INTEGER NOT NULL,
    count         INTEGER NOT NULL
) WITHOUT ROWID;
