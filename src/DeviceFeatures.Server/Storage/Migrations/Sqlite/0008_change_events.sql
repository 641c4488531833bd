-- Change events to partners (docs/protocol.md, "Change events"). The partner's callback URL: NULL, no events.
ALTER TABLE partners ADD COLUMN callback_url TEXT NULL;

-- The outbox: written in the transaction of the change, delivered after the commit by the dispatcher. event_id is
-- the idempotency key the partner receives. state: pending, delivered or parked (after the last attempt failed, or
-- when the callback URL was cleared). claimed_until: the lease of the instance delivering it now; SQLite has one
-- instance, PostgreSQL claims with FOR UPDATE SKIP LOCKED. last_error holds a status or an exception's kind, never a
-- URL's query or a secret. devices: feature.changed's JSON array of {mac_address, version}. seq: the order events were
-- written in, for listing (several can share a millisecond).
CREATE TABLE change_events (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id         TEXT NOT NULL UNIQUE,
    client_id        TEXT NOT NULL REFERENCES partners(client_id),
    type             TEXT NOT NULL,
    userid           INTEGER NULL,
    model            INTEGER NULL,
    feature_name     TEXT NULL,
    active           INTEGER NULL,
    mac_address      TEXT NULL,
    version          INTEGER NULL,
    reason           TEXT NULL,
    devices          TEXT NULL,
    created_at       INTEGER NOT NULL,
    state            TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    claimed_until    INTEGER NULL,
    last_error       TEXT NULL,
    delivered_at     INTEGER NULL
);
CREATE INDEX change_events_due ON change_events(state, next_attempt_at);
CREATE INDEX change_events_partner ON change_events(client_id, state, seq);

-- The reports devices owe: a user's choice that bumped a device's version records here that the device owes a report
-- of that feature at that version (a newer change replaces an older one); the first recorded report covering it emits
-- feature.applied or feature.failed and deletes the row.
CREATE TABLE owed_reports (
    mac_address   TEXT NOT NULL,
    feature_name  TEXT NOT NULL,
    version       INTEGER NOT NULL,
    client_id     TEXT NOT NULL,
    userid        INTEGER NOT NULL,
    model         INTEGER NOT NULL,
    active        INTEGER NOT NULL,
    PRIMARY KEY (mac_address, feature_name)
) WITHOUT ROWID;
