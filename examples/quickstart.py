"""watchword quickstart: enroll a TOTP factor, verify it, print recovery codes, answer challenges,
see a replay and an expiry, and move the records to another service as a host with its own
database would.

Run: make demo-python (or python examples/quickstart.py with watchword installed).
The flow runs on a simulated clock that starts now, so it takes no real time.
"""

from __future__ import annotations

import os
import time
import uuid

import watchword


def main() -> None:
    verify = watchword.Verify("Acme Bank")
    identity = str(uuid.uuid4())
    now = int(time.time())

    # 1. Create a factor for the user: the answer alone carries the secret and key URI.
    factor = verify.create_factor(identity, "Ada's phone", now=now)
    assert factor.binding is not None
    print(f"factor {factor.sid} for {identity}: {factor.status}")
    print("scan this in an authenticator app:")
    # Drawn for a dark terminal background; make demo QR=light draws it for a light one.
    background = os.environ.get("WATCHWORD_QR_BACKGROUND", "dark")
    print(factor.binding.qr_terminal(background))
    print(f"(drawn for a {background} terminal background; switch with make demo QR=light or QR=dark)")
    print(factor.binding.uri)

    # 2. The app computes the current code from the URI.
    app = watchword.KeyUri.parse(factor.binding.uri).totp()
    code = app.generate(now)
    print(f"the app shows {code}")

    # 3. Verify the factor with that code (enrollment).
    factor = verify.verify_factor(identity, factor.sid, code, now=now)
    print(f"verify_factor: result={factor.result}, status={factor.status}")
    assert factor.status == "verified"

    # 3b. Recovery codes for the day the phone is lost: shown once, stored only as salted hashes.
    backup = verify.create_factor(identity, "Recovery codes", factor_type="recovery_codes", now=now)
    assert backup.binding is not None
    print("recovery codes (print them or save them somewhere safe; each works once):")
    for recovery_code in backup.binding.codes:
        print(f"  {recovery_code}")
    redeemed = verify.create_challenge(identity, backup.sid, auth_payload=backup.binding.codes[0], now=now)
    remaining = verify.fetch_factor(identity, backup.sid).config.remaining
    print(f"a recovery code: result={redeemed.result}; {remaining} codes remain")
    assert redeemed.result == "approved" and remaining == len(backup.binding.codes) - 1

    # 4. Thirty seconds later the user logs in: a challenge answered with the new code.
    now += 30
    code = app.generate(now)
    challenge = verify.create_challenge(identity, factor.sid, auth_payload=code, now=now)
    print(f"challenge with {code}: result={challenge.result}, status={challenge.status}")
    assert challenge.status == "approved"

    # 5. The same code again (a replay, e.g. a phished code): refused, as a result, not an error.
    replay = verify.create_challenge(identity, factor.sid, auth_payload=code, now=now + 5)
    print(f"the same code again: result={replay.result}, status={replay.status}")
    assert replay.result == "replayed" and replay.status == "pending"

    # 6. A challenge that expires: answering it after its expiration date is an error (60323).
    short = verify.create_challenge(identity, factor.sid, expiration_date=now + 60, now=now)
    later = now + 90
    try:
        verify.update_challenge(identity, short.sid, app.generate(later), now=later)
    except watchword.ChallengeExpired as err:
        print(f"late answer: {type(err).__name__} (Twilio {err.twilio_code}, HTTP {err.http_status}): {err}")
    print(f"the challenge now reads as {verify.fetch_challenge(identity, short.sid, now=later).status}")

    # 7. A host that keeps its own database exports the records and loads them elsewhere.
    entity_record = verify.fetch_entity(identity).to_record()
    factor_record = verify.fetch_factor(identity, factor.sid).to_record()
    restored = watchword.Verify("Acme Bank")
    watchword.Entity.from_record(entity_record, restored)
    moved = watchword.Factor.from_record(factor_record, restored)
    print(f"restored factor {moved.sid}: {moved.status}, {len(factor_record)} bytes of record")
    # Replay protection travels with the record: the code used in step 4 is still refused.
    again = restored.create_challenge(identity, moved.sid, auth_payload=code, now=now + 10)
    fresh = restored.create_challenge(identity, moved.sid, auth_payload=app.generate(later), now=later)
    print(f"after the move: old code {again.result}, fresh code {fresh.result}")
    assert again.result == "replayed" and fresh.result == "approved"


if __name__ == "__main__":
    main()
