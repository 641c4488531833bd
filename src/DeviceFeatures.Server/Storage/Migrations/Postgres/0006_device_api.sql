-- The same as Sqlite/0006_device_api.sql in PostgreSQL's own types.
ALTER TABLE device_inventory ADD COLUMN credential text NULL;

CREATE TABLE device_sync (
    mac_address       text PRIMARY KEY,
    version           bigint NOT NULL,
    changed_at        bigint NOT NULL,
    reported_version  bigint NULL,
    reported_at       bigint NULL,
    last_seen_at      bigint NULL
);

CREATE TABLE device_reports (
    mac_address   text NOT NULL,
    feature_name  text NOT NULL,
    version       bigint NOT NULL,
    applied       boolean NOT NULL,
    reason        text NULL,
    reported_at   bigint NOT NULL,
    PRIMARY KEY (mac_address, feature_name)
);
