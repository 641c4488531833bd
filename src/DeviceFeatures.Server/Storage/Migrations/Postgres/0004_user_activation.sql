-- The same as Sqlite/0004_user_activation.sql in PostgreSQL's own types.
-- Users activated by a partner (/v2/user activate): the profile the partner gave, one per user. A partner's
-- external_id names one user only: the unique key is what makes two concurrent activations of one external_id
-- create one user.
CREATE TABLE user_profiles (
    userid                integer PRIMARY KEY REFERENCES users(userid),
    client_id             text NOT NULL REFERENCES partners(client_id),
    external_id           text NOT NULL,
    email                 text NOT NULL,
    shortname             text NOT NULL,
    firstname             text NOT NULL,
    lastname              text NOT NULL,
    birthdate             bigint NOT NULL,
    gender                integer NOT NULL,
    preflang              text NOT NULL,
    timezone              text NOT NULL,
    mailingpref           boolean NOT NULL,
    unit_pref             text NOT NULL,
    measures              text NOT NULL,
    goals                 text NULL,
    phonenumber           text NULL,
    recovery_code_hash  text NULL,
    activated_at          bigint NOT NULL,
    updated_at            bigint NOT NULL
);
CREATE UNIQUE INDEX user_profiles_external_id ON user_profiles(client_id, external_id);
CREATE INDEX user_profiles_email ON user_profiles(client_id, email);

-- OAuth 2 authorization codes given by activate, kept as SHA-256 hashes only. used_at set once: the conditional
-- update that sets it is what makes a code single-use.
CREATE TABLE oauth_codes (
    code_sha256   bytea PRIMARY KEY,
    client_id     text NOT NULL,
    userid        integer NOT NULL REFERENCES users(userid),
    redirect_uri  text NULL,
    expires_at    bigint NOT NULL,
    used_at       bigint NULL
);
CREATE INDEX oauth_codes_user ON oauth_codes(userid);

-- Access and refresh tokens, as SHA-256 hashes only. A refresh token is deleted when it is used (rotation).
CREATE TABLE oauth_tokens (
    token_sha256  bytea PRIMARY KEY,
    kind          text NOT NULL,
    client_id     text NOT NULL,
    userid        integer NOT NULL REFERENCES users(userid),
    created_at    bigint NOT NULL,
    expires_at    bigint NOT NULL
);
CREATE INDEX oauth_tokens_user ON oauth_tokens(userid);
