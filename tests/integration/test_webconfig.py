"""--web.config.file: exporter-toolkit's web-config.yml (TLS, client certificates, basic auth).

Certificates are generated per test session with `cryptography`; servers bind 127.0.0.1:0.
"""

from __future__ import annotations

import base64
import datetime
import http.client
import ipaddress
import os
import socket
import ssl
import textwrap
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import bcrypt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from support.paths import REPO

from exporter.app import Exporter
from exporter.aws.clients import ClientFactory
from exporter.cli import main
from exporter.config import ConfigError, parse_config
from exporter.exposition.self_metrics import ExporterMetrics
from exporter.http.security import WebConfigWatcher, load_web_config, parse_web_config
from exporter.http.server import MetricsServer
from exporter.simulator import build_fleet

PASSWORD = "s3cret pass"
HASH = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()


# ---- certificates -----------------------------------------------------------------------


@dataclass
class Pki:
    dir: Path
    ca: Path  # server CA, trusted by clients
    server_cert: Path
    server_key: Path
    client_ca: Path
    client_cert: Path
    client_key: Path
    rogue_cert: Path  # a client certificate from a CA the server does not trust
    rogue_key: Path
    server_ca: tuple  # (private key, name): to issue more server certificates


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_key(path: Path, key) -> None:
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


def _issue(
    path: Path, subject: str, key, issuer_name: x509.Name, issuer_key, *, ca: bool, server: bool = False
) -> None:
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    elif server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    else:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    cert = builder.sign(issuer_key, hashes.SHA256())
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _make_ca(directory: Path, name: str):
    key = ec.generate_private_key(ec.SECP256R1())
    _issue(directory / f"{name}.crt", name, key, _name(name), key, ca=True)
    return key, _name(name)


def _leaf(directory: Path, name: str, ca, server: bool = False) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    _issue(directory / f"{name}.crt", name, key, ca[1], ca[0], ca=False, server=server)
    _write_key(directory / f"{name}.key", key)
    return directory / f"{name}.crt", directory / f"{name}.key"


@pytest.fixture(scope="session")
def pki(tmp_path_factory) -> Pki:
    d = tmp_path_factory.mktemp("pki")
    server_ca = _make_ca(d, "server-ca")
    client_ca = _make_ca(d, "client-ca")
    rogue_ca = _make_ca(d, "rogue-ca")
    server_cert, server_key = _leaf(d, "server", server_ca, server=True)
    client_cert, client_key = _leaf(d, "client", client_ca)
    rogue_cert, rogue_key = _leaf(d, "rogue", rogue_ca)
    return Pki(
        d,
        d / "server-ca.crt",
        server_cert,
        server_key,
        d / "client-ca.crt",
        client_cert,
        client_key,
        rogue_cert,
        rogue_key,
        server_ca,
    )


# ---- a server with a web config ------------------------------------------------------------


def _exporter() -> Exporter:
    metrics = ExporterMetrics()
    config = parse_config({"aws": {"region": "us-east-1"}})
    return Exporter(config, ClientFactory(metrics, static_credentials=("t", "t")), metrics)


@pytest.fixture
def serve_with(tmp_path):
    servers = []

    def start(
        web_yaml: str, lifecycle: bool = False, client_timeout: float = 5, exporter: Exporter | None = None
    ) -> MetricsServer:
        path = tmp_path / "web.yml"
        path.write_text(textwrap.dedent(web_yaml))
        watcher = WebConfigWatcher(str(path), check_interval=0)
        server = MetricsServer(
            ("127.0.0.1", 0),
            exporter or _exporter(),
            web=watcher,
            reload=(lambda: (True, "config reloaded")) if lifecycle else None,
            client_timeout=client_timeout,
        )
        servers.append(server.start())
        return server

    yield start
    for server in servers:
        server.stop()


def client_context(
    pki: Pki, cert: Path | None = None, key: Path | None = None, max_version: ssl.TLSVersion | None = None
) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(pki.ca))
    if cert is not None:
        context.load_cert_chain(str(cert), str(key))
    if max_version is not None:
        context.maximum_version = max_version
    return context


