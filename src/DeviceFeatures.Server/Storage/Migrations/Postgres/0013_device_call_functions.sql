-- PostgreSQL only: the device calls, and the shared quota's count, in one round trip each (see docs/architecture.md,
-- "One round trip per device call").
-- Each function is the whole database work of one signed call, run as one statement in its own transaction: the
-- nonce is spent first (its primary key makes it single-use), then the rules of Device/FeatureService.cs, in the
-- same order and with the same statements. SQLite runs those rules in the server, inside its group commit; the tests
-- of the device calls run on both providers, so that the two stay the same.

-- enablefeature / disablefeature. One row: the outcome (nonce_used, unknown_user, terminated, not_granted,
-- market_restricted, unchanged, changed), the words a refusal names (the terminated devices, the devices' markets),
-- the devices whose configuration version grew (MAC addresses separated by commas), and whether a change event was written.
CREATE FUNCTION devicefeatures_set_feature(
    p_nonce bytea, p_client_id text, p_nonce_expires_at bigint,
    p_userid integer, p_model integer, p_feature_name text, p_active boolean,
    p_gated boolean, p_markets text, p_default_on boolean,
    p_now bigint, p_request_id text, p_kind text, p_event_id text)
RETURNS TABLE (outcome text, detail text, changed_devices text, event_written boolean)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
    v_device record;
    v_devices integer := 0;
    v_terminated text[] := '{}';
    v_markets text[] := '{}';
    v_feature_markets text[] := string_to_array(nullif(p_markets, ''), ',');
    v_previous boolean;
    v_changed text[];
    v_versions bigint[];
    v_event boolean := false;
BEGIN
    INSERT INTO used_nonces (nonce, client_id, expires_at) VALUES (p_nonce, p_client_id, p_nonce_expires_at)
    ON CONFLICT (nonce) DO NOTHING;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'nonce_used'::text, NULL::text, NULL::text, false;
        RETURN;
    END IF;

    -- The partner's own user, locked until the commit: changes of one user follow each other.
    PERFORM 1 FROM users u WHERE u.userid = p_userid AND u.client_id = p_client_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'unknown_user'::text, NULL::text, NULL::text, false;
        RETURN;
    END IF;

    -- The user's devices of the model, in the order ListUserProgrammeAsync reads them.
    FOR v_device IN
        SELECT d.mac_address AS mac, d.market AS market,
               coalesce(p.state = 'TERMINATED' OR (p.state = 'PENDING_TERMINATION' AND p.terminates_at <= p_now), false) AS terminated
        FROM devices d
        JOIN users u ON u.userid = d.userid
        LEFT JOIN device_programme p ON p.mac_address = d.mac_address
        WHERE d.userid = p_userid AND d.model = p_model
        ORDER BY d.model, d.mac_address
    LOOP
        v_devices := v_devices + 1;
        IF v_device.terminated THEN
            v_terminated := v_terminated || v_device.mac;
        ELSIF NOT v_device.market = ANY (v_markets) THEN
            v_markets := v_markets || v_device.market;
        END IF;
    END LOOP;

    IF v_devices > 0 AND cardinality(v_terminated) = v_devices THEN
        RETURN QUERY SELECT 'terminated'::text, array_to_string(v_terminated, ', '), NULL::text, false;
        RETURN;
    END IF;

    IF p_active AND p_gated AND NOT EXISTS (
        SELECT 1 FROM entitlements e WHERE e.client_id = p_client_id AND e.feature_name = p_feature_name) THEN
        RETURN QUERY SELECT 'not_granted'::text, NULL::text, NULL::text, false;
        RETURN;
    END IF;

    -- A market-restricted feature needs one device still in the programme in one of its markets: compared without case
    -- in the C collation (ASCII letters only, whatever the database's locale), as the server's ordinal comparison does.
    -- Market codes have no comma (the server joins the feature's markets with commas).
    IF p_active AND cardinality(v_feature_markets) > 0 AND cardinality(v_markets) > 0 AND NOT EXISTS (
        SELECT 1 FROM unnest(v_markets) m, unnest(v_feature_markets) f WHERE lower(m COLLATE "C") = lower(f COLLATE "C")) THEN
        RETURN QUERY SELECT 'market_restricted'::text,
            (SELECT string_agg(m, '/' ORDER BY m COLLATE "C") FROM unnest(v_markets) m), NULL::text, false;
        RETURN;
    END IF;

    SELECT c.active INTO v_previous FROM choices c
    WHERE c.userid = p_userid AND c.model = p_model AND c.feature_name = p_feature_name;
    IF v_previous = p_active THEN
        RETURN QUERY SELECT 'unchanged'::text, NULL::text, NULL::text, false;
        RETURN;
    END IF;

    INSERT INTO choices (userid, model, feature_name, active, updated_at) VALUES (p_userid, p_model, p_feature_name, p_active, p_now)
    ON CONFLICT (userid, model, feature_name) DO UPDATE SET active = excluded.active, updated_at = excluded.updated_at;

    -- The same bump as DeviceSyncStatements' for a user and a model (the server tells the other instances after the commit).
    WITH bumped AS (
        INSERT INTO device_sync (mac_address, version, changed_at)
        SELECT DISTINCT s.mac_address, 1, p_now FROM (SELECT d.mac_address FROM devices d WHERE d.userid = p_userid AND d.model = p_model) s
        ON CONFLICT (mac_address) DO UPDATE SET version = device_sync.version + 1, changed_at = excluded.changed_at
        RETURNING device_sync.mac_address, device_sync.version)
    SELECT array_agg(b.mac_address ORDER BY b.mac_address COLLATE "C"), array_agg(b.version ORDER BY b.mac_address COLLATE "C")
    INTO v_changed, v_versions FROM bumped b;

    -- A partner with a callback gets feature.changed, and a report is owed for each device (ChangeEventWriter).
    IF EXISTS (SELECT 1 FROM partners pa WHERE pa.client_id = p_client_id AND pa.callback_url IS NOT NULL) THEN
        INSERT INTO change_events (event_id, client_id, type, userid, model, feature_name, active, mac_address, version, reason, devices,
            created_at, state, attempts, next_attempt_at, claimed_until, last_error, delivered_at)
        VALUES (p_event_id, p_client_id, 'feature.changed', p_userid, p_model, p_feature_name, p_active, NULL, NULL, NULL,
            '[' || coalesce((SELECT string_agg('{"mac_address":"' || c.mac || '","version":' || c.version || '}', ',' ORDER BY c.ord)
                             FROM unnest(v_changed, v_versions) WITH ORDINALITY AS c(mac, version, ord)), '') || ']',
            p_now, 'pending', 0, p_now, NULL, NULL, NULL);
        INSERT INTO owed_reports (mac_address, feature_name, version, client_id, userid, model, active)
        SELECT c.mac, p_feature_name, c.version, p_client_id, p_userid, p_model, p_active FROM unnest(v_changed, v_versions) AS c(mac, version)
        ON CONFLICT (mac_address, feature_name) DO UPDATE SET version = excluded.version, client_id = excluded.client_id,
            userid = excluded.userid, model = excluded.model, active = excluded.active;
        v_event := true;
    END IF;

    INSERT INTO audit_events (occurred_at, kind, actor, client_id, userid, model, feature_name, old_value, new_value, request_id, detail)
    VALUES (p_now, p_kind, p_client_id, p_client_id, p_userid, p_model, p_feature_name, v_previous, p_active, p_request_id,
        CASE WHEN v_previous IS NULL
             THEN 'first recorded choice; catalog default was ' || CASE WHEN p_default_on THEN 'on' ELSE 'off' END END);

    RETURN QUERY SELECT 'changed'::text, NULL::text, array_to_string(v_changed, ','), v_event;
END
$$;

-- getfeatures. Rows of (outcome, feature_name, active): one row nonce_used or unknown_user; otherwise ok, once per
-- recorded choice (the partner's programme choice for the model, overridden by the user's own), or once with no
-- feature when there is none or when every device of the model has left the programme.
CREATE FUNCTION devicefeatures_get_features(
    p_nonce bytea, p_client_id text, p_nonce_expires_at bigint, p_userid integer, p_model integer, p_now bigint)
RETURNS TABLE (outcome text, feature_name text, active boolean)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
    v_devices integer;
    v_terminated integer;
BEGIN
    INSERT INTO used_nonces (nonce, client_id, expires_at) VALUES (p_nonce, p_client_id, p_nonce_expires_at)
    ON CONFLICT (nonce) DO NOTHING;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'nonce_used'::text, NULL::text, NULL::boolean;
        RETURN;
    END IF;

    IF NOT EXISTS (SELECT 1 FROM users u WHERE u.userid = p_userid AND u.client_id = p_client_id) THEN
        RETURN QUERY SELECT 'unknown_user'::text, NULL::text, NULL::boolean;
        RETURN;
    END IF;

    SELECT count(*), count(*) FILTER (WHERE p.state = 'TERMINATED' OR (p.state = 'PENDING_TERMINATION' AND p.terminates_at <= p_now))
    INTO v_devices, v_terminated
    FROM devices d
    JOIN users u ON u.userid = d.userid
    LEFT JOIN device_programme p ON p.mac_address = d.mac_address
    WHERE d.userid = p_userid AND d.model = p_model;

    IF v_devices = 0 OR v_terminated < v_devices THEN
        RETURN QUERY
        SELECT DISTINCT ON (s.feature_name) 'ok'::text, s.feature_name, s.active
        FROM (SELECT c.feature_name, c.active, 0 AS rank FROM choices c WHERE c.userid = p_userid AND c.model = p_model
              UNION ALL
              SELECT pc.feature_name, pc.active, 1 AS rank FROM programme_choices pc WHERE pc.client_id = p_client_id AND pc.model = p_model) s
        ORDER BY s.feature_name, s.rank;
        IF FOUND THEN
            RETURN;
        END IF;
    END IF;

    RETURN QUERY SELECT 'ok'::text, NULL::text, NULL::boolean;
END
$$;

-- The shared quota's count (RateLimit:Store=database): adds the request to the partner's window and returns the count.
-- Only ever called as a statement of its own, whose commit it makes wait neither for the disk nor for a standby: every
-- signed request of a partner updates this one row, and a durable commit would hold the row's lock, and so every other
-- request of the partner, until the disk has synced. A crash can lose the last counts, letting the partner exceed its
-- quota by that much once; nothing a partner was told is lost.
CREATE FUNCTION devicefeatures_count_request(p_client_id text, p_window_start bigint)
RETURNS integer
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
    v_count integer;
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    INSERT INTO rate_windows (client_id, window_start, count) VALUES (p_client_id, p_window_start, 1)
    ON CONFLICT (client_id) DO UPDATE SET
        count = CASE WHEN excluded.window_start > rate_windows.window_start THEN 1 ELSE rate_windows.count + 1 END,
        window_start = CASE WHEN excluded.window_start > rate_windows.window_start THEN excluded.window_start ELSE rate_windows.window_start END
    RETURNING rate_windows.count INTO v_count;
    RETURN v_count;
END
$$;
