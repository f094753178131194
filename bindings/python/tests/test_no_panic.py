"""Random input at the parsers and at every service operation: answers or WatchwordError, never
a panic (pyo3's PanicException) and never another exception."""

from __future__ import annotations

import pathlib
import random
import re
from typing import Any

import pytest

import watchword
from helpers import IDENTITY, NOW, verified_factor

ALPHABET = "otpauth:/?&=%3Atotphotp secret issuer algorithm digits period counter GEZDGNBV7 :-_é\x00\ud800"


def noise(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, n)))


def test_parsers_never_panic() -> None:
    rng = random.Random(11)
    base = "otpauth://totp/Acme:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Acme&digits=6&period=30"
    for _ in range(3000):
        cut = rng.randint(0, len(base))
        text = base[:cut] + noise(rng, 12) + base[cut + rng.randint(0, 5) :]
        for fn in (watchword.KeyUri.parse, watchword.base32_decode):
            try:
                fn(text)
            except watchword.InvalidParameter:
                pass
            except UnicodeEncodeError:
                # A lone surrogate cannot be UTF-8: Python refuses it before watchword sees it.
                assert "\ud800" in text


def json_value(rng: random.Random, depth: int = 0) -> Any:
    choice = rng.randint(0, 9 if depth < 2 else 5)
    if choice == 0:
        return None
    if choice == 1:
        return rng.choice([True, False])
    if choice == 2:
        return rng.choice([0, 1, -1, 6, 30, 2**53, 2**64, -(2**63), 1_700_000_000])
    if choice == 3:
        return rng.choice([0.5, -1.5, 1e300])
    if choice in (4, 5):
        return rng.choice(["", "user-0001-abcd", "YF" + "0" * 32, "123456", "sha1", "asc", "x" * 300, noise(rng, 8)])
    if choice in (6, 7):
        return [json_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    keys = ["identity", "friendly_name", "factor_sid", "challenge_sid", "code", "auth_payload", "secret",
            "alg", "code_length", "time_step", "skew", "metadata", "details", "hidden_details",
            "expiration_date", "status", "order", "record", "message", "fields", "label", "value"]
    return {rng.choice(keys): json_value(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def test_service_operations_never_panic() -> None:
    rng = random.Random(12)
    v = watchword.Verify("Acme")
    factor = verified_factor(v)
    real = {"identity": IDENTITY, "factor_sid": factor.sid}
    for _ in range(4000):
        op = rng.choice(list(watchword.OPERATIONS) + ["nope", ""])
        args = json_value(rng)
        if isinstance(args, dict) and rng.random() < 0.5:
            args = {**real, **args}
        now = rng.choice([None, 0, NOW, 2**63, 2**64 - 1])
        try:
            v.call(op, args, now=now)
        except watchword.WatchwordError:
            pass
        except UnicodeEncodeError:
            assert "\ud800" in repr(args)
    # The verified factor is still usable.
    assert v.fetch_factor(IDENTITY, factor.sid, now=NOW).status == "verified"


def test_a_panic_reaches_python_as_a_watchword_error() -> None:
    """A bug that panics is a WatchwordError (an Exception), never pyo3's PanicException (a
    BaseException that escapes `except Exception`)."""
    with pytest.raises(watchword.WatchwordError) as caught:
        watchword._native._panic_for_tests()
    assert caught.value.kind == "internal" and caught.value.http_status == 500
    assert "a deliberate panic" in str(caught.value)
    assert isinstance(caught.value, Exception)


def test_every_binding_function_runs_inside_the_guard() -> None:
    """Every #[pymethods] method and #[pyfunction] that can fail runs its body in
    errors::guard, so no panic reaches Python as a PanicException."""
    src = pathlib.Path(__file__).resolve().parent.parent / "src"
    unguarded = []
    checked = 0
    for path in sorted(src.glob("*.rs")):
        text = path.read_text()
        # Each function signature that returns PyResult, up to its opening brace, and the
        # first statement of its body.
        for m in re.finditer(r"\n(\s*)(?:pub(?:\(crate\))? )?fn (\w+)(?:<[^>]*>)?\(([^{]*?)\)\s*->\s*PyResult<[^{]*\{\n\s*(.*)", text):
            name, first = m.group(2), m.group(4)
            before = text[: m.start()]
            attributes = []
            for line in reversed(before.split("\n")):
                if not line.strip().startswith(("#[", "///")):
                    break
                attributes.append(line.strip())
            in_methods = before.rfind("#[pymethods]") > before.rfind("\n}")
            exported = in_methods or "#[pyfunction]" in attributes
            if not exported or name in ("from_core", "guard"):
                continue
            checked += 1
            if not first.startswith("guard(||"):
                unguarded.append(f"{path.name}: {name}")
    assert checked >= 25, f"only {checked} binding functions found"
    assert not unguarded, f"binding functions outside the guard: {unguarded}"
