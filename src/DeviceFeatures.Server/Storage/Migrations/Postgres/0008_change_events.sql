-- The same as Sqlite/0008_change_events.sql in PostgreSQL's own types.
ALTER TABLE partners ADD COLUMN callback_url text NULL;

CREATE TABLE change_events (
    seq              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id         text NOT NULL UNIQUE,
    client_id        text NOT NULL REFERENCES partners(client_id),
    type             text NOT NULL,
    userid           integer NULL,
    model            integer NULL,
    feature_name     text NULL,
    active           boolean NULL,
    mac_address      text NULL,
    version          bigint NULL,
    reason           text NULL,
    devices          text NULL,
    created_at       bigint NOT NULL,
    state            text NOT NULL,
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  bigint NOT NULL,
    claimed_until    bigint NULL,
    last_error       text NULL,
    delivered_at     bigint NULL
);
CREATE INDEX change_events_due ON change_events(state, next_attempt_at);
CREATE INDEX change_events_partner ON change_events(client_id, state, seq);

CREATE TABLE owed_reports (
    mac_address   text NOT NULL,
    feature_name  text NOT NULL,
    version       bigint NOT NULL,
    client_id     text NOT NULL,
    userid        integer NOT NULL,
    model         integer NOT NULL,
    active        boolean NOT NULL,
    PRIMARY KEY (mac_address, feature_name)
);
