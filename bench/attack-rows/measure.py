#!/usr/bin/env python3
"""Measures rows 1, 4 and 11 of the attack report against a running server (loopback only, bounded traffic).

usage: measure.py BASE_URL ADMIN_KEY row1
       measure.py BASE_URL ADMIN_KEY row4 ROUNDS            (start the server with rate limiting off)
       measure.py BASE_URL ADMIN_KEY row11-setup            (prints a partner for row11-probe)
       measure.py BASE_URL ADMIN_KEY row11-probe SECONDS PARTNER_JSON
See docs/reliability.md, section 9, for the figures; run.sh and row11.sh beside this file drive it.
"""
import hashlib, hmac, http.client, json, statistics, sys, threading, time, urllib.parse, uuid, random

BASE, KEY, WHAT = sys.argv[1], sys.argv[2], sys.argv[3]
HOST, PORT = urllib.parse.urlsplit(BASE).hostname, urllib.parse.urlsplit(BASE).port


def post(path, params=None, body=None, admin=False, conn=None):
    own = conn is None
    conn = conn or http.client.HTTPConnection(HOST, PORT, timeout=60)
    headers = {}
    if admin:
        headers["Authorization"] = "Bearer " + KEY
        headers["Content-Type"] = "application/json"
        data = json.dumps(body)
    else:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        data = urllib.parse.urlencode(params)
    conn.request("POST", path, body=data, headers=headers)
    answer = json.loads(conn.getresponse().read())
    if own:
        conn.close()
    return answer


def sign(secret, *values):
    return hmac.new(secret.encode(), ",".join(values).encode(), hashlib.sha256).hexdigest()


def partner():
    p = post("/admin/api/partners", body={"name": "measure"}, admin=True)
    mac = ":".join(f"{b:02x}" for b in uuid.uuid4().bytes[:6])
    u = post("/admin/api/users", body={"client_id": p["client_id"], "devices": [{"mac_address": mac, "model": 17, "market": "EU"}]}, admin=True)
    return p["client_id"], p["client_secret"], u["userid"]


def nonce_request(cid, secret, ts=None):
    ts = str(ts or int(time.time()))
    return {"action": "getnonce", "client_id": cid, "timestamp": ts, "signature": sign(secret, "getnonce", cid, ts)}


def nonce(cid, secret, conn=None):
    a = post("/v2/signature", nonce_request(cid, secret), conn=conn)
    assert a["status"] == 0, a
    return a["body"]["nonce"]


def call(cid, secret, action, business, n=None, conn=None):
    n = n or nonce(cid, secret, conn)
    params = {"action": action, "client_id": cid, "nonce": n, "signature": sign(secret, action, cid, n)}
    params.update(business)
    return post("/v2/device", params, conn=conn)


def feature(userid, name="feature_pwv"):
    return {"userid": str(userid), "model": "17", "feature_name": name}


if WHAT == "row1":
    cid, secret, userid = partner()
    captured = nonce_request(cid, secret)
    answers = [post("/v2/signature", captured)["status"] for _ in range(130)]
    print(f"replay of one captured getnonce x130: {answers.count(0)} answered 0, "
          f"{answers.count(601)} answered 601, other {len(answers) - answers.count(0) - answers.count(601)}")
    time.sleep(1.1)
    n = post("/v2/signature", nonce_request(cid, secret))
    e = call(cid, secret, "enablefeature", feature(userid)) if n["status"] == 0 else {"status": "-"}
    print(f"the partner's own next getnonce: {n['status']}; its enablefeature: {e['status']}")
    # Eight honest workers, one signed request each, all in the same second.
    time.sleep(1.1)
    same = nonce_request(cid, secret)
    got = [None] * 8
    def worker(i):
        got[i] = post("/v2/signature", same)
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    [t.start() for t in threads]; [t.join() for t in threads]
    nonces = [g["body"].get("nonce") for g in got if g["status"] == 0]
    features = ["feature_pwv", "feature_pacemaker", "feature_muscle_mass", "feature_eyes_closed_mode",
                "feature_fat_mass", "feature_bone_mass", "feature_water_percent", "feature_visceral_fat"]
    results = [None] * len(nonces)
    def use(i):
        results[i] = call(cid, secret, "enablefeature", feature(userid, features[i]), n=nonces[i])["status"]
    threads = [threading.Thread(target=use, args=(i,)) for i in range(len(nonces))]
    [t.start() for t in threads]; [t.join() for t in threads]
    print(f"eight workers, same signed getnonce in one second: {len(nonces)} answered 0, "
          f"{len(set(nonces))} distinct nonces; their enablefeature calls: {results}")

elif WHAT == "row4":
    rounds, burst = int(sys.argv[4]), 20
    a_cid, a_secret, a_user = partner()
    b_cid, b_secret, _ = partner()
    stop = threading.Event()
    def owner():
        conn = http.client.HTTPConnection(HOST, PORT, timeout=60)
        on = True
        while not stop.is_set():
            call(a_cid, a_secret, "enablefeature" if on else "disablefeature", feature(a_user), conn=conn)
            on = not on
    owners = [threading.Thread(target=owner) for _ in range(4)]
    [t.start() for t in owners]
    slower, lines = 0, []
    conn = http.client.HTTPConnection(HOST, PORT, timeout=60)
    for r in range(rounds):
        times = {"foreign": [], "missing": []}
        kinds = ["foreign", "missing"] * burst
        random.shuffle(kinds)
        for kind in kinds:
            n = nonce(b_cid, b_secret, conn)
            uid = a_user if kind == "foreign" else 2_000_000_000
            start = time.perf_counter()
            a = call(b_cid, b_secret, "enablefeature", feature(uid), n=n, conn=conn)
            times[kind].append((time.perf_counter() - start) * 1000)
            assert a["status"] == 247, a
        f, m = statistics.median(times["foreign"]), statistics.median(times["missing"])
        slower += f > m
        lines.append(f"{f:.2f}/{m:.2f}")
    stop.set(); [t.join() for t in owners]
    print(f"row 4: A's userid slower than a missing userid (median of {burst} each) in {slower} of {rounds} rounds")
    print("medians ms foreign/missing: " + " ".join(lines))

elif WHAT == "row11-setup":
    cid, secret, userid = partner()
    print(json.dumps({"cid": cid, "secret": secret, "userid": userid}))

elif WHAT == "row11-probe":
    seconds = float(sys.argv[4]); p = json.loads(sys.argv[5])
    conn = http.client.HTTPConnection(HOST, PORT, timeout=60)
    lat, statuses = [], {}
    end = time.time() + seconds
    while time.time() < end:
        start = time.perf_counter()
        a = call(p["cid"], p["secret"], "getfeatures", {"userid": str(p["userid"]), "model": "17"}, conn=conn)
        lat.append((time.perf_counter() - start) * 1000)
        statuses[a["status"]] = statuses.get(a["status"], 0) + 1
    lat.sort()
    print(f"legit getnonce+getfeatures: n={len(lat)} p50={lat[len(lat)//2]:.1f} ms p90={lat[int(len(lat)*0.9)]:.1f} ms "
          f"p99={lat[int(len(lat)*0.99)]:.1f} ms statuses={statuses}")
