-- The device inventory: every device an operator knows of (model, market, firmware), assigned to a partner or
-- not yet. The link to a user stays in devices, which the wire reads; a device linked there is "linked" here.
CREATE TABLE device_inventory (
    mac_address  TEXT PRIMARY KEY,
    model        INTEGER NOT NULL,
    market       TEXT NOT NULL,
    firmware     TEXT NULL,
    client_id    TEXT NULL REFERENCES partners(client_id),
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX device_inventory_client ON device_inventory(client_id, mac_address);

-- Devices linked before the inventory existed belong to their user's partner.
INSERT INTO device_inventory (mac_address, model, market, firmware, client_id, created_at, updated_at)
SELECT d.mac_address, d.model, d.market, NULL, u.client_id, d.linked_at, d.linked_at
FROM devices d JOIN users u ON u.userid = d.userid;
