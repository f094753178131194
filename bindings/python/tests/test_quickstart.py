"""examples/quickstart.py runs the whole flow and says what happened at each step."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT


def test_quickstart_runs() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    assert "otpauth://totp/Acme%20Bank:" in out
    assert "verify_factor: result=approved, status=verified" in out
    assert "result=approved, status=approved" in out
    assert "the same code again: result=replayed, status=pending" in out
    assert "late answer: ChallengeExpired (Twilio 60323, HTTP 403)" in out
    assert "the challenge now reads as expired" in out
    assert "after the move: old code replayed, fresh code approved" in out
