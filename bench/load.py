#!/usr/bin/env python3
"""Loads the benchmark's history straight into a migrated registry database: incidents over
12 missions and 25 years with a realistic mix (attack types, 0 to 5 victims, perpetrators,
sources), and cases at every status with their timelines and accused.

The rows are what the registry itself would have written: victim counts, references and their
counters, search text, a first version with its snapshot, cases' urgency and last step. They
are loaded the fastest correct way for each database: PostgreSQL by COPY, SQLite by batched
inserts in one transaction. One worker per core generates the rows of its own missions (and,
on PostgreSQL, copies them in) beside the others. Like a restore, the load writes no audit
records of its own; it ends as a restore does, with `peacekeeper-registry audit baseline`, which
records the hash of every loaded record's snapshot so that `audit verify` proves them from then on,
after `peacekeeper-registry summary rebuild` has counted the summaries' figures once more.

Usage: bench/load.py DATABASE_URL --incidents N --cases M [--seed S]
The accounts `bench.officer`, `bench.verifier` and `bench.legal` must exist.
"""

import argparse
import csv
import datetime as dt
import json
import multiprocessing
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid

MISSIONS = [
    ("MINUSCA", "CAF"), ("MINUSMA", "MLI"), ("MONUSCO", "COD"), ("UNMISS", "SSD"),
    ("UNIFIL", "LBN"), ("UNDOF", "SYR"), ("UNFICYP", "CYP"), ("UNISFA", "SDN"),
    ("MINURSO", "ESH"), ("UNMIK", "XKX"), ("UNAMID", "SDN"), ("UNOCI", "CIV"),
]
YEARS = 25
TODAY = dt.date(2026, 11, 28)
ATTACK_TYPES = ["direct_fire", "indirect_fire", "ied", "landmine", "suicide_attack",
                "complex_attack", "ambush", "grenade", "abduction", "mob_violence",
                "arson_looting", "air_or_drone", "other"]
ATTACK_WEIGHTS = [25, 10, 15, 6, 3, 4, 12, 4, 5, 6, 4, 3, 3]
WEAPONS = ["small_arms", "rpg", "mortar", "rocket", "ied", "vbied", "landmine", "grenade",
           "blade", "drone", "other"]
LOCATION_TYPES = ["base", "patrol", "convoy", "checkpoint", "airfield", "other"]
PERSONNEL = ["military", "police", "military_observer", "international_civilian",
             "national_staff", "other"]
PERSONNEL_WEIGHTS = [60, 15, 5, 8, 10, 2]
# Uniformed personnel by contributing country, roughly as the UN's contributions of recent
# years stand (hundreds of personnel): a few large contributors, a long tail, and a few
# countries that send a handful (Iceland) whose focal point's list must not read the table.
CONTRIBUTORS = [("NPL", 60), ("BGD", 60), ("IND", 60), ("RWA", 59), ("PAK", 43), ("GHA", 27),
                ("IDN", 27), ("CHN", 22), ("MAR", 17), ("SEN", 17), ("TZA", 15), ("EGY", 14),
                ("TCD", 14), ("TGO", 14), ("ETH", 12), ("ITA", 10), ("URY", 10), ("ZMB", 10),
                ("NER", 9), ("MNG", 8), ("KHM", 8), ("MYS", 8), ("BFA", 7), ("ESP", 6),
                ("FRA", 6), ("KEN", 5), ("IRL", 3), ("GBR", 3), ("BRA", 2), ("DEU", 2),
                ("NOR", 0.5), ("ISL", 0.02)]
NATIONALITIES = [code for code, _ in CONTRIBUTORS]
NATIONALITY_WEIGHTS = [weight for _, weight in CONTRIBUTORS]
# National staff are of the host country (Kosovo has no ISO 3166-1 code of its own).
STAFF_NATIONALITY = {"XKX": "SRB"}
OUTCOMES = ["killed", "injured", "abducted", "missing"]
OUTCOME_WEIGHTS = [30, 55, 10, 5]
ACTOR_TYPES = ["state_forces", "armed_group", "militia", "criminal", "crowd", "unknown"]
ATTRIBUTIONS = ["confirmed", "likely", "possible", "unknown"]
SOURCE_TYPES = ["incident_report", "witness", "medical", "police", "media"]
CASE_PATH = ["opened", "referred", "investigating", "suspects_identified", "warrants_issued",
             "arrests_made", "charged", "in_trial", "judgment"]
