"""Bad input at every entry point: a clean TypeError or ValueError (InvalidParameter is a
ValueError), never a panic, never a changed state."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import pytest

import watchword
from helpers import IDENTITY, NOW, code_for, verified_factor

KEY = b"12345678901234567890"
TOTP = watchword.Totp(KEY)
HOTP = watchword.Hotp(KEY)

NOT_STR: list[Any] = [None, 123456, 1.5, b"123456", ["123456"], object()]
NOT_INT: list[Any] = [None, "30", 1.5, b"1", True, [1], object()]


def clean(expected: type[BaseException], fn: Callable[[], object]) -> BaseException:
    """Calls fn and returns what it raised; it must be `expected`, not a panic."""
    try:
        fn()
    except BaseException as err:  # noqa: BLE001 - a PanicException is a BaseException
        assert type(err).__name__ != "PanicException", f"panic: {err}"
        assert isinstance(err, expected), f"{type(err).__name__}: {err}"
        return err
    raise AssertionError(f"{fn} raised nothing")


@pytest.mark.parametrize("value", NOT_STR[1:] + [bytearray(b"1"), 3])
def test_secret_types(value: Any) -> None:
    if isinstance(value, (bytes, str)):
        return
    clean(TypeError, lambda: watchword.Totp(value))
    clean(TypeError, lambda: watchword.Hotp(value))
    clean(TypeError, lambda: watchword.KeyUri(account="a", secret=value))


def test_secret_values() -> None:
    for bad in (b"", b"x" * 129, "", "JBSW1", "J", "!!!!", "\ud800"):
        clean(ValueError, lambda: watchword.Totp(bad))
    err = clean(watchword.InvalidParameter, lambda: watchword.Totp("JBSW Y3DP 0"))
    assert isinstance(err, watchword.InvalidParameter) and err.detail == "base32_character"


@pytest.mark.parametrize("value", NOT_INT)
def test_numeric_parameter_types(value: Any) -> None:
    if value is None:
        return
    clean(TypeError, lambda: watchword.Totp(KEY, digits=value))
    clean(TypeError, lambda: watchword.Totp(KEY, period=value))
    clean(TypeError, lambda: watchword.Hotp(KEY, digits=value))
    clean(TypeError, lambda: TOTP.verify("123456", 0, value))
    clean(TypeError, lambda: TOTP.generate_step(value))
    clean(TypeError, lambda: HOTP.generate(value))
    clean(TypeError, lambda: HOTP.verify("123456", value))
    clean(TypeError, lambda: HOTP.verify("123456", 0, value))


@pytest.mark.parametrize("value", [-1, 2**64, 2**100, -(2**70)])
def test_numeric_parameter_ranges(value: int) -> None:
    clean(ValueError, lambda: watchword.Totp(KEY, digits=value))
    clean(ValueError, lambda: watchword.Totp(KEY, period=value))
    clean(ValueError, lambda: watchword.Totp(KEY, t0=value))
    clean(ValueError, lambda: TOTP.generate(value))
    clean(ValueError, lambda: TOTP.verify("123456", value))
    clean(ValueError, lambda: TOTP.verify("123456", 0, value))
    clean(ValueError, lambda: TOTP.check("123456", 0, 1, value))
    clean(ValueError, lambda: HOTP.generate(value))
    clean(ValueError, lambda: HOTP.verify("123456", value))
    clean(ValueError, lambda: HOTP.verify("123456", 0, value))


def test_out_of_range_values_name_the_parameter() -> None:
    err = clean(watchword.InvalidParameter, lambda: TOTP.verify("123456", 0, 11))
    assert isinstance(err, watchword.WatchwordError) and err.detail == "skew"
    err = clean(watchword.InvalidParameter, lambda: TOTP.verify("123456", 0, -1))
    assert "skew" in str(err)
    err = clean(watchword.InvalidParameter, lambda: HOTP.verify("123456", 0, 1001))
    assert isinstance(err, watchword.WatchwordError) and err.detail == "look_ahead"
    clean(ValueError, lambda: watchword.Totp(KEY, algorithm="md5"))
    clean(TypeError, lambda: watchword.Totp(KEY, algorithm=1))  # type: ignore[arg-type]


@pytest.mark.parametrize("value", NOT_STR[1:])
def test_codes_must_be_str(value: Any) -> None:
    clean(TypeError, lambda: TOTP.verify(value, 0))
    clean(TypeError, lambda: TOTP.check(value, 0))
    clean(TypeError, lambda: HOTP.verify(value, 0))


@pytest.mark.parametrize(
    "code", ["", "12345", "1234567", "12345a", "１２３４５６", "755224\x00", " 755224", "\ud800" * 6, "७५५२२४", "x" * 10_000]
)
def test_malformed_codes_are_mismatches(code: str) -> None:
    assert TOTP.verify(code, 0, 10) is None
    assert TOTP.check(code, 0, 1, None).result == "invalid_code"
    assert HOTP.verify(code, 0, 10) is None


def test_times() -> None:
    aware = datetime.fromtimestamp(59, tz=timezone.utc)
    key = watchword.Totp(KEY, digits=8)
    assert key.generate(aware) == key.generate(59) == key.generate(59.9) == "94287082"
    assert key.generate(aware.astimezone(timezone(timedelta(hours=5)))) == "94287082"
    assert key.generate(None) == key.generate() == key.generate(datetime.now(timezone.utc))
    clean(ValueError, lambda: key.generate(datetime(2020, 1, 1)))  # naive: which zone?
    for bad in (math.nan, math.inf, -1.0, 1e30):
        clean(ValueError, lambda: key.generate(bad))
    for wrong in ("59", b"59", True, [59], object()):
        clean(TypeError, lambda: key.generate(wrong))
    assert key.generate(2**64 - 1) == key.generate_step((2**64 - 1) // 30)


def test_base32_functions() -> None:
    assert watchword.base32_encode(b"foobar") == "MZXW6YTBOI"
    assert watchword.base32_decode("mzxw 6ytb-oi======") == b"foobar"
    clean(TypeError, lambda: watchword.base32_encode("foobar"))  # type: ignore[arg-type]
    clean(TypeError, lambda: watchword.base32_decode(b"MZXW6YTBOI"))  # type: ignore[arg-type]
    clean(ValueError, lambda: watchword.base32_decode("MZXW6YTBO"))
    clean(ValueError, lambda: watchword.base32_decode("\ud800"))
    assert len(watchword.generate_secret()) == 20
    assert len(watchword.generate_secret("sha256")) == 32
    assert len(watchword.generate_secret("SHA-512")) == 64
    assert watchword.generate_secret() != watchword.generate_secret()
    clean(TypeError, lambda: watchword.generate_secret(1))  # type: ignore[arg-type]


def test_service_settings() -> None:
    clean(TypeError, lambda: watchword.Verify(1))  # type: ignore[arg-type]
    clean(ValueError, lambda: watchword.Verify(""))
    clean(ValueError, lambda: watchword.Verify("A:B"))
    clean(ValueError, lambda: watchword.Verify("Acme", skew=3))
    clean(ValueError, lambda: watchword.Verify("Acme", code_length=5))  # below min_code_length 6
    clean(ValueError, lambda: watchword.Verify("Acme", alg="md5"))
    clean(TypeError, lambda: watchword.Verify("Acme", skew="1"))  # type: ignore[arg-type]
    clean(TypeError, lambda: watchword.Verify("Acme", skew=True))  # type: ignore[arg-type]
    clean(TypeError, lambda: watchword.Verify("Acme", colour=1))  # type: ignore[call-arg]
    clean(ValueError, lambda: watchword.Verify("Acme", skew=-1))


def test_service_arguments_change_nothing() -> None:
    v = watchword.Verify("Acme")
    factor = verified_factor(v)
    before = v.export_factor(factor.sid)
    calls: list[tuple[type[BaseException], Callable[[], object]]] = [
        (TypeError, lambda: v.create_factor(IDENTITY, 5, now=NOW)),  # type: ignore[arg-type]
        (TypeError, lambda: v.create_factor(IDENTITY, "x", secret=5, now=NOW)),  # type: ignore[arg-type]
        (TypeError, lambda: v.create_factor(IDENTITY, "x", metadata={"a": 1}, now=NOW)),  # type: ignore[dict-item]
        (TypeError, lambda: v.create_factor(IDENTITY, "x", metadata=["a"], now=NOW)),  # type: ignore[arg-type]
        (ValueError, lambda: v.create_factor(IDENTITY, "x", secret="JBSWY3DP", now=NOW)),  # 5 bytes < 16
        (ValueError, lambda: v.create_factor(IDENTITY, "", now=NOW)),
        (TypeError, lambda: v.verify_factor(IDENTITY, factor.sid, 123456, now=NOW)),  # type: ignore[arg-type]
        (TypeError, lambda: v.update_factor(IDENTITY, factor.sid, skew="1", now=NOW)),  # type: ignore[arg-type]
        (ValueError, lambda: v.update_factor(IDENTITY, factor.sid, skew=3, now=NOW)),
        (ValueError, lambda: v.update_factor(IDENTITY, factor.sid, skew=-1, now=NOW)),
        (ValueError, lambda: v.update_factor(IDENTITY, factor.sid, code_length=2**70, now=NOW)),
        (TypeError, lambda: v.create_challenge(IDENTITY, factor.sid, auth_payload=123456, now=NOW)),  # type: ignore[arg-type]
        (TypeError, lambda: v.create_challenge(IDENTITY, factor.sid, details="hi", now=NOW)),  # type: ignore[arg-type]
        (ValueError, lambda: v.create_challenge(IDENTITY, factor.sid, details={"message": 5}, now=NOW)),  # type: ignore[typeddict-item]
        (ValueError, lambda: v.create_challenge(IDENTITY, factor.sid, expiration_date=NOW - 1, now=NOW)),
        (ValueError, lambda: v.create_challenge(IDENTITY, factor.sid, expiration_date="soon", now=NOW)),
        (ValueError, lambda: v.create_challenge(IDENTITY, factor.sid, expiration_date=datetime(2030, 1, 1), now=NOW)),
        (TypeError, lambda: v.create_challenge(IDENTITY, factor.sid, expiration_date=[1], now=NOW)),  # type: ignore[arg-type]
        (TypeError, lambda: v.fetch_factor(IDENTITY, factor.sid, now="now")),  # type: ignore[arg-type]
        (ValueError, lambda: v.fetch_factor(IDENTITY, factor.sid, now=-5)),
        (ValueError, lambda: v.fetch_factor(IDENTITY, factor.sid, now=datetime(2030, 1, 1))),
        (ValueError, lambda: v.fetch_factor(IDENTITY, "YF123")),
        (ValueError, lambda: v.list_challenges(IDENTITY, order="sideways", now=NOW)),
        (ValueError, lambda: v.list_challenges(IDENTITY, status="maybe", now=NOW)),
        (ValueError, lambda: v.import_factor("{", now=NOW)),
        (ValueError, lambda: v.import_factor(before.replace('"v":3', '"v":99'), now=NOW)),
        (TypeError, lambda: v.import_factor(b"{}", now=NOW)),  # type: ignore[arg-type]
        (ValueError, lambda: v.update_challenge(IDENTITY, "YC" + "g" * 32, "123456", now=NOW)),
    ]
    for expected, call in calls:
        clean(expected, call)
    assert v.export_factor(factor.sid) == before, "a failed call changed the record"
    # The factor still works after all that.
    later = NOW + 30
    c = v.create_challenge(IDENTITY, factor.sid, auth_payload=code_for(factor, later), now=later)
    assert c.status == "approved"
