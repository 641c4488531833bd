-- The same as Sqlite/0010_operators.sql in PostgreSQL's own types.
CREATE TABLE operators (
    name             text PRIMARY KEY,
    role             text NOT NULL,
    password_hash    text NOT NULL,
    failed_attempts  integer NOT NULL DEFAULT 0,
    locked_until     bigint NULL,
    created_at       bigint NOT NULL,
    updated_at       bigint NOT NULL,
    disabled_at      bigint NULL
);
