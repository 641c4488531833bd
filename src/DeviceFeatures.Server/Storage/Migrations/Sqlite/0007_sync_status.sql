-- Sync status (docs/device-api.md, "Sync status"). The state the device said it runs the feature in: sent with the
-- report, or (omitted for the device's current version) the value that version configured; NULL when unknown. With it
-- a report for an older version still proves the device runs a value that later changes left as it was.
ALTER TABLE device_reports ADD COLUMN active INTEGER NULL;
