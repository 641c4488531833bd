-- Readiness writes here (Storage/WriteReadiness.cs): one row, upserted at most once a second, so that /health/ready
-- reports whether a change can be committed (a full disk, a deleted database file), not only whether reads work.
CREATE TABLE write_probe (
    id         INTEGER PRIMARY KEY,
    probed_at  INTEGER NOT NULL
);
