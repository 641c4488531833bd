-- A device's state in its partner's programme (its cellular plan), as the partner set it with /v2/device
-- endpartnerprogram. No row: READY while the device is only in the inventory, ACTIVE once it is linked to a user.
-- A PENDING_TERMINATION row whose terminates_at has passed is TERMINATED: the clock decides, no job rewrites it.
-- Only devices of device_inventory get a row; no foreign key, so that the inventory's own migration stays replayable.
CREATE TABLE device_programme (
    mac_address    TEXT PRIMARY KEY,
    state          TEXT NOT NULL,
    terminates_at  INTEGER NULL,
    updated_at     INTEGER NOT NULL
);

-- A partner's choice for every device of a model, recorded by an operator; a user's own choice (choices) wins.
CREATE TABLE programme_choices (
    client_id     TEXT NOT NULL REFERENCES partners(client_id),
    model         INTEGER NOT NULL,
    feature_name  TEXT NOT NULL,
    active        INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (client_id, model, feature_name)
) WITHOUT ROWID;
