"""The Verify service through the Python API: result objects, dates, records, threads."""

from __future__ import annotations

import json
import os
import threading
from datetime import datetime, timedelta, timezone

import pytest

import watchword
from helpers import IDENTITY, NOW, code_for, verified_factor, wrong_code


def test_settings_keywords_are_core_settings() -> None:
    import inspect

    params = inspect.signature(watchword.Verify).parameters
    keywords = [p for p in params if p != "issuer"]
    sealing = ["secret_keys", "active_secret_key", "accept_plaintext_records"]
    assert keywords == ["store", "service", "alg", *watchword.SETTINGS, *sealing], "every core setting"
    ops = {name for name in dir(watchword.Verify) if not name.startswith("_")}
    assert set(watchword.OPERATIONS) <= ops, "every core operation is a Verify method"


def test_operations_are_native_methods_with_their_declared_signatures() -> None:
    import inspect

    from watchword import _service

    for op in watchword.OPERATIONS:
        method = getattr(watchword.Verify, op)
        assert type(method).__name__ == "method_descriptor", op
        declared = inspect.signature(_service._DECLARED[op])
        shown = inspect.signature(method)
        # The declaration's parameters, kinds and defaults, without the annotations.
        expected = [(p.name, p.kind, p.default) for p in list(declared.parameters.values())[1:]]
        assert [(p.name, p.kind, p.default) for p in list(shown.parameters.values())[1:]] == expected, op
        assert (method.__doc__ or "") == (inspect.getdoc(_service._DECLARED[op]) or ""), op


def test_calls_bind_as_python_methods_do() -> None:
    v = watchword.Verify("Acme")
    f = verified_factor(v)
    # Positional parameters by keyword, in any order; keyword-only ones by keyword.
    c = v.create_challenge(factor_sid=f.sid, identity=IDENTITY, now=NOW)
    assert c.status == "pending"
    cases = [
        (lambda: v.create_challenge(IDENTITY, now=NOW), "missing 1 required positional argument: 'factor_sid'"),
        (lambda: v.update_challenge(IDENTITY, now=NOW), "missing 2 required positional arguments: 'challenge_sid' and 'auth_payload'"),
        (lambda: v.create_challenge(IDENTITY, f.sid, "123456", now=NOW), "takes 3 positional arguments but 4 were given"),
        (lambda: v.create_challenge(IDENTITY, f.sid, code="123456", now=NOW), "unexpected keyword argument 'code'"),
        (lambda: v.create_challenge(IDENTITY, f.sid, identity=IDENTITY, now=NOW), "multiple values for argument 'identity'"),
        (lambda: v.sweep(NOW, now=NOW), "multiple values for argument 'now'"),
    ]
    for call, message in cases:
        with pytest.raises(TypeError, match=message):
            call()
    # None of them reached the store.
    assert [x.sid for x in v.list_challenges(IDENTITY, now=NOW)] == [c.sid]
    # The method belongs to Verify: another object is refused before anything runs.
    with pytest.raises(TypeError):
        watchword.Verify.fetch_entity(object(), IDENTITY)  # type: ignore[arg-type]
    # A default other than None is passed on as declared: order="asc".
    assert v.list_challenges(IDENTITY, now=NOW)[0].sid == c.sid


def test_operations_are_declared_once() -> None:
    from watchword import _native, _service

    with pytest.raises(ValueError, match="not an operation"):
        _native.operation(watchword.Verify, "no_such_operation", [], 0, 0, [], "")
    with pytest.raises(ValueError, match="declared before"):
        _native.operation(watchword.Verify, "fetch_entity", ["identity"], 1, 0, [], "")
    # The same declaration again gives the same method (a reloaded module).
    again = _service._native_method(watchword.Verify, _service._DECLARED["fetch_entity"])
    v = watchword.Verify("Acme")
    v.create_entity(IDENTITY, now=NOW)
    assert again(v, IDENTITY, now=NOW).identity == IDENTITY


