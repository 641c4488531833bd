-- Times are Unix milliseconds (UTC) so that both providers store them the same way.
CREATE TABLE server_keys (
    name          TEXT PRIMARY KEY,
    key_material  BLOB NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE settings (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

CREATE TABLE partners (
    client_id      TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    client_secret  TEXT NOT NULL,
    suspended      INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);

CREATE TABLE users (
    userid      INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id   TEXT NOT NULL REFERENCES partners(client_id),
    created_at  INTEGER NOT NULL
);
CREATE INDEX users_client ON users(client_id);

CREATE TABLE devices (
    mac_address  TEXT PRIMARY KEY,
    userid       INTEGER NOT NULL REFERENCES users(userid),
    model        INTEGER NOT NULL,
    market       TEXT NOT NULL,
    linked_at    INTEGER NOT NULL
);
CREATE INDEX devices_user ON devices(userid);

-- One recorded choice per user, model and feature; absent means "catalog default".
CREATE TABLE choices (
    userid        INTEGER NOT NULL REFERENCES users(userid),
    model         INTEGER NOT NULL,
    feature_name  TEXT NOT NULL,
    active        INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (userid, model, feature_name)
) WITHOUT ROWID;

CREATE TABLE entitlements (
    client_id     TEXT NOT NULL REFERENCES partners(client_id),
    feature_name  TEXT NOT NULL,
    granted_at    INTEGER NOT NULL,
    PRIMARY KEY (client_id, feature_name)
) WITHOUT ROWID;

-- The primary key is what makes a nonce single-use: a second insert of the same nonce changes no row.
CREATE TABLE used_nonces (
    nonce       BLOB PRIMARY KEY,
    client_id   TEXT NOT NULL,
    expires_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX used_nonces_expiry ON used_nonces(expires_at);

CREATE TABLE audit_events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    occurred_at   INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    actor         TEXT NOT NULL,
    client_id     TEXT NULL,
    userid        INTEGER NULL,
    model         INTEGER NULL,
    feature_name  TEXT NULL,
    old_value     INTEGER NULL,
    new_value     INTEGER NULL,
    request_id    TEXT NULL,
    detail        TEXT NULL
);
CREATE INDEX audit_client ON audit_events(client_id, id);
CREATE INDEX audit_user ON audit_events(userid, id);
CREATE INDEX audit_time ON audit_events(occurred_at);
