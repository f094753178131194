"""Sealed records through the Python API: the key ring keywords, reseal, key generation."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import watchword
from helpers import IDENTITY, NOW, code_for, verified_factor


def test_generated_keys_are_32_fresh_bytes() -> None:
    key = watchword.generate_secret_key()
    assert isinstance(key, bytes) and len(key) == 32
    assert key != watchword.generate_secret_key()


def test_a_sqlite_file_of_sealed_records_holds_no_secret_and_keys_rotate(tmp_path: Path) -> None:
    k1, k2 = watchword.generate_secret_key(), watchword.generate_secret_key()
    url = f"sqlite:///{tmp_path / 'sealed.db'}"
    old = watchword.Verify("Acme", store=url, secret_keys={"2026-11": k1}, active_secret_key="2026-11")
    factor = old.create_factor(IDENTITY, "Ada-sealed-phone", metadata={"os": "Plan9-meta"}, now=NOW)
    assert factor.binding is not None
    secret = factor.binding.secret
    done = old.verify_factor(IDENTITY, factor.sid, code_for(factor, NOW), now=NOW)
    assert done.result == "approved"
    rows = sqlite3.connect(tmp_path / "sealed.db").execute("SELECT data FROM records").fetchall()
    dump = "\n".join(r[0] for r in rows)
    for hidden in (secret, "Ada-sealed-phone", "Plan9-meta", "last_used_step"):
        assert hidden not in dump
    assert '"kid":"2026-11"' in dump
    export = old.export_factor(factor.sid)
    assert secret not in export and '"v":4' in export
    # Rotation: k2 active with k1 still read, reseal, then k2 alone reads everything.
    both = watchword.Verify("Acme", store=url, secret_keys={"2026-11": k1, "2026-12": k2}, active_secret_key="2026-12")
    assert both.fetch_factor(IDENTITY, factor.sid).friendly_name == "Ada-sealed-phone"
    assert both.reseal() == 2
    assert both.reseal() == 0
    new = watchword.Verify("Acme", store=url, secret_keys={"2026-12": k2}, active_secret_key="2026-12")
    assert new.fetch_factor(IDENTITY, factor.sid).metadata == {"os": "Plan9-meta"}
    with pytest.raises(watchword.Storage) as err:
        old.fetch_factor(IDENTITY, factor.sid)
    assert '"2026-12", which is not in the key ring' in str(err.value)
    assert k1.hex() not in str(err.value) and k2.hex() not in str(err.value)


def test_plain_records_need_accept_plaintext_records(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'plain.db'}"
    factor = verified_factor(watchword.Verify("Acme", store=url))
    keys = {"k1": watchword.generate_secret_key()}
    strict = watchword.Verify("Acme", store=url, secret_keys=keys, active_secret_key="k1")
    with pytest.raises(watchword.Storage, match="is not sealed"):
        strict.fetch_factor(IDENTITY, factor.sid)
    migrating = watchword.Verify(
        "Acme", store=url, secret_keys=keys, active_secret_key="k1", accept_plaintext_records=True
    )
    assert migrating.reseal() == 2
    assert strict.fetch_factor(IDENTITY, factor.sid).status == "verified"


def test_bad_key_rings_are_refused() -> None:
    with pytest.raises(watchword.InvalidParameter, match="secret_keys"):
        watchword.Verify("Acme", secret_keys={"k1": b"short"}, active_secret_key="k1")
    with pytest.raises(watchword.InvalidParameter, match="active_secret_key"):
        watchword.Verify("Acme", secret_keys={"k1": bytes(32)})
    with pytest.raises(TypeError):
        watchword.Verify("Acme", accept_plaintext_records="yes")  # type: ignore[arg-type]
    v = watchword.Verify("Acme", secret_keys={"k1": bytes(32)}, active_secret_key="k1")
    assert v.reseal() == 0, "the memory store keeps records typed"
