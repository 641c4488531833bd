-- Requests for a grant of a gated feature, made and decided in the console by two different operators
-- (docs/console.md, "Gated grants with four eyes"). state: pending until approved, rejected, withdrawn (by its
-- requester) or expired (expires_at passed while pending; marked when the server next notices). version: 1 at the
-- request, incremented by each edit; an approval or a rejection names the version it saw. At most one pending request
-- per partner and feature (the partial unique index); decided requests stay as the history.
CREATE TABLE grant_requests (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id      TEXT NOT NULL REFERENCES partners(client_id),
    feature_name   TEXT NOT NULL,
    reason         TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    requested_by   TEXT NOT NULL,
    requested_at   INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'expired', 'withdrawn')),
    version        INTEGER NOT NULL DEFAULT 1,
    edited_at      INTEGER NULL,
    decided_by     TEXT NULL,
    decided_at     INTEGER NULL,
    decision_note  TEXT NULL CHECK (decision_note IS NULL OR length(decision_note) <= 500)
);
CREATE UNIQUE INDEX grant_requests_one_pending ON grant_requests(client_id, feature_name) WHERE state = 'pending';
CREATE INDEX grant_requests_state ON grant_requests(state, expires_at);
