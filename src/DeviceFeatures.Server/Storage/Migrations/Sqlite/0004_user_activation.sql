-- Users activated by a partner (/v2/user activate): the profile the partner gave, one per user. A partner's
-- external_id names one user only: the unique key is what makes two concurrent activations of one external_id
-- create one user.
CREATE TABLE user_profiles (
    userid                INTEGER PRIMARY KEY REFERENCES users(userid),
    client_id             TEXT NOT NULL REFERENCES partners(client_id),
    external_id           TEXT NOT NULL,
    email                 TEXT NOT NULL,
    shortname             TEXT NOT NULL,
    firstname             TEXT NOT NULL,
    lastname              TEXT NOT NULL,
    birthdate             INTEGER NOT NULL,
    gender                INTEGER NOT NULL,
    preflang              TEXT NOT NULL,
    timezone              TEXT NOT NULL,
    mailingpref           INTEGER NOT NULL,
    unit_pref             TEXT NOT NULL,
    measures              TEXT NOT NULL,
    goals                 TEXT NULL,
    phonenumber           TEXT NULL,
    recovery_code_hash  TEXT NULL,
    activated_at          INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL
);
CREATE UNIQUE INDEX user_profiles_external_id ON user_profiles(client_id, external_id);
CREATE INDEX user_profiles_email ON user_profiles(client_id, email);

-- OAuth 2 authorization codes given by activate, kept as SHA-256 hashes only. used_at set once: the conditional
-- update that sets it is what makes a code single-use.
CREATE TABLE oauth_codes (
    code_sha256   BLOB PRIMARY KEY,
    client_id     TEXT NOT NULL,
    userid        INTEGER NOT NULL REFERENCES users(userid),
    redirect_uri  TEXT NULL,
    expires_at    INTEGER NOT NULL,
    used_at       INTEGER NULL
);
CREATE INDEX oauth_codes_user ON oauth_codes(userid);

-- Access and refresh tokens, as SHA-256 hashes only. A refresh token is deleted when it is used (rotation).
CREATE TABLE oauth_tokens (
    token_sha256  BLOB PRIMARY KEY,
    kind          TEXT NOT NULL,
    client_id     TEXT NOT NULL,
    userid        INTEGER NOT NULL REFERENCES users(userid),
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
);
CREATE INDEX oauth_tokens_user ON oauth_tokens(userid);
