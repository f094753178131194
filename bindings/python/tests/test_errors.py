"""The error hierarchy: every kind of tests/vectors/errors.json is a subclass of WatchwordError
with the right codes, raised by the operations that fail that way."""

from __future__ import annotations

import pickle
from typing import Any, Callable

import pytest

import watchword
from conftest import load
from helpers import IDENTITY, NOW, code_for, verified_factor, wrong_code

ERRORS = load("errors.json")


def class_name(kind: str) -> str:
    return "".join(word.capitalize() for word in kind.split("_"))


def test_every_kind_has_its_class_and_nothing_else() -> None:
    kinds = [k["kind"] for k in ERRORS["kinds"]]
    assert list(watchword.ERROR_KINDS) == kinds
    for kind in kinds:
        cls = getattr(watchword, class_name(kind))
        assert watchword.ERROR_KINDS[kind] is cls
        assert cls.__name__ == class_name(kind) and cls.__module__ == "watchword"
        assert issubclass(cls, watchword.WatchwordError) and issubclass(cls, Exception)
        assert class_name(kind) in watchword.__all__
    subclasses = {c.__name__ for c in watchword.WatchwordError.__subclasses__()}
    assert subclasses == {class_name(k) for k in kinds}
    assert issubclass(watchword.InvalidParameter, ValueError)
    assert not any(issubclass(watchword.ERROR_KINDS[k], ValueError) for k in kinds if k != "invalid_parameter")


@pytest.mark.parametrize("entry", ERRORS["kinds"], ids=lambda e: str(e["kind"]))
def test_kind_table(entry: Any) -> None:
    cls = watchword.ERROR_KINDS[entry["kind"]]
    assert (cls.kind, cls.twilio_code, cls.code, cls.http_status, cls.okta_code) == (
        entry["kind"],
        entry["twilio"],
        entry["twilio"],
        entry["http"],
        entry["okta"],
    )
    err = watchword._native._sample_error(entry["kind"])  # type: ignore[attr-defined]
    assert type(err) is cls
    assert err.kind == entry["kind"] and err.http_status == entry["http"] and err.okta_code == entry["okta"]
    assert err.code == err.twilio_code
    assert str(err), "every error has a message"
    if entry["kind"] != "invalid_parameter":
        assert err.twilio_code == entry["twilio"] and err.detail is None
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is cls and again.kind == err.kind and str(again) == str(err)


def test_invalid_parameter_refines_the_twilio_code() -> None:
    expected = {e["parameter"]: e["twilio"] for e in ERRORS["invalid_parameter_twilio"]}
    verify = watchword.Verify("Acme")
    with pytest.raises(watchword.InvalidParameter) as info:
        verify.create_factor("short", "phone", now=NOW)
    assert info.value.twilio_code == info.value.code == expected["identity"] == 60367
    assert info.value.detail == "parameter" and "identity" in str(info.value)
    with pytest.raises(watchword.InvalidParameter) as info:
        verify.create_factor(IDENTITY, "phone", code_length=9, now=NOW)
    assert info.value.twilio_code == expected["config.code_length"]
    with pytest.raises(watchword.InvalidParameter) as info:
        verify.create_factor(IDENTITY, "phone", alg="md5", now=NOW)
    assert info.value.twilio_code == expected["config.alg"]
    with pytest.raises(watchword.InvalidParameter) as info:
        verify.create_factor(IDENTITY, "x" * 65, now=NOW)
    assert info.value.twilio_code == expected["friendly_name"]
    with pytest.raises(watchword.InvalidParameter) as info:
        watchword.KeyUri.parse("otpauth://totp/a?issuer=b")
    assert info.value.twilio_code == expected[None] and info.value.detail == "uri_missing_secret"


def test_results_are_not_errors() -> None:
    results = [r["result"] for r in ERRORS["results"]]
    assert results == ["approved", "invalid_code", "replayed", "outside_window"]
    assert not any(hasattr(watchword, class_name(r)) for r in results)


def raises(cls: type[watchword.WatchwordError], fn: Callable[[], object]) -> watchword.WatchwordError:
    with pytest.raises(cls) as info:
        fn()
    err = info.value
    entry = next(e for e in ERRORS["kinds"] if e["kind"] == err.kind)
    assert type(err) is cls
    assert (err.twilio_code, err.http_status, err.okta_code) == (entry["twilio"], entry["http"], entry["okta"])
    return err


def test_not_found_and_exists() -> None:
    v = watchword.Verify("Acme")
    raises(watchword.EntityNotFound, lambda: v.fetch_entity(IDENTITY, now=NOW))
    v.create_entity(IDENTITY, now=NOW)
    raises(watchword.EntityAlreadyExists, lambda: v.create_entity(IDENTITY, now=NOW))
    raises(watchword.FactorNotFound, lambda: v.fetch_factor(IDENTITY, "YF" + "0" * 32, now=NOW))
    raises(watchword.ChallengeNotFound, lambda: v.fetch_challenge(IDENTITY, "YC" + "0" * 32, now=NOW))


def test_factor_limits() -> None:
    v = watchword.Verify("Acme", factors_per_entity=1)
    v.create_factor(IDENTITY, "one", now=NOW)
    raises(watchword.FactorLimitReached, lambda: v.create_factor(IDENTITY, "two", now=NOW))
    v = watchword.Verify("Acme", factor_creations_per_day=1)
    first = v.create_factor(IDENTITY, "one", now=NOW)
    v.delete_factor(IDENTITY, first.sid, now=NOW)
    raises(watchword.FactorCreationRateLimited, lambda: v.create_factor(IDENTITY, "two", now=NOW))


