#!/usr/bin/env bash
# How much the audit trail costs concurrent writers, on PostgreSQL, measured with pgbench.
#
# Three ways of writing one audit record, each in a transaction of its own (as every change of
# the registry is), at the same client count:
#   plain   - one INSERT into audit_log, no chain at all (the baseline);
#   sealed  - what the registry does: INSERT into audit_log, which a trigger queues in
#             audit_pending; the chain is added later by the sealer, so writers share no row;
#   chained - the naive chain: lock the chain head, INSERT, move the head (writers queue on it).
# plain and chained run with the queueing trigger removed: neither has a sealer to feed.
# The figures are ratios against `plain` measured in the same run: the machine is shared and
# absolute rates drift.
#
# Usage: bench/audit_writers.sh [postgres-admin-url] [clients] [seconds]
set -euo pipefail
admin_url="${1:-${PKR_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}}"
clients="${2:-8}"
seconds="${3:-10}"
here="$(cd "$(dirname "$0")" && pwd)"
binary="$here/../target/release/peacekeeper-registry"
[ -x "$binary" ] || (cd "$here/.." && cargo build --release)

db="pkr_bench_$$"
psql -q -d "$admin_url" -c "CREATE DATABASE $db"
trap 'psql -q -d "$admin_url" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"' EXIT
db_url="$(python3 -c 'import sys, urllib.parse as u; p = u.urlparse(sys.argv[1]); print(p._replace(path="/" + sys.argv[2]).geturl())' "$admin_url" "$db")"
(cd "$(mktemp -d)" && PKR_DATABASE_URL="$db_url" PKR_LOG_FILTER=warn "$binary" migrate >/dev/null)
psql -q -d "$db_url" -c "CREATE TABLE bench_chain_head (id INT PRIMARY KEY, hash TEXT NOT NULL); INSERT INTO bench_chain_head VALUES (1, '');"

scripts="$(mktemp -d)"
values="(now(), 'u1', 'officer', 'bench.write', 'bench', 'e1', 'r1', '127.0.0.1', '{\"n\":1}', md5(random()::text))"
cat > "$scripts/plain.sql" <<SQL
BEGIN;
INSERT INTO audit_log (occurred_at, actor_id, actor_username, action, entity_type, entity_id, request_id, client_addr, details, record_hash) VALUES $values;
COMMIT;
SQL
cat > "$scripts/sealed.sql" <<SQL
BEGIN;
INSERT INTO audit_log (occurred_at, actor_id, actor_username, action, entity_type, entity_id, request_id, client_addr, details, record_hash) VALUES $values RETURNING id;
COMMIT;
SQL
cat > "$scripts/chained.sql" <<SQL
BEGIN;
SELECT hash FROM bench_chain_head WHERE id = 1 FOR UPDATE;
INSERT INTO audit_log (occurred_at, actor_id, actor_username, action, entity_type, entity_id, request_id, client_addr, details, record_hash) VALUES $values;
UPDATE bench_chain_head SET hash = md5(hash || random()::text) WHERE id = 1;
COMMIT;
SQL

declare -A rate
for kind in sealed plain chained; do
    if [ "$kind" = plain ]; then
        # Without a sealer, neither the baseline nor the naive chain queues anything.
        psql -q -d "$db_url" -c "DROP TRIGGER audit_log_queue ON audit_log"
    fi
    rate[$kind]="$(pgbench -n -c "$clients" -j 2 -T "$seconds" -f "$scripts/$kind.sql" "$db_url" 2>/dev/null \
        | awk '/^tps = / { print int($3) }')"
done
echo "clients=$clients seconds=$seconds (transactions per second, and the ratio to plain)"
for kind in plain sealed chained; do
    awk -v k="$kind" -v r="${rate[$kind]}" -v base="${rate[plain]}" 'BEGIN { printf "%-8s %8d/s  %.2f\n", k, r, r / base }'
done