CASE_STATUSES = CASE_PATH + ["appeal", "final", "closed"]
CLOSURE_REASONS = ["no_suspect", "suspect_deceased", "insufficient_evidence", "dismissed"]

INCIDENT_COLUMNS = [
    "id", "reference", "mission_code", "status", "classification", "occurred_at",
    "time_precision", "occurred_until", "reported_at", "reported_by", "place_name", "admin1",
    "admin2", "latitude", "longitude", "geo_precision", "location_type", "attack_type",
    "weapons", "summary", "narrative", "verified_by", "verified_at", "withdrawn_reason",
    "killed", "injured", "abducted", "missing", "search_text", "version", "created_at",
    "updated_at"]
VICTIM_COLUMNS = ["incident_id", "position", "personnel_type", "nationality", "gender",
                  "outcome", "casualty_id", "name", "unit"]
PERPETRATOR_COLUMNS = ["incident_id", "position", "actor_name", "actor_type", "attribution",
                       "claimed_responsibility"]
SOURCE_COLUMNS = ["incident_id", "position", "source_type", "description", "received_at",
                  "reliability", "credibility"]
VERSION_COLUMNS = ["incident_id", "version", "action", "changed_at", "changed_by", "reason",
                   "changes", "snapshot"]
CASE_COLUMNS = [
    "id", "reference", "mission_code", "status", "jurisdiction", "authority", "lead_officer",
    "next_action", "next_action_due", "urgency", "notes", "closure_reason", "opened_on",
    "last_moved_on", "search_text", "version", "created_by", "created_at", "updated_at",
    "jurisdiction_state"]
CASE_INCIDENT_COLUMNS = ["case_id", "incident_id"]
TRANSITION_COLUMNS = ["case_id", "position", "from_status", "to_status", "effective_on", "note",
                      "closure_reason", "entered_by", "entered_at"]
ACCUSED_COLUMNS = ["id", "case_id", "name", "affiliation", "status", "charges", "verdict",
                   "sentence_type", "sentence_months", "sentence_details", "version",
                   "created_at", "updated_at", "verdict_on"]

# The tables of the summaries' figures, kept by triggers (see their migrations).
FIGURE_TABLES = ["incident_month_figures", "incident_year_figures", "killed_month_figures",
                 "killed_year_by_personnel_type", "killed_year_by_nationality", "case_figures",
                 "case_month_figures", "incident_case_links"]


def incident_id_of(index):
    """Benchmark incidents have ids a raw query can compute from a number (0 to N-1)."""
    return f"00000000-0000-4000-8000-{index:012x}"


