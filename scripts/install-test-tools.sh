#!/usr/bin/env bash
# Independent readers some tests check the registry's output with: pdftotext (poppler-utils)
# for the printed annual report, and Python's icalendar package for the calendar feeds, in a
# virtual environment under target/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if ! command -v pdftotext >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils
fi
venv="$root/target/test-tools"
if ! "$venv/bin/python" -c 'import icalendar' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "icalendar==7.0.*"
fi
"$venv/bin/python" -c 'import icalendar; print("icalendar", icalendar.__version__)'
echo "pdftotext: $(command -v pdftotext)"