def get(
    server: MetricsServer,
    path: str = "/metrics",
    context: ssl.SSLContext | None = None,
    auth: tuple[str, str] | None = None,
    method: str = "GET",
) -> tuple[int, dict, bytes]:
    port = server.server_address[1]
    conn: http.client.HTTPConnection
    if context is not None:
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=5)
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    headers = {}
    if auth is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(":".join(auth).encode()).decode()
    try:
        conn.request(method, path, headers=headers)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def tls_yaml(pki: Pki, extra: str = "") -> str:
    return f"tls_server_config:\n  cert_file: {pki.server_cert}\n  key_file: {pki.server_key}\n" + textwrap.indent(
        textwrap.dedent(extra), "  "
    )


# ---- parsing ------------------------------------------------------------------------------


def test_full_exporter_toolkit_file_parses_with_paths_relative_to_the_file(pki):
    config = parse_web_config(
        {
            "tls_server_config": {
                "cert_file": "server.crt",
                "key_file": "server.key",
                "client_auth_type": "RequireAndVerifyClientCert",
                "client_ca_file": "client-ca.crt",
                "min_version": "TLS13",
            },
            "basic_auth_users": {"prometheus": HASH},
            "http_server_config": {"http2": False, "headers": {"X-Frame-Options": "deny"}},
        },
        "web.yml",
        base_dir=str(pki.dir),
    )
    assert config.tls.cert_file == str(pki.dir / "server.crt")
    assert config.tls.client_ca_file == str(pki.dir / "client-ca.crt")
    assert config.tls.min_version == "TLS13"
    assert config.basic_auth_users == (("prometheus", HASH.encode()),)
    assert config.headers == (("X-Frame-Options", "deny"),)


def test_empty_web_config_means_plain_http_without_auth():
    config = parse_web_config(None)
    assert config.tls is None and not config.auth_required


def test_every_problem_is_reported_at_once_with_its_path():
    with pytest.raises(ConfigError) as err:
        parse_web_config(
            {
                "tls_server_config": {
                    "cert_file": "a.crt",
                    "client_auth_type": "Sometimes",
                    "min_version": "TLS10",
                    "cipher_suites": ["x"],
                    "bogus": 1,
                },
                "basic_auth_users": {"alice": "plaintext", "bob": 3},
                "extra": True,
            },
            "web.yml",
        )
    problems = err.value.problems
    assert all(p.startswith("web.yml: ") for p in problems)
    text = "\n".join(problems)
    for fragment in (
        "extra: unknown key",
        "tls_server_config.bogus: unknown key",
        "tls_server_config.cipher_suites: is not supported",
        "tls_server_config.client_auth_type: must be one of",
        "tls_server_config.min_version: TLS10 is not supported",
        "tls_server_config.key_file: required when cert_file is set",
        "basic_auth_users.alice: expected a bcrypt hash",
        "basic_auth_users.bob: expected a bcrypt hash",
    ):
        assert fragment in text
    assert len(problems) == 8


def test_require_any_client_cert_is_refused_with_an_alternative():
    with pytest.raises(ConfigError, match="use RequireAndVerifyClientCert"):
        parse_web_config(
            {"tls_server_config": {"cert_file": "a", "key_file": "b", "client_auth_type": "RequireAnyClientCert"}}
        )


def test_verifying_client_certificates_needs_a_client_ca():
    with pytest.raises(ConfigError, match="client_ca_file: required by client_auth_type"):
        parse_web_config(
            {"tls_server_config": {"cert_file": "a", "key_file": "b", "client_auth_type": "VerifyClientCertIfGiven"}}
        )


def test_client_ca_without_a_verifying_auth_type_is_an_error():
    # exporter-toolkit refuses this too: the CA would silently have no effect.
    with pytest.raises(ConfigError, match="does not verify client certificates"):
        parse_web_config({"tls_server_config": {"cert_file": "a", "key_file": "b", "client_ca_file": "ca"}})


def test_max_version_below_min_version_is_an_error():
    with pytest.raises(ConfigError, match="TLS12 is below min_version TLS13"):
        parse_web_config(
            {"tls_server_config": {"cert_file": "a", "key_file": "b", "min_version": "TLS13", "max_version": "TLS12"}}
        )


def test_truncated_bcrypt_hash_is_caught_at_load_not_at_first_login():
    with pytest.raises(ConfigError, match="not a valid bcrypt hash"):
        parse_web_config({"basic_auth_users": {"alice": HASH[:20]}})


