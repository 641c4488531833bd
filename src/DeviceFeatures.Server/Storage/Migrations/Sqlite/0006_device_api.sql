-- The device-facing API (docs/device-api.md). Each inventory device's own secret, encrypted like the partners'
-- (AES-256-GCM, the MAC address as associated data); NULL until it is issued by an import or an operator's rotation.
ALTER TABLE device_inventory ADD COLUMN credential TEXT NULL;

-- What the device should run and what it said it runs. version grows by one in the transaction of every change that
-- may change the device's effective configuration; no row: version 0, nothing changed since the device was known.
-- reported_version, reported_at: the newest report; last_seen_at: the last authenticated request.
CREATE TABLE device_sync (
    mac_address       TEXT PRIMARY KEY,
    version           INTEGER NOT NULL,
    changed_at        INTEGER NOT NULL,
    reported_version  INTEGER NULL,
    reported_at       INTEGER NULL,
    last_seen_at      INTEGER NULL
) WITHOUT ROWID;

-- The latest report per device and feature: applied or not, with the device's reason, for the version it applied.
CREATE TABLE device_reports (
    mac_address   TEXT NOT NULL,
    feature_name  TEXT NOT NULL,
    version       INTEGER NOT NULL,
    applied       INTEGER NOT NULL,
    reason        TEXT NULL,
    reported_at   INTEGER NOT NULL,
    PRIMARY KEY (mac_address, feature_name)
) WITHOUT ROWID;
