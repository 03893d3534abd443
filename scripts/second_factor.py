#!/usr/bin/env python3
"""Sets up the second factor of a signed-in account, for the scripts that drive a real server
with an administrator: administrators must confirm one before they reach anything else.

    echo "$password" | python3 scripts/second_factor.py BASE_URL TOKEN

enrols the session's account (its password, asked again, read from standard input) and
confirms it with the code of now (RFC 6238: SHA-1, 6 digits, 30 s); the same session then
reaches everything its role may. Prints the secret (base32).
"""

import base64
import hashlib
import hmac
import json
import struct
import sys
import time
import urllib.request


def code_at(secret_base32, unix_seconds):
    """The one-time code an authenticator app shows at `unix_seconds`."""
    key = base64.b32decode(secret_base32 + "=" * (-len(secret_base32) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(unix_seconds) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 15
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def post(base, path, token, body):
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        payload = answer.read()
    return json.loads(payload) if payload else None


def enrol(base, token, password):
    """Enrols and confirms the second factor of the token's account; the secret."""
    secret = post(base, "/api/v1/me/second-factor", token, {"password": password})["secret"]
    post(base, "/api/v1/me/second-factor/confirm", token, {"code": code_at(secret, time.time())})
    return secret


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    print(enrol(sys.argv[1], sys.argv[2], sys.stdin.readline().rstrip("\r\n")))