def test_factor_lifecycle_objects() -> None:
    v = watchword.Verify("Acme Co", skew=1)
    assert v.issuer == "Acme Co" and "Acme Co" in repr(v)
    f = v.create_factor(IDENTITY, "Ada's phone", metadata={"os": "ios"}, now=NOW)
    assert f.sid.startswith("YF") and len(f.sid) == 34 and f.entity_sid.startswith("YE")
    assert (f.identity, f.friendly_name, f.status, f.factor_type) == (IDENTITY, "Ada's phone", "unverified", "totp")
    assert f.config == watchword.FactorConfig("sha1", 6, 30, 1)
    assert f.metadata == {"os": "ios"}
    assert f.date_created == datetime.fromtimestamp(NOW, tz=timezone.utc) == f.date_updated
    assert f.result is None and f.result_offset is None and not f.approved
    assert f.binding is not None
    uri = f.binding.key_uri()
    assert (uri.issuer, uri.account) == ("Acme Co", "Ada's phone")
    assert watchword.base32_encode(uri.secret) == f.binding.secret
    assert f.binding.secret not in repr(f) and f.binding.secret not in repr(f.binding)
    d = f.to_dict()
    assert d["binding"] == {"secret": f.binding.secret, "uri": f.binding.uri}
    assert d["date_created"] == datetime.fromtimestamp(NOW, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    d["friendly_name"] = "changed"
    assert f.friendly_name == "Ada's phone", "to_dict is a copy"

    fetched = v.fetch_factor(IDENTITY, f.sid, now=NOW)
    assert fetched.binding is None and "binding" not in fetched.to_dict()
    assert f.binding.secret not in json.dumps(fetched.to_dict())

    wrong = v.verify_factor(IDENTITY, f.sid, wrong_code(f, NOW), now=NOW)
    assert (wrong.status, wrong.result, wrong.result_offset, wrong.approved) == ("unverified", "invalid_code", None, False)
    slow = v.verify_factor(IDENTITY, f.sid, code_for(f, NOW, -3), now=NOW)
    assert (slow.result, slow.result_offset) == ("outside_window", -3)
    ok = v.verify_factor(IDENTITY, f.sid, code_for(f, NOW, -1), now=NOW)
    assert (ok.status, ok.result, ok.result_offset, ok.approved) == ("verified", "approved", -1, True)

    updated = v.update_factor(IDENTITY, f.sid, friendly_name="Work phone", skew=2, now=NOW + 5)
    assert updated.friendly_name == "Work phone" and updated.config.skew == 2
    assert updated.date_updated == datetime.fromtimestamp(NOW + 5, tz=timezone.utc)
    assert [x.sid for x in v.list_factors(IDENTITY)] == [f.sid]
    assert v.fetch_entity(IDENTITY).sid == f.entity_sid
    assert [e.identity for e in v.list_entities()] == [IDENTITY]
    v.delete_factor(IDENTITY, f.sid, now=NOW)
    with pytest.raises(watchword.FactorNotFound):
        v.fetch_factor(IDENTITY, f.sid)
    v.delete_entity(IDENTITY)
    assert v.list_entities() == []


def test_challenge_objects_and_dates() -> None:
    v = watchword.Verify("Acme")
    f = verified_factor(v)
    start = datetime.fromtimestamp(NOW + 30, tz=timezone.utc)
    details: watchword.ChallengeDetails = {
        "message": "Approve the transfer?",
        "fields": [{"label": "Amount", "value": "€10"}],
    }
    c = v.create_challenge(
        IDENTITY,
        f.sid,
        details=details,
        hidden_details={"ip": "192.0.2.1"},
        metadata={"k": "v"},
        expiration_date=start + timedelta(minutes=2),
        now=start,
    )
    assert c.sid.startswith("YC") and c.factor_sid == f.sid and c.identity == IDENTITY
    assert (c.status, c.responded_reason, c.factor_type, c.result) == ("pending", "none", "totp", None)
    assert c.expiration_date == start + timedelta(minutes=2)
    assert c.date_responded is None and c.date_created == start
    assert c.details == details and c.hidden_details == {"ip": "192.0.2.1"} and c.metadata == {"k": "v"}

    answered = v.update_challenge(IDENTITY, c.sid, code_for(f, NOW + 30), now=start + timedelta(seconds=5))
    assert (answered.status, answered.result, answered.result_offset) == ("approved", "approved", 0)
    assert answered.date_responded == start + timedelta(seconds=5)
    again = v.create_challenge(IDENTITY, f.sid, auth_payload=code_for(f, NOW + 30), now=start + timedelta(seconds=6))
    assert (again.status, again.result) == ("pending", "replayed")

    default = v.create_challenge(IDENTITY, f.sid, now=NOW + 37)
    assert default.expiration_date == datetime.fromtimestamp(NOW + 337, tz=timezone.utc)
    assert v.fetch_challenge(IDENTITY, default.sid, now=NOW + 337).status == "expired"
    rfc = v.create_challenge(IDENTITY, f.sid, expiration_date="2023-11-14T22:20:00Z", now=NOW + 38)
    assert rfc.to_dict()["expiration_date"] == "2023-11-14T22:20:00Z"

    listed = v.list_challenges(IDENTITY, factor_sid=f.sid, order="desc", now=NOW + 40)
    assert [x.sid for x in listed] == [rfc.sid, default.sid, again.sid, c.sid]
    assert [x.sid for x in v.list_challenges(IDENTITY, status="approved", now=NOW + 40)] == [c.sid]


def test_records_round_trip_between_services() -> None:
    v = watchword.Verify("Acme")
    f = verified_factor(v)
    c = v.create_challenge(IDENTITY, f.sid, now=NOW + 30)
    entity = v.fetch_entity(IDENTITY)
    records = (entity.to_record(), v.fetch_factor(IDENTITY, f.sid).to_record(), c.to_record())
    assert json.loads(records[1])["v"] == 3
    assert f.binding is not None and f.binding.secret in records[1], "the stored record holds the secret"

    other = watchword.Verify("Acme")
    assert watchword.Entity.from_record(records[0], other).identity == IDENTITY
    imported = watchword.Factor.from_record(records[1], other)
    assert imported.status == "verified" and imported.binding is None
    assert watchword.Challenge.from_record(records[2], other).sid == c.sid
    # Replay protection travels with the record: the enrollment code is not accepted again.
    again = other.update_challenge(IDENTITY, c.sid, code_for(f, NOW), now=NOW + 30)
    assert again.result == "replayed"
    fresh = other.update_challenge(IDENTITY, c.sid, code_for(f, NOW + 30), now=NOW + 31)
    assert fresh.approved


def test_sweep_and_unlock() -> None:
    v = watchword.Verify("Acme", unverified_factor_lifetime=60)
    v.create_factor(IDENTITY, "old", now=NOW)
    assert v.sweep(now=NOW + 59) == 0
    assert v.sweep(now=NOW + 60) == 1
    assert v.list_factors(IDENTITY) == []


def test_sixteen_threads_one_code_one_approval() -> None:
    # 15 replays are 15 failed answers: keep the lockout (10 by default) out of the way.
    v = watchword.Verify("Acme", lockout_threshold=20)
    f = verified_factor(v)
    now = NOW + 30
    code = code_for(f, now)
    challenges = [v.create_challenge(IDENTITY, f.sid, now=now).sid for _ in range(16)]
    barrier = threading.Barrier(16)
    results: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def answer(sid: str) -> None:
        try:
            barrier.wait()
            r = v.update_challenge(IDENTITY, sid, code, now=now)
            with lock:
                results.append(str(r.result))
        except BaseException as err:  # noqa: BLE001 - reported below
            with lock:
                errors.append(err)

    threads = [threading.Thread(target=answer, args=(sid,)) for sid in challenges]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(results) == ["approved"] + ["replayed"] * 15


def test_sixteen_threads_one_challenge() -> None:
    v = watchword.Verify("Acme", challenge_attempts=50, lockout_threshold=20)
    f = verified_factor(v)
    now = NOW + 30
    code = code_for(f, now)
    sid = v.create_challenge(IDENTITY, f.sid, now=now).sid
    barrier = threading.Barrier(16)
    outcomes: list[str] = []
    lock = threading.Lock()

    def answer() -> None:
        barrier.wait()
        try:
            r = v.update_challenge(IDENTITY, sid, code, now=now)
            out = str(r.result)
        except watchword.ChallengeAlreadyResponded:
            out = "already_responded"
        with lock:
            outcomes.append(out)

    threads = [threading.Thread(target=answer) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outcomes) == 16 and outcomes.count("approved") == 1
    assert set(outcomes) <= {"approved", "replayed", "already_responded"}


def test_dates_beyond_datetime() -> None:
    v = watchword.Verify("Acme")
    with pytest.raises(watchword.InvalidParameter, match="now"):
        v.create_factor(IDENTITY, "x", now=2**64 - 1)
    last = 253_402_300_799  # 9999-12-31T23:59:59Z, the latest time the service accepts
    f = v.create_factor(IDENTITY, "x", now=last)
    assert f.date_created == datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc)
    assert v.verify_factor(IDENTITY, f.sid, code_for(f, last), now=last).approved
    c = v.create_challenge(IDENTITY, f.sid, now=last)
    assert c.to_dict()["expiration_date"].startswith("10000-")
    with pytest.raises(ValueError, match="beyond what datetime can hold"):
        c.expiration_date