def stamp(moment):
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def rfc3339(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class History:
    """Generates the rows, table by table, into CSV files."""

    def __init__(self, seed, users, counters, folder):
        # One generator per mission: the same seed gives the same history on any number of cores.
        self.rngs = {code: random.Random(f"{seed} {code}") for code, _ in MISSIONS}
        self.users = users
        self.counters = counters
        self.folder = folder
        self.files = {}
        self.writers = {}
        self.counted = {code: [] for code, _ in MISSIONS}
        self.case_counters = {}

    def writer(self, table):
        if table not in self.writers:
            handle = open(os.path.join(self.folder, table + ".csv"), "w", newline="")
            self.files[table] = handle
            self.writers[table] = csv.writer(handle)
        return self.writers[table]

    def close(self):
        for handle in self.files.values():
            handle.close()

    def next_reference(self, mission, year):
        number = self.counters.get((mission, year), 0) + 1
        self.counters[(mission, year)] = number
        return f"{mission}-{year:04d}-{number:05d}"

    def incident(self, index):
        mission, host = MISSIONS[index % len(MISSIONS)]
        rng = self.rngs[mission]
        # The 25 years up to yesterday, so that recent days hold their share too.
        days_ago = 1 + rng.randrange(YEARS * 365)
        occurred = dt.datetime.combine(TODAY, dt.time(0)) - dt.timedelta(days=days_ago) + dt.timedelta(minutes=rng.randrange(1440))
        roll = rng.random()
        status = "verified" if roll < 0.85 else "submitted" if roll < 0.93 else "draft" if roll < 0.97 else "withdrawn"
        roll = rng.random()
        classification = "unclassified" if roll < 0.7 else "confidential" if roll < 0.95 else "strictly_confidential"
        attack = rng.choices(ATTACK_TYPES, ATTACK_WEIGHTS)[0]
        reference = None if status == "draft" else self.next_reference(mission, occurred.year)
        incident_id = incident_id_of(index)
        reported = occurred + dt.timedelta(hours=rng.randrange(1, 72))
        place = f"Sector {rng.randrange(1, 40)}"
        latitude = round(rng.uniform(-10, 35), 5) if rng.random() < 0.8 else None
        longitude = round(rng.uniform(-15, 45), 5) if latitude is not None else None
        weapons = sorted(set(rng.choices(WEAPONS, k=rng.randrange(0, 3))))
        victims = []
        for position in range(rng.choices(range(6), [30, 30, 20, 10, 6, 4])[0]):
            personnel = rng.choices(PERSONNEL, PERSONNEL_WEIGHTS)[0]
            if personnel == "national_staff":
                nationality = STAFF_NATIONALITY.get(host, host)
            else:
                nationality = rng.choices(NATIONALITIES, NATIONALITY_WEIGHTS)[0]
            victims.append({
                "personnel_type": personnel,
                "nationality": nationality,
                "gender": "female" if rng.random() < 0.1 else "male",
                "outcome": rng.choices(OUTCOMES, OUTCOME_WEIGHTS)[0],
                "casualty_id": None, "name": f"Peacekeeper {index}-{position}",
                "unit": f"Battalion {rng.randrange(1, 30)}",
            })
        perpetrators = [{
            "actor_name": f"Armed group {rng.randrange(1, 60)}" if rng.random() < 0.6 else None,
            "actor_type": rng.choice(ACTOR_TYPES), "attribution": rng.choice(ATTRIBUTIONS),
            "claimed_responsibility": rng.random() < 0.2,
        } for _ in range(rng.choices(range(3), [30, 60, 10])[0])]
        sources = [{
            "source_type": rng.choice(SOURCE_TYPES),
            "description": f"Report {position + 1} on the attack", "received_at": None,
            "reliability": rng.choice("ABCDEF"), "credibility": rng.randrange(1, 7),
        } for position in range(rng.choices(range(1, 3), [70, 30])[0])]
        summary = f"{attack.replace('_', ' ').capitalize()} on a {rng.choice(LOCATION_TYPES)} in {mission}"
        narrative = f"{summary}: {len(victims)} peacekeepers among the victims. Benchmark record {index}."
        counts = [sum(1 for v in victims if v["outcome"] == o) for o in OUTCOMES]
        officer, verifier = self.users["bench.officer"], self.users["bench.verifier"]
        verified = status in ("verified", "withdrawn")
        search = " \n ".join(p for p in [reference, summary, narrative, place] if p).lower()
        location_type = rng.choice(LOCATION_TYPES)
        self.writer("incidents").writerow([
            incident_id, reference, mission, status, classification, stamp(occurred), "exact",
            None, stamp(reported), officer, place, None, None, latitude, longitude,
            "near" if latitude is not None else "unknown", location_type, attack,
            json.dumps(weapons), summary, narrative, verifier if verified else None,
            stamp(reported + dt.timedelta(days=2)) if verified else None,
            "Entered twice" if status == "withdrawn" else None, *counts, search, 1,
            stamp(reported), stamp(reported)])
        for position, v in enumerate(victims):
            self.writer("incident_victims").writerow([
                incident_id, position, v["personnel_type"], v["nationality"], v["gender"],
                v["outcome"], None, v["name"], v["unit"]])
        for position, p in enumerate(perpetrators):
            self.writer("incident_perpetrators").writerow([
                incident_id, position, p["actor_name"], p["actor_type"], p["attribution"],
                "t" if p["claimed_responsibility"] else "f"])
        for position, s in enumerate(sources):
            self.writer("incident_sources").writerow([
                incident_id, position, s["source_type"], s["description"], None,
                s["reliability"], s["credibility"]])
        snapshot = {
            "admin1": None, "admin2": None, "attack_type": attack, "classification": classification,
            "geo_precision": "near" if latitude is not None else "unknown", "latitude": latitude,
            "location_type": location_type, "longitude": longitude, "mission": mission,
            "narrative": narrative, "occurred_at": rfc3339(occurred), "occurred_until": None,
            "perpetrators": perpetrators, "place_name": place, "reference": reference,
            "sources": sources, "status": status, "summary": summary, "time_precision": "exact",
            "victims": victims, "weapons": weapons}
        changes = {key: {"from": None, "to": value} for key, value in snapshot.items() if value not in (None, [])}
        self.writer("incident_versions").writerow([
            incident_id, 1, "import", stamp(reported), officer, "benchmark data",
            json.dumps(changes, sort_keys=True, separators=(",", ":")),
            json.dumps(snapshot, sort_keys=True, separators=(",", ":"))])
        if status in ("submitted", "verified"):
            self.counted[mission].append((incident_id, occurred.date()))

    def case(self, index):
        mission = MISSIONS[index % len(MISSIONS)][0]
        rng = self.rngs[mission]
        pool = self.counted[mission]
        if not pool:
            return  # a case follows a reported incident: this mission has none to follow
        linked = {pool[rng.randrange(len(pool))] for _ in range(rng.choices([1, 2], [80, 20])[0])}
        earliest = min(day for _, day in linked)
        opened = min(earliest + dt.timedelta(days=rng.randrange(1, 90)), TODAY)
        # Every status in every mission: the status steps through the mission's own cases.
        status = CASE_STATUSES[index // len(MISSIONS) % len(CASE_STATUSES)]
        if status in ("appeal", "final"):
            path = CASE_PATH + [status]
        elif status == "closed":
            path = CASE_PATH[:rng.randrange(1, len(CASE_PATH))] + ["closed"]
        else:
            path = CASE_PATH[:CASE_PATH.index(status) + 1]
        # Skip some steps, as real cases do; the first and the last stay.
        path = [path[0]] + [s for s in path[1:-1] if rng.random() < 0.7] + ([path[-1]] if len(path) > 1 else [])
        case_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        year = opened.year
        number = self.case_counters.get((mission, year), 0) + 1
        self.case_counters[(mission, year)] = number
        reference = f"CASE-{mission}-{year:04d}-{number:04d}"
        legal = self.users["bench.legal"]
        day = opened
        closure = rng.choice(CLOSURE_REASONS) if status == "closed" else None
        judged_on = None  # the first step at or past a judgment: no verdict is dated before it
        for position, to in enumerate(path):
            if position:
                day = min(day + dt.timedelta(days=rng.randrange(10, 240)), TODAY)
            if judged_on is None and to in ("judgment", "appeal", "final"):
                judged_on = day
            self.writer("case_transitions").writerow([
                case_id, position, path[position - 1] if position else None, to, day.isoformat(),
                None, closure if to == "closed" else None, legal, stamp(dt.datetime.combine(day, dt.time(9)))])
        is_open = status not in ("final", "closed")
        due = day + dt.timedelta(days=rng.randrange(-60, 120)) if is_open and rng.random() < 0.8 else None
        urgency = due if due else dt.date(9999, 12, 30 if is_open else 31)
        # Most cases before the host State's courts, some before a special court of that State
        # (the State named beside it), a few before the ICC.
        host = STAFF_NATIONALITY.get(dict(MISSIONS)[mission], dict(MISSIONS)[mission])
        roll = rng.random()
        if roll < 0.8:
            jurisdiction, jurisdiction_state = host, host
        elif roll < 0.95:
            jurisdiction, jurisdiction_state = "Special Criminal Court", host
        else:
            jurisdiction, jurisdiction_state = "ICC", None
        next_action = "Follow up with the prosecutor" if due else None
        search = " \n ".join(p for p in [reference, jurisdiction, next_action] if p).lower()
        created = stamp(dt.datetime.combine(opened, dt.time(9)))
        self.writer("cases").writerow([
            case_id, reference, mission, status, jurisdiction, None, legal, next_action,
            due.isoformat() if due else None, urgency.isoformat(), None, closure,
            opened.isoformat(), day.isoformat(), search, len(path), legal, created,
            stamp(dt.datetime.combine(day, dt.time(9))), jurisdiction_state])
        for incident_id, _ in linked:
            self.writer("case_incidents").writerow([case_id, incident_id])
        if CASE_STATUSES.index(status) >= CASE_STATUSES.index("suspects_identified") and status != "closed":
            for _ in range(rng.choices([1, 2], [70, 30])[0]):
                judged = status in ("judgment", "appeal", "final")
                verdict = rng.choice(["convicted", "acquitted"]) if judged else "pending"
                convicted = verdict == "convicted"
                self.writer("case_accused").writerow([
                    str(uuid.UUID(int=rng.getrandbits(128), version=4)), case_id,
                    f"Accused {index}", "Armed group", "in_custody" if judged else rng.choice(["suspected", "wanted", "at_large"]),
                    "Murder of peacekeepers" if status != "suspects_identified" else None, verdict,
                    "imprisonment" if convicted else None, rng.randrange(12, 360) if convicted else None,
                    None, 1, created, created,
                    judged_on.isoformat() if judged else None])


def postgres_copy(url, folder, tables):
    for table, columns in tables:
        path = os.path.join(folder, table + ".csv")
        if not os.path.exists(path):
            continue
        copy = f"\\copy {table} ({', '.join(columns)}) FROM '{path}' WITH (FORMAT csv)"
        subprocess.run(["psql", "-v", "ON_ERROR_STOP=1", "-q", url, "-c", copy], check=True)


def sqlite_insert(path, folders, tables):
    """Every worker's rows, table by table, in one transaction (SQLite has one writer)."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = OFF")
    # 1 GiB of room for the indexes the load fills in random order (SQLite's default is 2 MB):
    # at a million incidents the inserts took 166 s instead of 191.
    conn.execute("PRAGMA cache_size = -1048576")
    with conn:
        for (table, columns), folder in ((t, f) for t in tables for f in folders):
            file = os.path.join(folder, table + ".csv")
            if not os.path.exists(file):
                continue
            # SQLite turns empty fields into NULL and "t" into true, rather than Python converting
            # each value.
            values = ", ".join("NULLIF(?, '') = 't'" if c == "claimed_responsibility" else "NULLIF(?, '')" for c in columns)
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({values})"
            with open(file, newline="") as handle:
                conn.executemany(sql, csv.reader(handle))
    conn.close()


def query(url, sql):
    """Rows of a small query, as lists of text."""
    if url.startswith("sqlite://"):
        conn = sqlite3.connect(url[len("sqlite://"):])
        rows = [[str(v) for v in row] for row in conn.execute(sql)]
        conn.close()
        return rows
    out = subprocess.run(["psql", "-At", "-F", "\t", url, "-c", sql], check=True,
                         capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def execute(url, statements):
    if url.startswith("sqlite://"):
        conn = sqlite3.connect(url[len("sqlite://"):])
        with conn:
            for statement in statements:
                conn.execute(statement)
        conn.close()
    else:
        subprocess.run(["psql", "-v", "ON_ERROR_STOP=1", "-q", url], text=True, check=True,
                       input=";\n".join(statements) + ";\n")


def generate_and_load(job):
    """One worker's share: the missions `shard` names, generated into its own folder, then
    (on PostgreSQL) loaded by its own COPY sessions. Every row of a share refers only to rows
    of the same share, so the shares load side by side."""
    url, folder, shard, workers, seed, incidents, cases, users, counters = job
    history = History(seed, users, counters, folder)
    mine = lambda index: index % len(MISSIONS) % workers == shard
    started = time.monotonic()
    for index in filter(mine, range(incidents)):
        history.incident(index)
    for index in filter(mine, range(cases)):
        history.case(index)
    history.close()
    generate_seconds = time.monotonic() - started
    if not url.startswith("sqlite://"):
        postgres_copy(url, folder, TABLES)
    return history.counters, history.case_counters, generate_seconds


TABLES = [
    ("incidents", INCIDENT_COLUMNS), ("incident_victims", VICTIM_COLUMNS),
    ("incident_perpetrators", PERPETRATOR_COLUMNS), ("incident_sources", SOURCE_COLUMNS),
    ("incident_versions", VERSION_COLUMNS), ("cases", CASE_COLUMNS),
    ("case_incidents", CASE_INCIDENT_COLUMNS), ("case_transitions", TRANSITION_COLUMNS),
    ("case_accused", ACCUSED_COLUMNS)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_url")
    parser.add_argument("--incidents", type=int, required=True)
    parser.add_argument("--cases", type=int, required=True)
    parser.add_argument("--seed", type=int, default=2589)
    args = parser.parse_args()
    url = args.database_url
    started = time.monotonic()

    users = dict(query(url, "SELECT username, id FROM users WHERE username LIKE 'bench.%'"))
    counters = {(m, int(y)): int(n) for m, y, n in
                query(url, "SELECT mission_code, year, last_number FROM incident_reference_counters")}
    execute(url, [f"INSERT INTO missions (code, name, host_country, active, version, created_at, updated_at) "
                  f"VALUES ('{code}', '{code}', '{country}', TRUE, 1, '2001-01-01 00:00:00', '2001-01-01 00:00:00') "
                  f"ON CONFLICT (code) DO NOTHING" for code, country in MISSIONS])

    # One worker per core, each with its own missions: Python generates on every core at once,
    # and on PostgreSQL each worker's COPY runs beside the other's.
    workers = max(1, min(os.cpu_count() or 1, len(MISSIONS)))
    with tempfile.TemporaryDirectory(prefix="pkr-bench-") as folder:
        jobs = []
        for shard in range(workers):
            os.mkdir(os.path.join(folder, str(shard)))
            jobs.append((url, os.path.join(folder, str(shard)), shard, workers, args.seed,
                         args.incidents, args.cases, users, counters))
        with multiprocessing.Pool(workers) as pool:
            shares = pool.map(generate_and_load, jobs)
        if url.startswith("sqlite://"):
            sqlite_insert(url[len("sqlite://"):], [job[1] for job in jobs], TABLES)
        # The workers counted disjoint missions from the same start: the highest is each count.
        incident_counters, case_counters = {}, {}
        for share_incidents, share_cases, _ in shares:
            for key, number in share_incidents.items():
                incident_counters[key] = max(number, incident_counters.get(key, 0))
            case_counters.update(share_cases)
        upserts = []
        for table, numbers in (("incident_reference_counters", incident_counters),
                               ("case_reference_counters", case_counters)):
            for (mission, year), number in numbers.items():
                upserts.append(
                    f"INSERT INTO {table} (mission_code, year, last_number) VALUES ('{mission}', {year}, {number}) "
                    f"ON CONFLICT (mission_code, year) DO UPDATE SET last_number = excluded.last_number")
        execute(url, upserts)
    if not url.startswith("sqlite://"):
        execute(url, ["ANALYZE"])
    generate_seconds = max(share[2] for share in shares)
    cases_written = sum(sum(share[1].values()) for share in shares)
    binary = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                          "target", "release", "peacekeeper-registry")
    registry_env = {**os.environ, "PKR_DATABASE_URL": url, "PKR_LOG_FILTER": "warn"}
    # The triggers kept the summaries' figures through the load, but each COPY session wrote its
    # own slots (see the migration of the incident figures): counted again, every key has one
    # row, as after a restore.
    rebuild_started = time.monotonic()
    subprocess.run([binary, "summary", "rebuild"], check=True, stdout=subprocess.DEVNULL, env=registry_env)
    if not url.startswith("sqlite://"):
        # Through the load the triggers rewrote each figure's row hundreds of times, inside the
        # COPY's transactions, and the rebuild rewrote them all once more: their tables are
        # several times the size of their rows, which every summary would scan. Compacted, they
        # are as a restore leaves them (leaner than a registry's after years of edits, where
        # autovacuum keeps reusing their space).
        execute(url, ["VACUUM (FULL, ANALYZE) " + ", ".join(FIGURE_TABLES)])
    rebuild_seconds = time.monotonic() - rebuild_started
    baseline_started = time.monotonic()
    subprocess.run([binary, "audit", "baseline"], check=True, stdout=subprocess.DEVNULL, env=registry_env)
    baseline_seconds = time.monotonic() - baseline_started
    if not url.startswith("sqlite://"):
        # A settled database, as autovacuum keeps production's: without this, its first pass
        # over the million fresh rows (and the pages' first reads setting their hint bits)
        # runs during the scenarios and takes their machine.
        execute(url, ["VACUUM (ANALYZE)"])
    print(json.dumps({"incidents": args.incidents, "cases": cases_written, "workers": workers,
                      "generate_seconds": round(generate_seconds, 1),
                      "rebuild_seconds": round(rebuild_seconds, 1),
                      "baseline_seconds": round(baseline_seconds, 1),
                      "load_seconds": round(time.monotonic() - started - generate_seconds, 1)}))


if __name__ == "__main__":
    sys.exit(main())
