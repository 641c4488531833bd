-- security_stamp: random, replaced whenever the account changes (role, disabled or enabled, password reset). A
-- console session carries the stamp it signed in with and ends at its next request once they differ, so that a
-- session does not come back when the account returns to a former state (disable then enable, demote then promote).
ALTER TABLE operators ADD COLUMN security_stamp TEXT NOT NULL DEFAULT '';
UPDATE operators SET security_stamp = lower(hex(randomblob(16)));