def test_store_settings() -> None:
    """A malformed store URL is an InvalidParameter, a store that cannot be opened a Storage
    error; neither message repeats the URL (it may hold a password)."""
    with pytest.raises(watchword.InvalidParameter) as bad:
        watchword.Verify("Acme", store="mongodb://user:hunter2@db/x")
    assert "store" in str(bad.value) and "hunter2" not in str(bad.value) and "mongodb" not in str(bad.value)
    with pytest.raises(watchword.Storage) as unopenable:
        watchword.Verify("Acme", store="sqlite:////nonexistent-watchword-dir/sub/hunter2.db")
    assert unopenable.value.http_status == 500 and "hunter2" not in str(unopenable.value)
    with pytest.raises(watchword.InvalidParameter):
        watchword.Verify("Acme", service="no spaces")
    with pytest.raises(TypeError):
        watchword.Verify("Acme", store=7)  # type: ignore[arg-type]
    v = watchword.Verify("Acme", store="memory:", service="shop")
    assert v.service == "shop" and watchword.Verify("Acme").service == "default"
    assert "shop" in repr(v)


def test_pages() -> None:
    v = watchword.Verify("Acme")
    identities = [f"page-{i:04d}-user" for i in range(5)]
    for i, identity in enumerate(identities):
        v.create_entity(identity, now=NOW + i)
    first = v.list_entities(limit=2)
    assert isinstance(first, watchword.Page) and isinstance(first, list)
    assert [e.identity for e in first] == identities[:2] and first.next_page_token is not None
    seen = list(first)
    page = first
    while page.next_page_token is not None:
        page = v.list_entities(limit=2, page_token=page.next_page_token)
        seen.extend(page)
    assert [e.identity for e in seen] == identities
    assert page.next_page_token is None and len(page) == 1
    # A page equals a list of the same items; two pages are equal only with the same token.
    assert v.list_entities(limit=2) == first and first == list(first)
    assert first != watchword.Page(first, None)
    assert "next_page_token=" in repr(first)
    with pytest.raises(watchword.InvalidParameter):
        v.list_entities(limit=0)
    with pytest.raises(watchword.InvalidParameter):
        v.list_factors(identities[0], page_token="not a token")
    with pytest.raises(TypeError):
        v.list_challenges(identities[0], limit="2")  # type: ignore[arg-type]