def test_missing_certificate_file_is_reported_with_the_file_name(tmp_path):
    path = tmp_path / "web.yml"
    path.write_text("tls_server_config:\n  cert_file: nope.crt\n  key_file: nope.key\n")
    with pytest.raises(ConfigError) as err:
        load_web_config(str(path))
    assert "nope.crt" in str(err.value) and str(path) in str(err.value)


def test_key_not_matching_certificate_is_reported(pki, tmp_path):
    path = tmp_path / "web.yml"
    path.write_text(f"tls_server_config:\n  cert_file: {pki.server_cert}\n  key_file: {pki.client_key}\n")
    with pytest.raises(ConfigError, match="cannot load"):
        load_web_config(str(path))


def test_invalid_yaml_is_a_config_error(tmp_path):
    path = tmp_path / "web.yml"
    path.write_text("basic_auth_users: [unclosed\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_web_config(str(path))


# ---- serving --------------------------------------------------------------------------------


def test_tls_serves_metrics_to_a_client_trusting_the_ca(serve_with, pki):
    server = serve_with(tls_yaml(pki))
    assert server.url.startswith("https://")
    status, _, body = get(server, context=client_context(pki))
    assert status == 200 and b"codedeploy_exporter_build_info" in body


def test_plain_http_is_refused_when_tls_is_on(serve_with, pki):
    server = serve_with(tls_yaml(pki))
    with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
        get(server)
    # ... and the server keeps serving TLS clients afterwards.
    assert get(server, context=client_context(pki))[0] == 200


def test_min_version_tls13_refuses_a_tls12_only_client(serve_with, pki):
    server = serve_with(tls_yaml(pki, "min_version: TLS13\n"))
    with pytest.raises(ssl.SSLError):
        get(server, context=client_context(pki, max_version=ssl.TLSVersion.TLSv1_2))
    assert get(server, context=client_context(pki))[0] == 200


def test_required_client_certificate_must_be_present_and_signed_by_the_client_ca(serve_with, pki):
    server = serve_with(
        tls_yaml(pki, f"client_auth_type: RequireAndVerifyClientCert\nclient_ca_file: {pki.client_ca}\n")
    )
    assert get(server, context=client_context(pki, pki.client_cert, pki.client_key))[0] == 200
    for context in (client_context(pki), client_context(pki, pki.rogue_cert, pki.rogue_key)):
        # TLS 1.3 reports a rejected client certificate on the first read, not the handshake.
        with pytest.raises((ssl.SSLError, ConnectionError, http.client.HTTPException)):
            get(server, context=context)


def test_optional_client_certificate_is_verified_only_when_given(serve_with, pki):
    server = serve_with(tls_yaml(pki, f"client_auth_type: VerifyClientCertIfGiven\nclient_ca_file: {pki.client_ca}\n"))
    assert get(server, context=client_context(pki))[0] == 200
    assert get(server, context=client_context(pki, pki.client_cert, pki.client_key))[0] == 200
    with pytest.raises((ssl.SSLError, ConnectionError, http.client.HTTPException)):
        get(server, context=client_context(pki, pki.rogue_cert, pki.rogue_key))


def test_basic_auth_wrong_password_is_401_right_one_is_200(serve_with):
    server = serve_with(f"basic_auth_users:\n  prometheus: '{HASH}'\n")
    status, headers, _ = get(server)
    assert status == 401 and headers["WWW-Authenticate"].startswith("Basic")
    assert get(server, auth=("prometheus", "wrong"))[0] == 401
    assert get(server, auth=("nobody", PASSWORD))[0] == 401
    status, _, body = get(server, auth=("prometheus", PASSWORD))
    assert status == 200 and b"codedeploy_exporter_build_info" in body
    assert get(server, "/", auth=("prometheus", PASSWORD))[0] == 200
    assert get(server, "/")[0] == 401


def test_malformed_authorization_headers_are_401_not_500(serve_with):
    server = serve_with(f"basic_auth_users:\n  prometheus: '{HASH}'\n")
    host, port = server.server_address[:2]
    for header in (
        "Basic !!!",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Bearer x",
        "Basic " + base64.b64encode(b"\xff\xfe:\x00").decode(),
    ):
        conn = http.client.HTTPConnection(host, port, timeout=5)
        conn.request("GET", "/metrics", headers={"Authorization": header})
        assert conn.getresponse().status == 401, header
        conn.close()


def test_health_endpoints_need_no_password(serve_with):
    server = serve_with(f"basic_auth_users:\n  prometheus: '{HASH}'\n")
    assert get(server, "/healthz")[0] == 200
    assert get(server, "/readyz")[0] == 503  # no poll yet: readiness, not an auth failure


def test_tls_and_basic_auth_together(serve_with, pki):
    server = serve_with(tls_yaml(pki) + f"basic_auth_users:\n  prometheus: '{HASH}'\n")
    assert get(server, context=client_context(pki))[0] == 401
    assert get(server, context=client_context(pki), auth=("prometheus", PASSWORD))[0] == 200


def test_configured_headers_are_sent_on_every_response(serve_with):
    server = serve_with("http_server_config:\n  headers:\n    X-Content-Type-Options: nosniff\n")
    for path in ("/metrics", "/healthz", "/nope"):
        assert get(server, path)[1]["X-Content-Type-Options"] == "nosniff"


def test_reload_endpoint_also_requires_basic_auth(serve_with):
    server = serve_with(f"basic_auth_users:\n  prometheus: '{HASH}'\n", lifecycle=True)
    assert get(server, "/-/reload", method="POST")[0] == 401
    assert get(server, "/-/reload", method="POST", auth=("prometheus", PASSWORD))[0] == 200


# ---- one loop for TLS and basic auth: bad input and floods hold up nobody ----


def test_a_tls_client_that_stops_mid_handshake_is_dropped_on_time_and_blocks_nobody(serve_with, pki):
    server = serve_with(tls_yaml(pki), client_timeout=1.0)
    stalled = socket.create_connection(server.server_address, timeout=10)
    # Half a ClientHello: a record header promising more than is sent.
    stalled.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
    silent = socket.create_connection(server.server_address, timeout=10)  # sends nothing at all
    started = time.monotonic()
    assert get(server, context=client_context(pki))[0] == 200  # served meanwhile
    for sock in (stalled, silent):
        assert sock.recv(1) == b""  # closed by the server
        sock.close()
    assert time.monotonic() - started < 3  # 1 s handshake limit, a sweep twice a second


def test_a_client_certificate_failing_verification_is_refused_and_others_are_served(serve_with, pki):
    server = serve_with(
        tls_yaml(pki, f"client_auth_type: RequireAndVerifyClientCert\nclient_ca_file: {pki.client_ca}\n")
    )
    for _ in range(3):
        with pytest.raises((ssl.SSLError, ConnectionError, http.client.HTTPException)):
            get(server, context=client_context(pki, pki.rogue_cert, pki.rogue_key))
        assert get(server, context=client_context(pki, pki.client_cert, pki.client_key))[0] == 200


def test_tls_and_auth_on_one_kept_alive_connection_with_a_body_bigger_than_socket_buffers(
    serve_with, pki, sim, make_exporter
):
    fleet = build_fleet(sim, 1000)  # ~6 MB uncompressed: TLS writes must wait for the reader
    exporter = make_exporter(deployments=[{"deployment_id": d} for d, _ in fleet])
    exporter.poll_once()
    server = serve_with(tls_yaml(pki) + f"basic_auth_users:\n  prometheus: '{HASH}'\n", exporter=exporter)
    conn = http.client.HTTPSConnection("127.0.0.1", server.server_address[1], context=client_context(pki), timeout=10)
    auth = {"Authorization": "Basic " + base64.b64encode(f"prometheus:{PASSWORD}".encode()).decode()}
    try:
        for _ in range(3):
            conn.request("GET", "/metrics", headers=auth)
            response = conn.getresponse()
            assert response.status == 200 and response.read() == exporter.snapshot.body
        conn.request("GET", "/metrics")  # same connection, no password
        response = conn.getresponse()
        assert response.status == 401
        response.read()
    finally:
        conn.close()


def test_a_wrong_password_flood_does_not_slow_scrapes_with_known_credentials(serve_with):
    slow_hash = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=10)).decode()  # ~50 ms a check
    server = serve_with(f"basic_auth_users:\n  prometheus: '{slow_hash}'\n")
    assert get(server, auth=("prometheus", PASSWORD))[0] == 200  # checked once, then cached
    stop = threading.Event()
    statuses: list[int] = []

    def flood() -> None:
        while not stop.is_set():
            try:
                statuses.append(get(server, auth=("prometheus", "wrong"))[0])
            except OSError:
                pass

    flooders = [threading.Thread(target=flood) for _ in range(20)]
    for thread in flooders:
        thread.start()
    latencies = []
    try:
        time.sleep(0.3)
        for _ in range(20):
            started = time.monotonic()
            assert get(server, auth=("prometheus", PASSWORD))[0] == 200
            assert get(server, "/healthz")[0] == 200
            latencies.append(time.monotonic() - started)
    finally:
        stop.set()
        for thread in flooders:
            thread.join(10)
    assert statuses and set(statuses) <= {401, 503}
    # bcrypt runs on the pool, 2 at a time; the loop answers cached credentials meanwhile.
    assert max(latencies) < 0.5, latencies


