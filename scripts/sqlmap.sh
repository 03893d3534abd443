#!/usr/bin/env bash
# Runs sqlmap against the list, filter, search and sign-in endpoints of a local release server
# holding the UN's fatalities dataset, signed in as the role each endpoint serves, and states
# the result: which parameters sqlmap found injectable, if any.
#
# Usage: scripts/sqlmap.sh [database-url]
#   database-url: sqlite://PATH (default: a fresh SQLite file) or postgres://... (an empty
#   database the script may migrate).
# Sign-in throttling is switched off for the run (sqlmap sends hundreds of sign-ins); reads
# are never throttled.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
command -v sqlmap >/dev/null || {
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sqlmap
}
binary="$root/target/release/peacekeeper-registry"
[ -x "$binary" ] || (cd "$root" && cargo build --release)

work="$(mktemp -d)"
port=$((19000 + $$ % 1000))
export PKR_DATABASE_URL="${1:-sqlite://$work/scan.sqlite3}"
export PKR_LISTEN="127.0.0.1:$port"
export PKR_DOCUMENT_FOLDER="$work/documents"
export PKR_LOG_FILTER=warn
export PKR_SIGN_IN_PER_MINUTE_PER_ADDRESS=0
export PKR_SIGN_IN_PER_MINUTE_PER_ACCOUNT=0
password="a scanning passphrase nobody guesses"

"$binary" migrate >/dev/null
"$binary" import un-fatalities "$root/tests/data/DPPADPOSS-FATALITIES.csv" >/dev/null
for pair in officer:security_officer legal:legal_officer leader:leadership auditor:auditor admin.scan:admin; do
    # Headquarters accounts: the roles that work on missions work on all of them.
    scope=()
    case "${pair##*:}" in security_officer | legal_officer | leadership) scope=(--all-missions) ;; esac
    echo "$password" | "$binary" user create --username "${pair%%:*}" --role "${pair##*:}" \
        "${scope[@]}" --clearance strictly_confidential --password-stdin >/dev/null
done
"$binary" serve >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 1 100); do
    curl -fs "$base/readyz" >/dev/null && break
    sleep 0.1
done

token_of() {
    curl -fs -H 'Content-Type: application/json' \
        -d "{\"username\":\"$1\",\"password\":\"$password\"}" "$base/api/v1/auth/login" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])'
}
declare -A token
for user in officer legal leader auditor admin.scan; do
    token[$user]="$(token_of "$user")"
done
# An administrator reaches nothing before confirming a second factor.
echo "$password" | python3 "$root/scripts/second_factor.py" "$base" "${token[admin.scan]}" >/dev/null

# A case to find (opened long ago, so it is stalled too) on a MINUSMA incident of the dataset.
incident="$(curl -fs -H "Authorization: Bearer ${token[legal]}" \
    "$base/api/v1/incidents?mission=MINUSMA&to=2023-01-01T00:00:00Z&limit=1" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["items"][0]["id"])')"
curl -fs -o /dev/null -H "Authorization: Bearer ${token[legal]}" -H 'Content-Type: application/json' \
    -d "{\"incident_ids\":[\"$incident\"],\"jurisdiction\":\"ICC\",\"opened_on\":\"2023-06-01\"}" \
    "$base/api/v1/cases"

# (user, text the answer must hold, URL): every parameter of each URL is tried, from a request
# that is served and finds records, so that true and false conditions answer differently.
targets=(
    "officer|MINUSMA|$base/api/v1/incidents?mission=MINUSMA&status=verified&attack_type=other&classification=unclassified&fatal=true&q=malicious&from=2000-01-01T00:00:00Z&to=2025-12-31T00:00:00Z&limit=10"
    "officer|MINUSMA|$base/api/v1/incidents/export?format=csv&mission=MINUSMA&q=malicious"
    "legal|MINUSMA|$base/api/v1/cases?status=opened&mission=MINUSMA&q=ICC&stalled_days=30&limit=10"
    "leader|MINUSMA|$base/api/v1/summary?mission=MINUSMA&from=2000-01-01&to=2025-12-31&group=year"
    "leader|MINUSMA|$base/api/v1/summary/stalled?mission=MINUSMA&days=30"
    "auditor|auth.login|$base/api/v1/audit?action=auth.login&entity_type=user&limit=10"
    "admin.scan|auditor|$base/api/v1/users?limit=5&cursor=YQ"
    "officer|MINUSMA-|$base/incidents?mission=MINUSMA&status=verified&q=malicious&from=2000-01-01"
)
found=0
log="$work/sqlmap"
# Runs sqlmap; an injectable parameter, an abort, or a server that stopped answering all fail.
scan() {
    set +e
    sqlmap "$@" --batch --threads=2 --output-dir="$log" --disable-coloring >"$work/last.txt" 2>&1
    local status=$?
    set -e
    grep -E "appears to be|is vulnerable|do not appear|does not seem to be injectable" "$work/last.txt" | sort | uniq -c || true
    if [ "$status" -ne 0 ] || grep -q "is vulnerable\|appears to be .*injectable" "$work/last.txt"; then
        found=1
        echo "sqlmap exit $status; see $work/last.txt" >&2
    fi
    if ! curl -fs "$base/readyz" >/dev/null; then
        echo "FAIL: the server stopped answering during the scan" >&2
        exit 1
    fi
}
for target in "${targets[@]}"; do
    user="${target%%|*}"
    rest="${target#*|}"
    expect="${rest%%|*}"
    url="${rest#*|}"
    echo "== $url"
    # The scan means something only if the request itself is served and finds records.
    answer="$(curl -s -w '\n%{http_code}' -H "Authorization: Bearer ${token[$user]}" \
        -H "Cookie: pkr_session=${token[$user]}" "$url")"
    if [ "${answer##*$'\n'}" != 200 ] || ! grep -q -- "$expect" <<<"$answer"; then
        echo "FAIL: $url is not served with records (${answer##*$'\n'}); the scan would test nothing" >&2
        exit 1
    fi
    headers="Authorization: Bearer ${token[$user]}\nCookie: pkr_session=${token[$user]}"
    scan -u "$url" --headers="$(printf "$headers")" --level=3 --risk=3 --technique=BEUS
done
echo "== POST $base/api/v1/auth/login"
scan -u "$base/api/v1/auth/login" --data='{"username":"officer","password":"guess"}' \
    --headers="Content-Type: application/json" --level=3 --risk=2 --technique=BEUS

if [ "$found" -eq 0 ]; then
    echo "RESULT: sqlmap found no injectable parameter on $(( ${#targets[@]} + 1 )) endpoints (${PKR_DATABASE_URL%%:*})."
else
    echo "RESULT: sqlmap reports an injectable parameter: see the lines above and $log" >&2
    exit 1
fi