def test_forked_processes_draw_different_sids() -> None:
    """Sids come from the operating system on every draw: a parent and a child forked after
    it drew sids (gunicorn --preload) never draw the same ones."""
    v = watchword.Verify("Acme")
    v.create_entity("user-0000-warm", now=NOW)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            sids = [v.create_entity(f"user-{i:04d}-fork", now=NOW).sid for i in range(15)]
            os.write(write_end, "\n".join(sids).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        child = pipe.read().split("\n")
    os.waitpid(pid, 0)
    parent = [v.create_entity(f"user-{i:04d}-fork", now=NOW).sid for i in range(15)]
    assert len(child) == 15
    assert not set(parent) & set(child)


def test_recovery_codes_are_shown_once_and_counted() -> None:
    v = watchword.Verify("Acme", recovery_code_iterations=1000)
    f = v.create_factor(IDENTITY, "backup", factor_type="recovery_codes", count=4, now=NOW)
    assert (f.status, f.factor_type) == ("verified", "recovery_codes")
    assert f.binding is not None and len(f.binding.codes) == 4
    assert all(len(c) == 11 and c[5] == "-" for c in f.binding.codes)
    assert (f.binding.secret, f.binding.uri) == ("", "")
    assert "codes=<hidden>" in repr(f.binding) and f.binding.codes[0] not in repr(f)
    assert (f.config.count, f.config.remaining) == (4, 4)
    assert f.to_dict()["config"] == {"count": 4, "remaining": 4}
    assert f.to_dict()["binding"] == {"codes": f.binding.codes}
    c = v.create_challenge(IDENTITY, f.sid, auth_payload=f.binding.codes[0].upper(), now=NOW + 1)
    assert (c.status, c.result, c.factor_type) == ("approved", "approved", "recovery_codes")
    again = v.create_challenge(IDENTITY, f.sid, auth_payload=f.binding.codes[0], now=NOW + 2)
    assert (again.status, again.result) == ("pending", "replayed")
    fetched = v.fetch_factor(IDENTITY, f.sid)
    assert fetched.binding is None and (fetched.config.count, fetched.config.remaining) == (4, 3)
    record = fetched.to_record()
    assert all(code not in record for code in f.binding.codes), "the record holds hashes only"
    new = v.update_factor(IDENTITY, f.sid, regenerate=True, now=NOW + 3)
    assert new.binding is not None and len(new.binding.codes) == 4 and new.config.remaining == 4
    old = v.create_challenge(IDENTITY, f.sid, auth_payload=f.binding.codes[1], now=NOW + 4)
    assert old.result == "invalid_code", "regenerate kills the old set"
    assert v.create_challenge(IDENTITY, f.sid, auth_payload=new.binding.codes[1], now=NOW + 5).approved
    totp = v.create_factor(IDENTITY, "phone", now=NOW)
    assert totp.config.count is None and totp.config.remaining is None
    assert totp.binding is not None and totp.binding.codes == []
    with pytest.raises(watchword.InvalidParameter):
        v.update_factor(IDENTITY, totp.sid, regenerate=True, now=NOW)
