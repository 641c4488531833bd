-- The same as Sqlite/0011_grant_requests.sql in PostgreSQL's own types.
CREATE TABLE grant_requests (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id      text NOT NULL REFERENCES partners(client_id),
    feature_name   text NOT NULL,
    reason         text NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 500),
    requested_by   text NOT NULL,
    requested_at   bigint NOT NULL,
    expires_at     bigint NOT NULL,
    state          text NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'expired', 'withdrawn')),
    version        bigint NOT NULL DEFAULT 1,
    edited_at      bigint NULL,
    decided_by     text NULL,
    decided_at     bigint NULL,
    decision_note  text NULL CHECK (decision_note IS NULL OR char_length(decision_note) <= 500)
);
CREATE UNIQUE INDEX grant_requests_one_pending ON grant_requests(client_id, feature_name) WHERE state = 'pending';
CREATE INDEX grant_requests_state ON grant_requests(state, expires_at);
