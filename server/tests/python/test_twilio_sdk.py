"""The official `twilio` SDK (pinned in requirements-dev.txt) against `watchword serve`, with
only its base URL and credentials changed: Twilio's Verify TOTP quickstart and its answers."""

from __future__ import annotations

import datetime as dt
import os
import time

import pyotp
import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from conftest import ACCOUNT_SID, AUTH_TOKEN, Server, start, stop

IDENTITY = "ff483d1ff591898a9942916050d2ca3f"


def client_for(server: Server, token: str = AUTH_TOKEN) -> Client:
    client = Client(ACCOUNT_SID, token)
    client.verify.base_url = server.base_url
    return client


def test_the_seed_quickstart(server: Server) -> None:
    client = client_for(server)
    service = client.verify.v2.services.create(friendly_name="Acme", totp_issuer="Acme Inc")
    assert service.sid.startswith("VA") and len(service.sid) == 34
    assert service.account_sid == ACCOUNT_SID
    assert service.totp == {"issuer": "Acme Inc", "time_step": 30, "code_length": 6, "skew": 1}
    entity = client.verify.v2.services(service.sid).entities(IDENTITY)

    # Register a user and a TOTP seed.
    new_factor = entity.new_factors.create(friendly_name="Taylor's Account Name", factor_type="totp")
    assert new_factor.status == "unverified"
    assert new_factor.binding is not None
    secret = new_factor.binding["secret"]
    assert new_factor.binding["uri"].startswith("otpauth://totp/Acme%20Inc:")
    totp = pyotp.TOTP(secret)

    # Verify the factor with a code computed from the returned secret.
    factor = entity.factors(new_factor.sid).update(auth_payload=totp.now())
    assert factor.status == "verified"
    assert factor.config["time_step"] == 30
    fetched = entity.factors(new_factor.sid).fetch()
    assert fetched.status == "verified" and fetched.friendly_name == "Taylor's Account Name"

    # Validate a token: a challenge with the next code is approved.
    code = totp.at(int(time.time()) + 30)
    challenge = entity.challenges.create(
        auth_payload=code,
        factor_sid=new_factor.sid,
        details_message="Hi! Would you like to sign in?",
        details_fields=[{"label": "Action", "value": "Sign in to the portal"}],
        hidden_details={"ip": "172.168.1.234"},
    )
    assert challenge.status == "approved"
    assert challenge.details["fields"] == [{"label": "Action", "value": "Sign in to the portal"}]
    assert challenge.hidden_details == {"ip": "172.168.1.234"}
    assert isinstance(challenge.date_responded, dt.datetime)

    # The same code again: not approved (the challenge stays pending); answering the approved
    # challenge again is Twilio's 60322.
    again = entity.challenges.create(auth_payload=code, factor_sid=new_factor.sid)
    assert again.status == "pending"
    with pytest.raises(TwilioRestException) as answered:
        entity.challenges(challenge.sid).update(auth_payload=code)
    assert (answered.value.status, answered.value.code) == (403, 60322)

    # A wrong code on a pending challenge leaves it pending.
    wrong = entity.challenges(again.sid).update(auth_payload="000000" if code != "000000" else "111111")
    assert wrong.status == "pending"


def test_an_expired_challenge(server: Server) -> None:
    client = client_for(server)
    service = client.verify.v2.services.create(friendly_name="Acme")
    entity = client.verify.v2.services(service.sid).entities(IDENTITY)
    new_factor = entity.new_factors.create(friendly_name="phone", factor_type="totp")
    totp = pyotp.TOTP(new_factor.binding["secret"])
    entity.factors(new_factor.sid).update(auth_payload=totp.now())
    soon = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(seconds=2)
    challenge = entity.challenges.create(factor_sid=new_factor.sid, expiration_date=soon)
    assert challenge.status == "pending"
    assert challenge.expiration_date == soon
    time.sleep(3.2)
    assert entity.challenges(challenge.sid).fetch().status == "expired"
    with pytest.raises(TwilioRestException) as expired:
        entity.challenges(challenge.sid).update(auth_payload=totp.at(int(time.time()) + 30))
    assert (expired.value.status, expired.value.code) == (403, 60323)
    assert [c.status for c in entity.challenges.list(status="expired")] == ["expired"]


