"""Cross-check against a peer implementation, pyotp: random secrets, times, algorithms and
digits give the same codes, and key URIs travel both ways."""

from __future__ import annotations

import hashlib
import random
from urllib.parse import quote

import pyotp

import watchword

CASES = 2_000
ALGORITHMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha512": hashlib.sha512}


def test_generate_matches_pyotp() -> None:
    rng = random.Random(20240229)
    for _ in range(CASES):
        algorithm = rng.choice(list(ALGORITHMS))
        digits = rng.randint(6, 8)
        period = rng.choice([30, 30, 60, 20])
        secret = rng.randbytes(rng.choice([16, 20, 32, 64, rng.randint(14, 128)]))  # pyotp wants 112 bits
        when = rng.randint(0, 2**34)
        ours = watchword.Totp(secret, algorithm=algorithm, digits=digits, period=period)
        peer = pyotp.TOTP(watchword.base32_encode(secret), digits=digits, digest=ALGORITHMS[algorithm], interval=period)
        assert ours.generate(when) == peer.at(when), (algorithm, digits, period, secret.hex(), when)
        # Base32 in either direction agrees too.
        assert watchword.base32_decode(peer.secret) == secret


def test_verify_agrees_with_pyotp_windows() -> None:
    rng = random.Random(7)
    for _ in range(300):
        secret = rng.randbytes(20)
        when = rng.randint(10**9, 2 * 10**9)
        ours = watchword.Totp(secret)
        peer = pyotp.TOTP(watchword.base32_encode(secret))
        for offset in (-2, -1, 0, 1, 2):
            code = peer.at(when, counter_offset=offset)
            matched = ours.verify(code, when, 1)
            assert (matched is not None) == peer.verify(code, for_time=when, valid_window=1)
            if matched is not None and abs(offset) <= 1:
                # The same code can repeat at an adjacent step; then the nearest step wins.
                assert abs(matched) <= abs(offset)


def test_hotp_matches_pyotp() -> None:
    rng = random.Random(99)
    for _ in range(300):
        secret = rng.randbytes(20)
        counter = rng.randint(0, 2**40)
        digits = rng.randint(6, 8)
        ours = watchword.Hotp(secret, digits=digits)
        peer = pyotp.HOTP(watchword.base32_encode(secret), digits=digits)
        assert ours.generate(counter) == peer.at(counter)


def test_our_uris_parse_in_pyotp() -> None:
    rng = random.Random(5)
    for i in range(200):
        algorithm = rng.choice(list(ALGORITHMS))
        digits = rng.randint(6, 8)
        secret = rng.randbytes(20)
        issuer = rng.choice(["Acme", "ACME Co", "Ex ample & Sons", "Zürich Bank"])
        account = rng.choice(["alice@example.com", "bob", "John’s Account Name", f"user {i}"])
        uri = watchword.KeyUri(
            issuer=issuer, account=account, secret=secret, algorithm=algorithm, digits=digits, period=30
        ).to_uri()
        parsed = pyotp.parse_uri(uri)
        assert isinstance(parsed, pyotp.TOTP)
        assert parsed.issuer == issuer and parsed.name == account
        assert parsed.digits == digits and parsed.interval == 30
        assert parsed.digest().name == ALGORITHMS[algorithm]().name
        assert parsed.at(1_700_000_000) == watchword.Totp(secret, algorithm=algorithm, digits=digits).generate(1_700_000_000)


def test_pyotp_uris_parse_in_watchword() -> None:
    rng = random.Random(6)
    for i in range(200):
        digits = rng.randint(6, 8)
        algorithm = rng.choice(list(ALGORITHMS))
        secret = pyotp.random_base32()
        issuer = rng.choice(["Acme", "ACME Co", "Zürich Bank"])
        account = rng.choice(["alice@example.com", "bob", f"user {i}"])
        totp = pyotp.TOTP(secret, digits=digits, digest=ALGORITHMS[algorithm], issuer=issuer, name=account)
        uri = watchword.KeyUri.parse(totp.provisioning_uri())
        assert (uri.kind, uri.issuer, uri.account, uri.digits, uri.algorithm) == ("totp", issuer, account, digits, algorithm)
        assert uri.secret == watchword.base32_decode(secret)
        assert uri.totp().generate(1_234_567_890) == totp.at(1_234_567_890)
    hotp = pyotp.HOTP(pyotp.random_base32(), initial_count=42).provisioning_uri(name="carol", issuer_name="Acme")
    parsed = watchword.KeyUri.parse(hotp)
    assert (parsed.kind, parsed.counter, parsed.account, parsed.issuer) == ("hotp", 42, "carol", "Acme")
    assert quote("Acme") in hotp
