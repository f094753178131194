"""The Twilio Verify TOTP quickstart, unchanged but for the base URL and the credentials, against
`watchword serve` on an SQLite file: create a service, register a user's TOTP factor, verify it
with a code from the returned secret, validate a token with a challenge, and see the same token
refused the second time.

Run: make demo-server (it builds the server and installs the pinned `twilio` package), or
WATCHWORD_SERVER_BIN=target/debug/watchword python examples/server/twilio_quickstart.py.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import tempfile
import time
import uuid

import pyotp
from twilio.rest import Client


def main() -> None:
    account_sid = "AC" + secrets.token_hex(16)
    auth_token = secrets.token_hex(32)
    binary = os.environ.get("WATCHWORD_SERVER_BIN", "target/debug/watchword")
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, WATCHWORD_TWILIO_ACCOUNT_SID=account_sid, WATCHWORD_TWILIO_AUTH_TOKEN=auth_token)
        env.setdefault("WATCHWORD_LOG", "warn")
        server = subprocess.Popen(
            [binary, "serve", "--store", f"sqlite:///{tmp}/watchword.db", "--listen", "127.0.0.1:0"],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:
            assert server.stdout is not None
            address = server.stdout.readline().strip().removeprefix("listening on ")
            print(f"watchword serve on http://{address}, records in an SQLite file")
            quickstart(Client(account_sid, auth_token), f"http://{address}")
        finally:
            server.terminate()
            server.wait(timeout=30)


def quickstart(client: Client, base_url: str) -> None:
    client.verify.base_url = base_url  # the only change to Twilio's quickstart
    service = client.verify.v2.services.create(friendly_name="Acme Bank")
    print(f"service {service.sid}: {service.totp}")

    # Register a user and a TOTP seed.
    identity = uuid.uuid4().hex
    new_factor = client.verify.v2.services(service.sid).entities(identity).new_factors.create(
        friendly_name="Taylor's Account Name", factor_type="totp"
    )
    print(f"factor {new_factor.sid}: {new_factor.status}; the app scans {new_factor.binding['uri']}")

    # Verify that the user has added the seed correctly (the authenticator app's code).
    totp = pyotp.TOTP(new_factor.binding["secret"])
    factor = (
        client.verify.v2.services(service.sid).entities(identity).factors(new_factor.sid).update(auth_payload=totp.now())
    )
    print(f"factor {factor.sid}: {factor.status}")

    # Validate a token: the next code the app shows.
    code = totp.at(int(time.time()) + 30)
    challenge = client.verify.v2.services(service.sid).entities(identity).challenges.create(
        auth_payload=code, factor_sid=new_factor.sid
    )
    print(f"challenge {challenge.sid} with {code}: {challenge.status}")
    again = client.verify.v2.services(service.sid).entities(identity).challenges.create(
        auth_payload=code, factor_sid=new_factor.sid
    )
    print(f"challenge {again.sid} with the same code: {again.status} (a code is accepted once)")
    assert (challenge.status, again.status) == ("approved", "pending")


if __name__ == "__main__":
    main()