# ---- re-reading the file --------------------------------------------------------------------


def _rewrite(path: Path, text: str) -> None:
    # mtime granularity can hide a quick rewrite; the size and inode change too, but make sure.
    before = path.stat().st_mtime_ns
    path.write_text(text)
    os.utime(path, ns=(before + 10**9, before + 10**9))


def test_changed_password_takes_effect_without_restart(serve_with, tmp_path):
    server = serve_with(f"basic_auth_users:\n  prometheus: '{HASH}'\n")
    assert get(server, auth=("prometheus", PASSWORD))[0] == 200
    new_hash = bcrypt.hashpw(b"rotated", bcrypt.gensalt(rounds=4)).decode()
    _rewrite(tmp_path / "web.yml", f"basic_auth_users:\n  prometheus: '{new_hash}'\n")
    assert get(server, auth=("prometheus", PASSWORD))[0] == 401
    assert get(server, auth=("prometheus", "rotated"))[0] == 200


def test_configured_headers_are_sent_by_the_serve_loop_on_plain_http(serve_with):
    server = serve_with("http_server_config:\n  headers:\n    X-Frame-Options: deny\n")
    for path in ("/metrics", "/healthz", "/nope"):
        assert get(server, path)[1]["X-Frame-Options"] == "deny"


def test_basic_auth_added_later_applies_to_connections_kept_alive_from_before(serve_with, tmp_path):
    server = serve_with("http_server_config:\n  http2: false\n")
    conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=5)
    conn.request("GET", "/metrics")
    first = conn.getresponse()
    first.read()
    _rewrite(tmp_path / "web.yml", f"basic_auth_users:\n  prometheus: '{HASH}'\n")
    conn.request("GET", "/metrics")  # same connection, accepted while no password was needed
    second = conn.getresponse()
    second.read()
    conn.close()
    assert first.status == 200 and second.status == 401


