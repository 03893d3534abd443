#!/usr/bin/env bash
# Contract testing: schemathesis reads the published OpenAPI document of a real release server
# and sends it generated requests, valid and invalid, with all of its checks. The server holds
# the UN's fatalities dataset, a case and a draft; each part of the API is driven by the role
# that serves it, signed in. The run fails on any server error, any answer that breaks the
# document, or any other check that fails.
#
# Usage: scripts/contract-test.sh [database-url]
#   database-url: sqlite://PATH (default: a fresh SQLite file) or postgres://... (an empty
#   database the script may migrate).
# Throttling is off for the run (it sends thousands of requests a minute); sign-out, sign-out
# everywhere and the password change are left out, as they would end the run's own session
# (the integration tests cover them).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

# schemathesis, pinned, in a virtual environment of the project's own.
venv="$root/target/contract-venv"
schemathesis_version=4.32.5
if ! "$venv/bin/st" --version 2>/dev/null | grep -q "$schemathesis_version"; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$schemathesis_version"
fi

binary="$root/target/release/peacekeeper-registry"
(cd "$root" && cargo build --release --quiet)

work="$(mktemp -d)"
server=""
stop() {
    [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    rm -rf "$work"
}
trap stop EXIT
# A port nobody listens on.
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export PKR_DATABASE_URL="${1:-sqlite://$work/contract.sqlite3}"
export PKR_LISTEN="127.0.0.1:$port"
export PKR_DOCUMENT_FOLDER="$work/documents"
export PKR_LOG_FILTER=warn
export PKR_SIGN_IN_PER_MINUTE_PER_ADDRESS=0
export PKR_SIGN_IN_PER_MINUTE_PER_ACCOUNT=0
export PKR_WRITES_PER_MINUTE_PER_TOKEN=0
# Calendar feeds carry absolute links: the address this server is reached at.
export PKR_PUBLIC_URL="http://127.0.0.1:$port"
password="a contract passphrase nobody guesses"

"$binary" migrate >/dev/null
"$binary" import un-fatalities "$root/tests/data/DPPADPOSS-FATALITIES.csv" >/dev/null
for pair in officer:security_officer legal:legal_officer leader:leadership auditor:auditor \
    admin.contract:admin; do
    # Headquarters accounts: the roles that work on missions work on all of them.
    scope=()
    case "${pair##*:}" in security_officer | legal_officer | leadership) scope=(--all-missions) ;; esac
    echo "$password" | "$binary" user create --username "${pair%%:*}" --role "${pair##*:}" \
        "${scope[@]}" --clearance strictly_confidential --password-stdin >/dev/null
done
# A focal point of the Central African Republic, host State of the case made below.
echo "$password" | "$binary" user create --username focal --role state_focal_point --state CAF \
    --clearance strictly_confidential --password-stdin >/dev/null
"$binary" serve >"$work/server.log" 2>&1 &
server=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 100); do
    curl -fs "$base/readyz" >/dev/null && break
    kill -0 "$server" 2>/dev/null || { cat "$work/server.log" >&2; echo "FAIL: the server stopped" >&2; exit 1; }
    sleep 0.1
done
curl -fsS "$base/readyz" >/dev/null

token_of() {
    curl -fsS -H 'Content-Type: application/json' \
        -d "{\"username\":\"$1\",\"password\":\"$password\"}" "$base/api/v1/auth/login" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])'
}
declare -A token
for user in officer legal leader auditor admin.contract focal; do
    token[$user]="$(token_of "$user")"
done
# An administrator or a focal point reaches nothing before confirming a second factor.
for user in admin.contract focal; do
    echo "$password" | python3 "$root/scripts/second_factor.py" "$base" "${token[$user]}" >/dev/null
done

# Records to find beside the dataset: a draft incident and a case on a dataset incident.
curl -fsS -o /dev/null -H "Authorization: Bearer ${token[officer]}" -H 'Content-Type: application/json' \
    -d '{"mission":"MINUSCA","classification":"unclassified","occurred_at":"2024-03-01T08:00:00Z",
         "attack_type":"direct_fire","summary":"A patrol was ambushed","narrative":"Draft for the contract run."}' \
    "$base/api/v1/incidents"
incident="$(curl -fsS -H "Authorization: Bearer ${token[legal]}" \
    "$base/api/v1/incidents?mission=MINUSMA&limit=1" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["items"][0]["id"])')"
curl -fsS -o /dev/null -H "Authorization: Bearer ${token[legal]}" -H 'Content-Type: application/json' \
    -d "{\"incident_ids\":[\"$incident\"],\"jurisdiction\":\"CAF\"}" "$base/api/v1/cases"

# (user, tags of the operations that user's role serves)
runs=(
    "admin.contract|health,contract,auth,users,missions,imports"
    "officer|incidents"
    "legal|cases,proposals,assistance"
    "leader|summary,reports"
    "auditor|audit"
    "focal|state"
)
label="${PKR_DATABASE_URL%%:*}"
report="$root/target/contract-report/$label"
rm -rf "$report"
mkdir -p "$report"
failed=0
for run in "${runs[@]}"; do
    user="${run%%|*}"
    tags="${run##*|}"
    include=()
    for tag in ${tags//,/ }; do include+=(--include-tag "$tag"); done
    echo "==> schemathesis as $user: $tags"
    # From the work folder, where schemathesis leaves its own files.
    if ! (cd "$work" && "$venv/bin/st" --config-file "$root/scripts/contract-test.toml" run \
        "$base/api/v1/openapi.json" --url "$base" \
        -H "Authorization: Bearer ${token[$user]}" \
        "${include[@]}" \
        --exclude-path /api/v1/auth/logout --exclude-path /api/v1/auth/logout-all \
        --exclude-path /api/v1/me/password \
        --max-examples "${CONTRACT_EXAMPLES:-100}" --seed 2589 --generation-database none \
        --report junit --report-dir "$report/$user"); then
        failed=1
    fi
done
# The server's own account of the run, for any 5xx it answered.
cp "$work/server.log" "$report/server.log"
if grep -q "panicked" "$work/server.log"; then
    echo "FAIL: the server panicked during the run:" >&2
    grep -A5 "panicked" "$work/server.log" >&2
    failed=1
fi
if [ "$failed" -ne 0 ]; then
    echo "FAIL: schemathesis found answers that break the contract (reports: $report)" >&2
    exit 1
fi
echo "ok: no server error and no answer outside the contract on $PKR_DATABASE_URL"
