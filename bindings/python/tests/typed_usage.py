"""A typed tour of the public API, checked with `mypy --strict` against the stubs (make
python-stubs). It is also importable and runnable, so the annotations are honest."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional

import watchword


def primitives() -> list[str]:
    secret: bytes = watchword.generate_secret("sha256")
    text: str = watchword.base32_encode(secret)
    assert watchword.base32_decode(text) == secret
    totp = watchword.Totp(secret, algorithm="sha256", digits=8, period=30, t0=0)
    code: str = totp.generate(datetime(2030, 1, 1, tzinfo=timezone.utc))
    offset: Optional[int] = totp.verify(code, 1_893_456_000, skew=1)
    check: watchword.Check = totp.check(code, 1_893_456_000, 1, None)
    step: Optional[int] = check.step
    hotp = watchword.Hotp(text, digits=6)
    counter: Optional[int] = hotp.verify(hotp.generate(5), 0, look_ahead=10)
    uri = watchword.KeyUri(account="ada@example.com", issuer="Acme", secret=secret, algorithm=totp.algorithm)
    parsed = watchword.KeyUri.parse(uri.to_uri())
    pairs: list[tuple[str, str]] = parsed.extra
    return [code, str(offset), str(step), str(counter), parsed.kind, str(pairs), str(parsed.counter)]


def service() -> list[str]:
    verify = watchword.Verify("Acme", skew=1, challenge_expiration=120, min_secret_bytes=16)
    factor: watchword.Factor = verify.create_factor("user-0001-abcd", "phone", metadata={"os": "ios"}, now=1_700_000_000)
    binding: Optional[watchword.Binding] = factor.binding
    assert binding is not None
    code = binding.key_uri().totp().generate(1_700_000_000)
    factor = verify.verify_factor("user-0001-abcd", factor.sid, code, now=1_700_000_000)
    details: watchword.ChallengeDetails = {"message": "Log in?", "fields": [{"label": "IP", "value": "192.0.2.1"}]}
    challenge: watchword.Challenge = verify.create_challenge(
        "user-0001-abcd", factor.sid, details=details, now=1_700_000_030
    )
    expires: datetime = challenge.expiration_date
    try:
        challenge = verify.update_challenge("user-0001-abcd", challenge.sid, "000000", now=1_700_000_031)
    except watchword.ChallengeExpired as err:
        kind: str = err.kind
        status: int = err.http_status
        return [kind, str(status)]
    except watchword.WatchwordError as err:
        twilio: Optional[int] = err.twilio_code
        return [str(twilio)]
    result: Optional[str] = challenge.result
    record: str = factor.to_record()
    other = watchword.Verify("Acme")
    watchword.Entity.from_record(verify.fetch_entity("user-0001-abcd").to_record(), other)
    moved: watchword.Factor = watchword.Factor.from_record(record, other)
    listed: list[watchword.Challenge] = verify.list_challenges("user-0001-abcd", status="pending", order="desc")
    page: watchword.Page[watchword.Entity] = verify.list_entities(limit=10)
    token: Optional[str] = page.next_page_token
    more: watchword.Page[watchword.Factor] = verify.list_factors("user-0001-abcd", limit=5, page_token=token)
    shared = watchword.Verify("Acme", store="memory:", service="shop")
    namespace: str = shared.service
    swept: int = verify.sweep(now=1_700_000_040)
    config: watchword.FactorConfig = moved.config
    return [str(result), expires.isoformat(), str(len(listed)), str(swept), config.alg, str(moved.to_dict()["status"]),
            str(len(page) + len(more)), namespace]


if __name__ == "__main__":
    print(primitives())
    print(service())