def test_broken_new_web_config_keeps_the_previous_one(serve_with, tmp_path, caplog):
    server = serve_with(f"basic_auth_users:\n  prometheus: '{HASH}'\n")
    _rewrite(tmp_path / "web.yml", "basic_auth_users:\n  prometheus: not-a-hash\n")
    assert get(server, auth=("prometheus", PASSWORD))[0] == 200
    assert get(server)[0] == 401  # auth did not silently switch off
    failures = [r for r in caplog.records if "web_config_reload_failed" in r.getMessage()]
    assert len(failures) == 1 and "basic_auth_users.prometheus" in failures[0].getMessage()


def test_rotated_certificate_is_served_to_new_connections(serve_with, pki, tmp_path):
    cert, key = tmp_path / "live.crt", tmp_path / "live.key"
    cert.write_bytes(pki.server_cert.read_bytes())
    key.write_bytes(pki.server_key.read_bytes())
    server = serve_with(f"tls_server_config:\n  cert_file: {cert}\n  key_file: {key}\n")

    def served_serial() -> int:
        with (
            socket.create_connection(server.server_address[:2], timeout=5) as raw,
            client_context(pki).wrap_socket(raw, server_hostname="localhost") as tls,
        ):
            der = tls.getpeercert(binary_form=True)
            assert der is not None, "the server sent no certificate"
            return x509.load_der_x509_certificate(der).serial_number

    first = served_serial()
    _leaf(tmp_path, "rotated", pki.server_ca, server=True)
    cert.write_bytes((tmp_path / "rotated.crt").read_bytes())
    key.write_bytes((tmp_path / "rotated.key").read_bytes())
    os.utime(cert, ns=(cert.stat().st_mtime_ns + 10**9,) * 2)
    second = served_serial()
    assert second != first
    assert second == x509.load_pem_x509_certificate(cert.read_bytes()).serial_number


