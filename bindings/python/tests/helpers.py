"""Small helpers shared by the service tests."""

from __future__ import annotations

import os

import pytest

import watchword

NOW = 1_700_000_010  # 10 s into a 30 s step
IDENTITY = "ff483d1f-f591-898a-3f4b-94b3b8a7a4c7"


def code_for(factor: watchword.Factor, now: int, offset_steps: int = 0) -> str:
    """The code an authenticator app scanning the factor's binding would show."""
    assert factor.binding is not None
    totp = watchword.KeyUri.parse(factor.binding.uri).totp()
    return totp.generate(now + offset_steps * factor.config.time_step)


def wrong_code(factor: watchword.Factor, now: int) -> str:
    """A code that matches no step within two steps beyond the skew window."""
    assert factor.binding is not None
    totp = watchword.KeyUri.parse(factor.binding.uri).totp()
    near = {totp.generate(now + d * factor.config.time_step) for d in range(-5, 6)}
    return next(c for c in (f"{n:06d}" for n in range(1_000_000)) if c not in near)


def verified_factor(verify: watchword.Verify, identity: str = IDENTITY, now: int = NOW) -> watchword.Factor:
    """A new factor, verified with the current code; returns the creation answer (with binding)."""
    factor = verify.create_factor(identity, "Ada's phone", now=now)
    done = verify.verify_factor(identity, factor.sid, code_for(factor, now), now=now)
    assert done.status == "verified" and done.result == "approved"
    return factor


def pg_url() -> str:
    """The URL of the PostgreSQL server of `make test` (WATCHWORD_TEST_PG_URL); the test is
    skipped when WATCHWORD_TEST_PG=skip, and fails when neither is set."""
    url = os.environ.get("WATCHWORD_TEST_PG_URL")
    if not url:
        if os.environ.get("WATCHWORD_TEST_PG") == "skip":
            pytest.skip("PostgreSQL: WATCHWORD_TEST_PG=skip")
        pytest.fail("WATCHWORD_TEST_PG_URL is not set: the PostgreSQL tests need a database (WATCHWORD_TEST_PG=skip skips them)")
    return url
