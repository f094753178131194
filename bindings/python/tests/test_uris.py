"""otpauth:// key URIs (tests/vectors/uris.json) and the KeyUri API."""

from __future__ import annotations

from typing import Any

import pytest

import watchword
from conftest import case_id, load

URIS = load("uris.json")


def fields_of(uri: watchword.KeyUri) -> dict[str, Any]:
    return {
        "kind": uri.kind,
        "issuer": uri.issuer,
        "account": uri.account,
        "secret_base32": watchword.base32_encode(uri.secret),
        "algorithm": uri.algorithm,
        "digits": uri.digits,
        "period": uri.period,
        "counter": None if uri.counter is None else str(uri.counter),
        "extra": [list(pair) for pair in uri.extra],
    }


def build(fields: Any) -> watchword.KeyUri:
    return watchword.KeyUri(
        kind=fields["kind"],
        issuer=fields["issuer"],
        account=fields["account"],
        secret=fields["secret_base32"],
        algorithm=fields["algorithm"],
        digits=fields["digits"],
        period=fields["period"],
        counter=None if fields["counter"] is None else int(fields["counter"]),
        extra=[tuple(pair) for pair in fields["extra"]],
    )


def test_vector_file_is_not_empty() -> None:
    assert len(URIS["parse"]) > 20 and len(URIS["build"]) > 5


@pytest.mark.parametrize("case", URIS["parse"], ids=case_id)
def test_parse(case: Any) -> None:
    if "error" in case:
        with pytest.raises(watchword.InvalidParameter) as info:
            watchword.KeyUri.parse(case["uri"])
        assert info.value.detail == case["error"]
    else:
        uri = watchword.KeyUri.parse(case["uri"])
        assert fields_of(uri) == case["expect"]
        # parse(build(x)) == x
        assert watchword.KeyUri.parse(uri.to_uri()) == uri


@pytest.mark.parametrize("case", URIS["build"], ids=case_id)
def test_build(case: Any) -> None:
    if "error" in case:
        with pytest.raises(watchword.InvalidParameter) as info:
            build(case["fields"]).to_uri()
        assert info.value.detail == case["error"]
    else:
        uri = build(case["fields"])
        assert uri.to_uri() == case["uri"]
        expected = dict(case["fields"], secret_base32=watchword.base32_encode(watchword.base32_decode(case["fields"]["secret_base32"])))
        assert fields_of(watchword.KeyUri.parse(case["uri"])) == expected


def test_keyword_constructor_defaults_and_attributes() -> None:
    uri = watchword.KeyUri(account="alice@example.com", issuer="Acme Co", secret=b"12345678901234567890")
    assert (uri.kind, uri.algorithm, uri.digits, uri.period, uri.counter, uri.extra) == ("totp", "sha1", 6, 30, None, [])
    assert uri.secret == b"12345678901234567890"
    assert uri.to_uri() == (
        "otpauth://totp/Acme%20Co:alice%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        "&issuer=Acme%20Co&algorithm=SHA1&digits=6&period=30"
    )
    assert "GEZDGNBV" not in repr(uri), "the secret never shows in repr"
    assert uri == watchword.KeyUri.parse(uri.to_uri())
    assert uri != watchword.KeyUri(account="bob", secret=b"12345678901234567890")


def test_extra_parameters_as_mapping_and_pairs() -> None:
    a = watchword.KeyUri(account="alice", secret="JBSWY3DPEHPK3PXP", extra={"image": "https://x/y.png"})
    b = watchword.KeyUri(account="alice", secret="JBSWY3DPEHPK3PXP", extra=[("image", "https://x/y.png")])
    assert a == b and a.extra == [("image", "https://x/y.png")]
    assert a.to_uri().endswith("&image=https%3A%2F%2Fx%2Fy.png")


def test_uri_to_totp_and_hotp() -> None:
    uri = watchword.KeyUri(account="a", secret=b"12345678901234567890", digits=8, algorithm="SHA256")
    assert uri.totp().generate(59) == watchword.Totp(b"12345678901234567890", digits=8, algorithm="sha256").generate(59)
    with pytest.raises(watchword.InvalidParameter):
        uri.hotp()
    h = watchword.KeyUri.parse("otpauth://hotp/Acme:a?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=7")
    assert h.counter == 7 and h.hotp().generate(0) == "755224"
    with pytest.raises(watchword.InvalidParameter):
        h.totp()


def test_constructor_validates() -> None:
    with pytest.raises(watchword.InvalidParameter) as info:
        watchword.KeyUri(account="a:b", secret=b"12345678901234567890")
    assert info.value.detail == "uri_colon"
    with pytest.raises(watchword.InvalidParameter) as info:
        watchword.KeyUri(account="a", secret=b"12345678901234567890", kind="hotp")
    assert info.value.detail == "uri_counter"
    with pytest.raises(watchword.InvalidParameter):
        watchword.KeyUri(account="a", secret=b"12345678901234567890", kind="motp")
    with pytest.raises(TypeError):
        watchword.KeyUri(account=5, secret=b"12345678901234567890")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        watchword.KeyUri.parse(b"otpauth://totp/a?secret=JBSWY3DPEHPK3PXP")  # type: ignore[arg-type]
