#!/usr/bin/env python3
"""The raw SQLite figures the benchmark compares the service with: the same statements as
bench/raw/*.sql, on the same database file, with the registry's own settings (WAL,
`synchronous = FULL`, a busy timeout), from CLIENTS processes each with its own connection, for
SECONDS. Prints one JSON object: transactions per second and latencies in milliseconds.

Processes, not threads: the interpreter's lock would let only one client run Python at a time,
and the reads would measure the lock rather than SQLite (7,000 reads a second from 8 threads
against 22,000 from 8 processes, on the same database).

Usage: bench/raw/sqlite.py DATABASE_FILE insert|read|summary|state_incidents:STATE|state_cases:STATE
    CLIENTS SECONDS INCIDENTS OFFICER_ID
"""

import json
import multiprocessing
import os
import random
import sqlite3
import statistics
import sys
import time
import uuid

INSERT_INCIDENT = """INSERT INTO incidents (id, reference, mission_code, status, classification,
    occurred_at, time_precision, reported_at, reported_by, place_name, geo_precision,
    location_type, attack_type, weapons, summary, narrative, killed, injured, abducted, missing,
    search_text, version, created_at, updated_at)
VALUES (?, NULL, 'MINUSCA', 'draft', 'unclassified', '2026-11-01 08:30:00', 'exact',
    datetime('now'), ?, 'Sector 7', 'unknown', 'patrol', 'ambush', '["small_arms"]',
    'Patrol ambushed on the road north of the base',
    'A patrol came under fire from two sides; two peacekeepers were hit.', 1, 1, 0, 0,
    'patrol ambushed on the road north of the base', 1, datetime('now'), datetime('now'))"""
INSERT_VICTIMS = """INSERT INTO incident_victims (incident_id, position, personnel_type,
    nationality, gender, outcome)
VALUES (?, 0, 'military', 'BGD', 'male', 'killed'), (?, 1, 'military', 'BGD', 'male', 'injured')"""
INSERT_AUDIT = """INSERT INTO audit_log (occurred_at, actor_id, actor_username, action,
    entity_type, entity_id, details, record_hash)
VALUES (datetime('now'), ?, 'bench.officer', 'incident.create', 'incident', ?,
    '{"status":{"from":null,"to":"draft"}}', ?)"""


def statement_of(name):
    """A statement of bench/raw (the State lists'), without its comments, its State as `?`."""
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), name)) as handle:
        return "".join(line for line in handle if not line.startswith("--")).replace(":state", "?")


STATE_INCIDENTS = statement_of("state_incidents.sql")
STATE_CASES = statement_of("state_cases.sql")
SUMMARY = """SELECT mission_code, strftime('%Y', occurred_at) AS year, attack_type, COUNT(*),
    SUM(killed), SUM(injured), SUM(abducted), SUM(missing)
FROM incidents WHERE status IN ('submitted', 'verified') GROUP BY 1, 2, 3"""


def connect(path):
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def work(kind, conn, incidents, officer):
    if kind == "insert":
        incident_id = str(uuid.uuid4())
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(INSERT_INCIDENT, (incident_id, officer))
        conn.execute(INSERT_VICTIMS, (incident_id, incident_id))
        conn.execute(INSERT_AUDIT, (officer, incident_id, incident_id))
        conn.execute("COMMIT")
    elif kind == "read":
        incident_id = f"00000000-0000-4000-8000-{random.randrange(incidents):012x}"
        for table, key in (("incidents", "id"), ("incident_victims", "incident_id"),
                           ("incident_perpetrators", "incident_id"),
                           ("incident_sources", "incident_id")):
            conn.execute(f"SELECT * FROM {table} WHERE {key} = ?", (incident_id,)).fetchall()
    elif kind.startswith("state_"):
        list_kind, state = kind.split(":")
        query = STATE_INCIDENTS if list_kind == "state_incidents" else STATE_CASES
        conn.execute(query, (state,)).fetchall()
    else:
        conn.execute(SUMMARY).fetchall()


def client(path, kind, deadline, incidents, officer):
    """One client's latencies, in seconds, until the deadline."""
    conn = connect(path)
    latencies = []
    while time.monotonic() < deadline:
        started = time.perf_counter()
        work(kind, conn, incidents, officer)
        latencies.append(time.perf_counter() - started)
    conn.close()
    return latencies


def main():
    path, kind, clients, seconds, incidents, officer = sys.argv[1:7]
    clients, seconds, incidents = int(clients), float(seconds), int(incidents)
    started = time.monotonic()
    deadline = started + seconds
    with multiprocessing.Pool(clients) as pool:
        latencies = pool.starmap(client, [(path, kind, deadline, incidents, officer)] * clients)
    elapsed = time.monotonic() - started
    every = sorted(t for per_client in latencies for t in per_client)
    quantile = lambda q: every[min(len(every) - 1, int(q * len(every)))] * 1000
    print(json.dumps({
        "per_second": round(len(every) / elapsed, 1),
        "p50_ms": round(quantile(0.50), 3),
        "p99_ms": round(quantile(0.99), 3),
        "count": len(every),
        "mean_ms": round(statistics.mean(every) * 1000, 3) if every else None,
    }))


if __name__ == "__main__":
    main()
