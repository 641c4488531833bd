-- The same as Sqlite/0007_sync_status.sql in PostgreSQL's own types.
ALTER TABLE device_reports ADD COLUMN active boolean NULL;