# ---- command line --------------------------------------------------------------------------


def test_cli_exits_2_listing_web_config_problems(tmp_path, capsys):
    config = tmp_path / "config.yaml"
    config.write_text("aws: {region: us-east-1}\n")
    web = tmp_path / "web.yml"
    web.write_text("basic_auth_users:\n  a: plain\ntls_server_config:\n  min_version: SSL3\n")
    code = main(["--config.file", str(config), "--web.config.file", str(web), "--config.check"])
    err = capsys.readouterr().err
    assert code == 2
    assert "basic_auth_users.a" in err and "min_version" in err


def test_user_listed_twice_is_refused_with_both_lines(tmp_path):
    path = tmp_path / "web.yml"
    path.write_text(f"basic_auth_users:\n  alice: {HASH}\n  bob: {HASH}\n  alice: {HASH}\n")
    with pytest.raises(ConfigError) as err:
        load_web_config(str(path))
    assert err.value.problems == [f"{path}:4: basic_auth_users.alice: duplicate key (first defined on line 2)"]


def test_unknown_web_config_keys_get_a_hint_and_a_line(tmp_path):
    path = tmp_path / "web.yml"
    path.write_text("tls_server_config:\n  cert_fille: a.crt\nbasic_auth_user: {}\n")
    with pytest.raises(ConfigError) as err:
        load_web_config(str(path))
    assert err.value.problems == [
        f"{path}:2: tls_server_config.cert_fille: unknown key (did you mean 'cert_file'?)",
        f"{path}:3: basic_auth_user: unknown key (did you mean 'basic_auth_users'?)",
    ]


def test_config_check_checks_the_web_config_too(tmp_path, capsys):
    config, web = tmp_path / "config.yaml", tmp_path / "web.yml"
    config.write_text("aws: {region: us-east-1}\n")
    web.write_text(f"basic_auth_users:\n  prometheus: {HASH}\n")
    args = ["--config.file", str(config), "--web.config.file", str(web), "--config.check"]
    assert main(args) == 0
    assert f"{web}: OK" in capsys.readouterr().out
    # Both files broken: both are reported, in one run.
    config.write_text("poll: {intervall: 5s}\n")
    web.write_text("basic_auth_users: []\n")
    assert main(args) == 2
    err = capsys.readouterr().err
    assert f"{config}:1: poll.intervall: unknown key" in err
    assert f"{web}:1: basic_auth_users: expected a mapping" in err


def test_web_config_schema_matches_what_the_loader_accepts():
    import json

    import jsonschema

    schema = json.loads((REPO / "web-config.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    good = {
        "tls_server_config": {
            "cert_file": "server.crt",
            "key_file": "server.key",
            "client_auth_type": "RequireAndVerifyClientCert",
            "client_ca_file": "client-ca.crt",
            "min_version": "TLS13",
        },
        "basic_auth_users": {"prometheus": HASH},
        "http_server_config": {"http2": False, "headers": {"X-Frame-Options": "deny"}},
    }
    parse_web_config(good)
    assert list(validator.iter_errors(good)) == []
    for bad in (
        {"basic_auth_users": {"alice": "plaintext"}},
        {"extra": True},
        {"tls_server_config": {"min_version": "TLS10"}},
        {"tls_server_config": {"client_auth_type": "RequireAnyClientCert"}},
        {"http_server_config": {"http2": "yes"}},
    ):
        with pytest.raises(ConfigError):
            parse_web_config(bad)
        assert not validator.is_valid(bad), bad


def test_tls_versions_of_the_wrong_type_are_reported_not_crashed_on():
    # Found by hypothesis: the max < min check ran on a list.
    with pytest.raises(ConfigError) as err:
        parse_web_config({"tls_server_config": {"cert_file": "a", "key_file": "b", "max_version": []}})
    assert err.value.problems == [
        "<web config>: tls_server_config.max_version: must be one of 'TLS12', 'TLS13', got a list"
    ]
