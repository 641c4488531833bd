-- The same as Sqlite/0003_device_inventory.sql in PostgreSQL's own types.
CREATE TABLE device_inventory (
    mac_address  text PRIMARY KEY,
    model        integer NOT NULL,
    market       text NOT NULL,
    firmware     text NULL,
    client_id    text NULL REFERENCES partners(client_id),
    created_at   bigint NOT NULL,
    updated_at   bigint NOT NULL
);
CREATE INDEX device_inventory_client ON device_inventory(client_id, mac_address);

INSERT INTO device_inventory (mac_address, model, market, firmware, client_id, created_at, updated_at)
SELECT d.mac_address, d.model, d.market, NULL, u.client_id, d.linked_at, d.linked_at
FROM devices d JOIN users u ON u.userid = d.userid;