def test_factor_status_errors() -> None:
    v = watchword.Verify("Acme", factor_verification_attempts=1)
    factor = v.create_factor(IDENTITY, "phone", now=NOW)
    raises(watchword.FactorNotVerified, lambda: v.create_challenge(IDENTITY, factor.sid, now=NOW))
    assert v.verify_factor(IDENTITY, factor.sid, wrong_code(factor, NOW), now=NOW).result == "invalid_code"
    raises(
        watchword.FactorVerificationAttemptsReached,
        lambda: v.verify_factor(IDENTITY, factor.sid, code_for(factor, NOW), now=NOW),
    )
    good = verified_factor(v, "user-0000-0002")
    raises(watchword.IllegalFactorStatus, lambda: v.verify_factor("user-0000-0002", good.sid, "123456", now=NOW))
    stale = v.create_factor("user-0000-0003", "phone", now=NOW)
    later = NOW + 3601
    raises(watchword.IllegalFactorStatus, lambda: v.verify_factor("user-0000-0003", stale.sid, "1", now=later))


def test_challenge_errors() -> None:
    v = watchword.Verify("Acme", challenge_attempts=1, challenge_quota_hour=2)
    factor = verified_factor(v)
    now = NOW + 30
    c = v.create_challenge(IDENTITY, factor.sid, now=now)
    assert v.update_challenge(IDENTITY, c.sid, wrong_code(factor, now), now=now).result == "invalid_code"
    raises(watchword.ChallengeAttemptsReached, lambda: v.update_challenge(IDENTITY, c.sid, "000000", now=now))
    c = v.create_challenge(IDENTITY, factor.sid, auth_payload=code_for(factor, now), now=now)
    assert c.status == "approved"
    raises(watchword.ChallengeAlreadyResponded, lambda: v.update_challenge(IDENTITY, c.sid, "000000", now=now))
    raises(watchword.ChallengeCreationLimitReached, lambda: v.create_challenge(IDENTITY, factor.sid, now=now))

    v = watchword.Verify("Acme", challenge_expiration=60)
    factor = verified_factor(v)
    c = v.create_challenge(IDENTITY, factor.sid, now=NOW)
    err = raises(watchword.ChallengeExpired, lambda: v.update_challenge(IDENTITY, c.sid, "000000", now=NOW + 60))
    assert err.twilio_code == 60323 and "expired" in str(err)


def test_factor_locked() -> None:
    v = watchword.Verify("Acme", lockout_threshold=1, lockout_seconds=60)
    factor = verified_factor(v)
    now = NOW + 30
    c = v.create_challenge(IDENTITY, factor.sid, now=now)
    assert v.update_challenge(IDENTITY, c.sid, wrong_code(factor, now), now=now).result == "invalid_code"
    err = raises(watchword.FactorLocked, lambda: v.update_challenge(IDENTITY, c.sid, code_for(factor, now), now=now))
    assert err.http_status == 429 and err.twilio_code is None and err.okta_code == "E0000069"
    v.unlock_factor(IDENTITY, factor.sid, now=now)
    assert v.update_challenge(IDENTITY, c.sid, code_for(factor, now), now=now).result == "approved"


def test_primitive_errors_are_invalid_parameter() -> None:
    err = raises(watchword.InvalidParameter, lambda: watchword.base32_decode("JBSW1"))
    assert err.detail == "base32_character" and "position 5" in str(err)
    err = raises(watchword.InvalidParameter, lambda: watchword.Totp(b"k", digits=11))
    assert err.detail == "digits"
    err = raises(watchword.InvalidParameter, lambda: watchword.generate_secret("md5"))
    assert err.detail == "algorithm"


def test_errors_name_the_parameter_one_rule_per_case() -> None:
    """An out-of-range number reads the same whether it is too big or negative; a wrong type
    is a TypeError naming the argument; a lone surrogate is judged by core like any bad text."""
    v = watchword.Verify("Acme")
    caught = []
    for skew in (11, -1, 2**70):
        with pytest.raises(watchword.InvalidParameter) as info:
            v.create_factor("user-0001-abcd", "phone", skew=skew, now=1_700_000_000)
        caught.append(info.value)
    assert {(e.parameter, e.detail, e.twilio_code, str(e)) for e in caught} == {
        ("skew", "parameter", 60370, "invalid config.skew: expected an integer from 0 to 2")
    }
    with pytest.raises(watchword.InvalidParameter) as setting:
        watchword.Verify("Acme", challenge_expiration=0)
    assert setting.value.parameter == "challenge_expiration"
    with pytest.raises(TypeError) as wrong:
        v.create_factor("user-0001-abcd", "phone", code_length="8", now=1_700_000_000)  # type: ignore[arg-type]
    assert getattr(wrong.value, "parameter") == "code_length" and "code_length" in str(wrong.value)
    with pytest.raises(watchword.InvalidParameter) as surrogate:
        v.create_entity("user-\ud800-0001")
    assert surrogate.value.parameter == "identity" and str(surrogate.value).startswith("invalid identity")
    with pytest.raises(watchword.EntityNotFound) as other:
        v.fetch_entity("user-0009-abcd")
    assert other.value.parameter is None
