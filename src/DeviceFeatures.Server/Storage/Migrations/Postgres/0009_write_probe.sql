-- The same as Sqlite/0009_write_probe.sql in PostgreSQL's own types.
CREATE TABLE write_probe (
    id         integer PRIMARY KEY,
    probed_at  bigint NOT NULL
);
