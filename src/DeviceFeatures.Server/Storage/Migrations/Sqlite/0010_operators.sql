-- The console's operators (docs/console.md). name: lowercase, unique. role: administrator, customer_success or
-- support. password_hash: ASP.NET Core Identity's PasswordHasher format (PBKDF2, salted, versioned). failed_attempts
-- counts wrong passwords since the last success; locked_until (ms) refuses every sign-in until then. disabled_at:
-- the operator can no longer sign in, and a session already open ends at its next request.
CREATE TABLE operators (
    name             TEXT PRIMARY KEY,
    role             TEXT NOT NULL,
    password_hash    TEXT NOT NULL,
    failed_attempts  INTEGER NOT NULL DEFAULT 0,
    locked_until     INTEGER NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    disabled_at      INTEGER NULL
) WITHOUT ROWID;
