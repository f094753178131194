"""RFC 4226 / RFC 6238 vectors (tests/vectors/rfc4226.json, rfc6238.json) through the Python API."""

from __future__ import annotations

from typing import Any

import pytest

import watchword
from conftest import case_id, load

HOTP = load("rfc4226.json")
TOTP = load("rfc6238.json")


def test_vector_files_are_not_empty() -> None:
    assert len(HOTP["generate"]) >= 10 and len(HOTP["verify"]) > 0 and len(HOTP["invalid"]) > 0
    assert len(TOTP["generate"]) >= 18 and len(TOTP["verify"]) > 0
    assert len(TOTP["check"]) > 0 and len(TOTP["invalid"]) > 0


def hotp(case: Any, *, base32: bool = False) -> watchword.Hotp:
    secret: bytes | str = case["secret_base32"] if base32 else bytes.fromhex(case["secret_hex"])
    return watchword.Hotp(secret, algorithm=case["algorithm"], digits=case["digits"])


def totp(case: Any, *, base32: bool = False) -> watchword.Totp:
    secret: bytes | str = case["secret_base32"] if base32 else bytes.fromhex(case["secret_hex"])
    return watchword.Totp(
        secret, algorithm=case["algorithm"], digits=case["digits"], period=case["period"], t0=int(case["t0"])
    )


@pytest.mark.parametrize("case", HOTP["generate"], ids=case_id)
def test_hotp_generate(case: Any) -> None:
    assert hotp(case).generate(int(case["counter"])) == case["code"]
    assert hotp(case, base32=True).generate(int(case["counter"])) == case["code"]


@pytest.mark.parametrize("case", HOTP["verify"], ids=case_id)
def test_hotp_verify(case: Any) -> None:
    expected = None if case["match"] is None else int(case["match"])
    assert hotp(case).verify(case["code"], int(case["counter"]), case["look_ahead"]) == expected


@pytest.mark.parametrize("case", HOTP["invalid"], ids=case_id)
def test_hotp_invalid(case: Any) -> None:
    with pytest.raises(watchword.InvalidParameter) as info:
        key = hotp(case)
        assert case["operation"] == "verify", "setting up the key should have failed"
        key.verify(case["code"], int(case["counter"]), case["look_ahead"])
    assert info.value.detail == case["error"]
    assert info.value.kind == "invalid_parameter"
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("case", TOTP["generate"], ids=case_id)
def test_totp_generate(case: Any) -> None:
    time = int(case["time"])
    for key in (totp(case), totp(case, base32=True)):
        assert key.generate(time) == case["code"]
        assert key.step(time) == int(case["step"])
        assert key.generate_step(int(case["step"])) == case["code"]


@pytest.mark.parametrize("case", TOTP["verify"], ids=case_id)
def test_totp_verify(case: Any) -> None:
    expected = None if case["match"] is None else case["match"]["offset"]
    assert totp(case).verify(case["code"], int(case["time"]), case["skew"]) == expected


@pytest.mark.parametrize("case", TOTP["check"], ids=case_id)
def test_totp_check(case: Any) -> None:
    floor = None if case["last_used_step"] is None else int(case["last_used_step"])
    got = totp(case).check(case["code"], int(case["time"]), case["skew"], floor)
    assert got.result == case["result"]
    if case["match"] is None:
        assert (got.step, got.offset) == (None, None)
    else:
        assert (got.step, got.offset) == (int(case["match"]["step"]), case["match"]["offset"])


@pytest.mark.parametrize("case", TOTP["invalid"], ids=case_id)
def test_totp_invalid(case: Any) -> None:
    op = case["operation"]
    with pytest.raises(watchword.InvalidParameter) as info:
        key = watchword.Totp(
            bytes.fromhex(case["secret_hex"]),
            algorithm=case["algorithm"],
            digits=case["digits"],
            period=case["period"],
            t0=int(case.get("t0", "0")),
        )
        assert op != "new", "setting up the key should have failed"
        time = int(case["time"])
        if op == "generate":
            key.generate(time)
        elif op == "verify":
            key.verify(case["code"], time, case["skew"])
        else:
            floor = None if case["last_used_step"] is None else int(case["last_used_step"])
            key.check(case["code"], time, case["skew"], floor)
    assert info.value.detail == case["error"]
    assert info.value.twilio_code == 60300 and info.value.http_status == 400
