#!/usr/bin/env python3
"""How long the server takes to answer each page, over the UN's fatalities dataset.

A release server on a fresh SQLite database holding the whole official history (every
incident of the UN's fatalities dataset, imported as the registry imports it), plus one case.
Each page is asked for `--runs` times in a row over loopback, signed in as the person who
uses it; the median and the 95th percentile are printed, next to two baselines measured in
the same run: `/healthz` (HTTP with no database and no template) and the raw query behind
the incident list, run straight on the database file. The goals: a median under 50 ms per
page, and a page with its stylesheet under 100 KB (the KB column). The ratios say what a page
costs over the raw database, which stays true on a machine busier or quieter than this one.

Usage: bench/pages.py [--runs N] [--dataset CSV]
"""

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import second_factor  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BINARY = os.path.join(ROOT, "target", "release", "peacekeeper-registry")
DATASET = os.path.join(ROOT, "tests", "data", "DPPADPOSS-FATALITIES.csv")
PASSWORD = "bench passphrase that nobody guesses"
# Accounts of these roles work on every mission only when made with --all-missions.
MISSION_ROLES = {"security_officer", "legal_officer", "leadership"}
GOAL_MS = 50.0


def run(args, env, stdin=None):
    return subprocess.run(
        [BINARY, *args], env=env, input=stdin, text=True, check=True, capture_output=True
    ).stdout


def request(base, path, token=None, body=None):
    # The pages read the session cookie, the API the bearer token.
    headers = {"Cookie": f"pkr_session={token}", "Authorization": f"Bearer {token}"} if token else {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(base + path, data=data, headers=headers)
    with urllib.request.urlopen(req) as answer:
        return answer.status, answer.read()


def timed(action, runs):
    for _ in range(3):
        action()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--dataset", default=DATASET)
    options = parser.parse_args()
    if not os.access(BINARY, os.X_OK):
        subprocess.run(["cargo", "build", "--release"], cwd=ROOT, check=True)

    work = tempfile.mkdtemp(prefix="pkr-bench-pages-")
    database = os.path.join(work, "bench.sqlite3")
    port = 18000 + os.getpid() % 1000
    env = dict(
        os.environ,
        PKR_DATABASE_URL=f"sqlite://{database}",
        PKR_LISTEN=f"127.0.0.1:{port}",
        PKR_DOCUMENT_FOLDER=os.path.join(work, "documents"),
        PKR_LOG_FILTER="warn",
    )
    run(["migrate"], env)
    run(["import", "un-fatalities", options.dataset], env)
    for username, role in [
        ("bench.officer", "security_officer"),
        ("bench.legal", "legal_officer"),
        ("bench.leader", "leadership"),
        ("bench.auditor", "auditor"),
        ("bench.admin", "admin"),
    ]:
        run(
            ["user", "create", "--username", username, "--role", role,
             "--clearance", "strictly_confidential", "--password-stdin"]
            + (["--all-missions"] if role in MISSION_ROLES else []),
            env,
            stdin=PASSWORD + "\n",
        )

    server = subprocess.Popen([BINARY, "serve"], env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                request(base, "/readyz")
                break
            except OSError:
                time.sleep(0.1)
        tokens = {}
        for who in ["officer", "legal", "leader", "auditor", "admin"]:
            _, body = request(base, "/api/v1/auth/login", body={
                "username": f"bench.{who}", "password": PASSWORD})
            tokens[who] = json.loads(body)["token"]
        # An administrator reaches nothing before confirming a second factor.
        second_factor.enrol(base, tokens["admin"], PASSWORD)
        _, body = request(base, "/api/v1/incidents?limit=1", token=tokens["legal"])
        incident = json.loads(body)["items"][0]["id"]
        _, body = request(base, "/api/v1/cases", token=tokens["legal"], body={
            "incident_ids": [incident], "jurisdiction": "ICC"})
        case = json.loads(body)["id"]

        with sqlite3.connect(database) as db:
            incidents = db.execute("SELECT count(*) FROM incidents").fetchone()[0]
            def raw_list():
                db.execute(
                    "SELECT * FROM incidents ORDER BY occurred_at DESC, id DESC LIMIT 51"
                ).fetchall()
            raw = timed(raw_list, options.runs)
        floor = timed(lambda: request(base, "/healthz"), options.runs)
        stylesheet = len(request(base, "/static/style.css")[1])

        pages = [
            ("incident list", "/incidents", "officer"),
            ("incident", f"/incidents/{incident}", "officer"),
            ("new incident form", "/incidents/new", "officer"),
            ("incident edit form", f"/incidents/{incident}/edit", "officer"),
            ("case list", "/cases", "legal"),
            ("case", f"/cases/{case}", "legal"),
            ("summary with charts", "/summary", "leader"),
            ("audit trail", "/audit", "auditor"),
            ("accounts", "/admin/users", "admin"),
        ]
        print(f"{incidents} incidents from the UN's fatalities dataset; {options.runs} runs each")
        print(f"{'page':24} {'median ms':>10} {'p95 ms':>8} {'x raw':>7} {'x healthz':>10} {'KB':>6}")
        print(f"{'raw list query':24} {raw[0]:10.2f} {raw[1]:8.2f} {1:7.1f} {'':>10}")
        print(f"{'/healthz':24} {floor[0]:10.2f} {floor[1]:8.2f} {floor[0] / raw[0]:7.1f} {1:10.1f}")
        slow = []
        for name, path, who in pages:
            status, page = request(base, path, token=tokens[who])
            assert status == 200, (path, status)
            median, p95 = timed(lambda: request(base, path, token=tokens[who]), options.runs)
            weight = (len(page) + stylesheet) / 1024
            print(f"{name:24} {median:10.2f} {p95:8.2f} {median / raw[0]:7.1f} {median / floor[0]:10.1f} {weight:6.1f}")
            if median > GOAL_MS or weight >= 100:
                slow.append(name)
        if slow:
            print(f"over the {GOAL_MS:.0f} ms goal or 100 KB: {', '.join(slow)}")
            return 1
        print(f"every page under the {GOAL_MS:.0f} ms goal and 100 KB with its stylesheet")
        return 0
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    sys.exit(main())
