-- The same as Sqlite/0005_programme.sql in PostgreSQL's own types.
CREATE TABLE device_programme (
    mac_address    text PRIMARY KEY,
    state          text NOT NULL,
    terminates_at  bigint NULL,
    updated_at     bigint NOT NULL
);

CREATE TABLE programme_choices (
    client_id     text NOT NULL REFERENCES partners(client_id),
    model         integer NOT NULL,
    feature_name  text NOT NULL,
    active        boolean NOT NULL,
    updated_at    bigint NOT NULL,
    PRIMARY KEY (client_id, model, feature_name)
);
