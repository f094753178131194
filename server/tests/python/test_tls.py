"""`watchword serve --tls-cert --tls-key`: HTTPS with rustls, and the Twilio SDK over it."""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from twilio.rest import Client

from conftest import ACCOUNT_SID, AUTH_TOKEN, Server, start, stop


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[Server, Path]]:
    cert, key = self_signed(tmp_path)
    server = start("memory:", ["--tls-cert", str(cert), "--tls-key", str(key)], url_scheme="https")
    try:
        yield server, cert
    finally:
        assert stop(server) == 0


def test_https_with_the_sdk(tls_server: tuple[Server, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    server, cert = tls_server
    assert requests.get(f"{server.base_url}/healthz", verify=str(cert), timeout=10).text == "ok\n"
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{server.base_url}/healthz", timeout=10)  # not trusted without the certificate
    plain = server.base_url.replace("https://", "http://")
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"{plain}/healthz", timeout=10)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    client = Client(ACCOUNT_SID, AUTH_TOKEN)
    client.verify.base_url = server.base_url
    service = client.verify.v2.services.create(friendly_name="Acme")
    assert service.url == f"{server.base_url}/v2/Services/{service.sid}"
    assert [s.sid for s in client.verify.v2.services.list()] == [service.sid]


def test_a_missing_key_file_stops_the_server(tmp_path: Path) -> None:
    cert, _ = self_signed(tmp_path)
    with pytest.raises(RuntimeError):
        start("memory:", ["--tls-cert", str(cert), "--tls-key", str(tmp_path / "absent.pem")])
