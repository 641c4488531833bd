-- The same as Sqlite/0012_operator_security_stamp.sql in PostgreSQL's own types.
ALTER TABLE operators ADD COLUMN security_stamp text NOT NULL DEFAULT '';
UPDATE operators SET security_stamp = replace(gen_random_uuid()::text, '-', '');