def test_listing_with_paging(server: Server) -> None:
    client = client_for(server)
    service = client.verify.v2.services.create(friendly_name="Acme")
    entity = client.verify.v2.services(service.sid).entities(IDENTITY)
    new_factor = entity.new_factors.create(friendly_name="phone", factor_type="totp")
    entity.factors(new_factor.sid).update(auth_payload=pyotp.TOTP(new_factor.binding["secret"]).now())
    created = {entity.challenges.create(factor_sid=new_factor.sid).sid for _ in range(5)}
    # page_size 2: the SDK follows next_page_url through three pages.
    listed = [c.sid for c in entity.challenges.list(page_size=2)]
    assert len(listed) == 5 and set(listed) == created
    page = entity.challenges.page(page_size=2)
    assert len(list(page)) == 2 and page.next_page_url is not None
    assert page.next_page_url.startswith(server.base_url)
    assert [c.sid for c in entity.challenges.list(order="desc", limit=1)] == [listed[-1]]
    assert len(entity.factors.list()) == 1
    assert [e.identity for e in client.verify.v2.services(service.sid).entities.list()] == [IDENTITY]
    assert service.sid in {s.sid for s in client.verify.v2.services.list(page_size=1)}


def test_wrong_or_missing_credentials(server: Server) -> None:
    client = client_for(server, token="wrong-token-000000000")
    with pytest.raises(TwilioRestException) as denied:
        client.verify.v2.services.create(friendly_name="Acme")
    assert (denied.value.status, denied.value.code) == (401, 20003)
    answer = requests.get(f"{server.base_url}/v2/Services", timeout=10)
    assert answer.status_code == 401
    assert answer.json()["code"] == 20003
    assert client_for(server).verify.v2.services.list() == [], "nothing was written"


def test_unknown_paths_and_malformed_bodies(server: Server) -> None:
    auth = (ACCOUNT_SID, AUTH_TOKEN)
    answer = requests.get(f"{server.base_url}/v2/Nowhere", auth=auth, timeout=10)
    assert answer.status_code == 404 and answer.json()["code"] == 20404
    answer = requests.get(f"{server.base_url}/2010-04-01/Accounts", auth=auth, timeout=10)
    assert answer.status_code == 404 and answer.json()["status"] == 404
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    answer = requests.post(f"{server.base_url}/v2/Services", data=b"FriendlyName=%zz", headers=form, auth=auth, timeout=10)
    assert answer.status_code == 400 and answer.json()["code"] == 60306
    answer = requests.post(f"{server.base_url}/v2/Services", json={"FriendlyName": "Acme"}, auth=auth, timeout=10)
    assert answer.status_code == 400
    with pytest.raises(TwilioRestException) as bad:
        client_for(server).verify.v2.services.create(friendly_name="Acme", totp_time_step=61)
    assert (bad.value.status, bad.value.code) == (400, 60306)
    assert client_for(server).verify.v2.services.list() == [], "nothing was written"


def test_an_api_key_authenticates_too() -> None:
    key, secret = "SK" + "fedcba9876543210" * 2, "api-key-secret-0123456789"
    os.environ["WATCHWORD_TWILIO_API_KEY"], os.environ["WATCHWORD_TWILIO_API_SECRET"] = key, secret
    try:
        server = start("memory:")
    finally:
        del os.environ["WATCHWORD_TWILIO_API_KEY"], os.environ["WATCHWORD_TWILIO_API_SECRET"]
    try:
        client = Client(key, secret, ACCOUNT_SID)
        client.verify.base_url = server.base_url
        assert client.verify.v2.services.create(friendly_name="Acme").account_sid == ACCOUNT_SID
        wrong = Client(key, "not-the-secret-000000", ACCOUNT_SID)
        wrong.verify.base_url = server.base_url
        with pytest.raises(TwilioRestException) as denied:
            wrong.verify.v2.services.create(friendly_name="Acme")
        assert denied.value.status == 401
    finally:
        assert stop(server) == 0
