"""`--web.config.file`: the Prometheus exporter-toolkit web configuration (TLS, basic auth).

The file format is exporter-toolkit's `web-config.yml`, so one file serves node_exporter and
this exporter alike::

    tls_server_config:
      cert_file: server.crt          # relative paths are relative to this file
      key_file: server.key
      client_auth_type: RequireAndVerifyClientCert
      client_ca_file: clients-ca.crt
      min_version: TLS12
    basic_auth_users:
      prometheus: $2b$12$...         # bcrypt hash (htpasswd -nBC 12 "" | tr -d ':')

The file is declared and validated in `exporter.config.web` (pure; every problem at once as
``FILE:LINE: path: message``, like the main config); this module serves it. `WebConfigWatcher`
re-reads the file (and the certificate files it names) when they change; a broken new version
is logged and the previous one stays.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import bcrypt

from exporter.config import ConfigError
from exporter.config.loading import parse_yaml, read_text
from exporter.config.web import TlsSettings, WebConfig, parse_web_config
from exporter.log import quote

__all__ = [
    "ActiveWebConfig",
    "Authenticator",
    "TlsSettings",
    "WebConfig",
    "WebConfigWatcher",
    "activate",
    "build_ssl_context",
    "load_web_config",
    "parse_web_config",
]

log = logging.getLogger(__name__)

# exporter-toolkit's client auth types -> Python's ssl module (config/web.py refuses the types
# Python cannot honour).
CLIENT_AUTH_TYPES = {
    "NoClientCert": ssl.CERT_NONE,
    # Go requests but never verifies nor uses the certificate, so access is the same as
    # NoClientCert; Python cannot request without verifying, so it does not request.
    "RequestClientCert": ssl.CERT_NONE,
    "VerifyClientCertIfGiven": ssl.CERT_OPTIONAL,
    "RequireAndVerifyClientCert": ssl.CERT_REQUIRED,
}
TLS_VERSIONS = {"TLS12": ssl.TLSVersion.TLSv1_2, "TLS13": ssl.TLSVersion.TLSv1_3}
# Checked for unknown users so a wrong user name costs as long as a wrong password.
_DUMMY_HASH = bcrypt.hashpw(b"unused", bcrypt.gensalt(rounds=10))


def load_web_config(path: str) -> WebConfig:
    """Read, parse and validate a web config file, and check its TLS files load."""
    # The config file's loader: duplicate keys (a user listed twice) are refused, with lines.
    data, marks, duplicates = parse_yaml(read_text(path), path)
    config = parse_web_config(data, path, os.path.dirname(os.path.abspath(path)), marks, duplicates)
    if config.tls is not None:
        build_ssl_context(config.tls, source=path)  # unreadable or mismatched files fail here
    return config


# ---- TLS ----------------------------------------------------------------------------------


def build_ssl_context(tls: TlsSettings, source: str = "<web config>") -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = TLS_VERSIONS[tls.min_version]
    if tls.max_version:
        context.maximum_version = TLS_VERSIONS[tls.max_version]
    problems = []
    try:
        context.load_cert_chain(tls.cert_file, tls.key_file)
    except (OSError, ssl.SSLError) as exc:
        problems.append(
            f"{source}: tls_server_config.cert_file/key_file: cannot load "
            f"{tls.cert_file} with {tls.key_file}: {_ssl_reason(exc)}"
        )
    context.verify_mode = CLIENT_AUTH_TYPES[tls.client_auth_type]
    if tls.client_ca_file:
        try:
            context.load_verify_locations(cafile=tls.client_ca_file)
        except (OSError, ssl.SSLError) as exc:
            problems.append(
                f"{source}: tls_server_config.client_ca_file: cannot load {tls.client_ca_file}: {_ssl_reason(exc)}"
            )
    if problems:
        raise ConfigError(problems)
    return context


def _ssl_reason(exc: Exception) -> str:
    if isinstance(exc, ssl.SSLError):
        return exc.reason or str(exc)
    return exc.strerror or str(exc) if isinstance(exc, OSError) else str(exc)


# ---- basic auth ---------------------------------------------------------------------------


class Authenticator:
    """Checks HTTP basic credentials against bcrypt hashes.

    bcrypt is deliberately slow (~50-250 ms a check); successful checks are remembered (by a
    keyed digest of user, password and hash, never the password itself) so a Prometheus
    scraping every few seconds costs one bcrypt run, not one per scrape.
    """

    CACHE_MAX = 256

    def __init__(self, users: tuple[tuple[str, bytes], ...]) -> None:
        self._users = dict(users)
        self._key = os.urandom(32)
        self._good: set[bytes] = set()
        self._lock = threading.Lock()

    def _digest(self, user: str, secret: bytes, hashed: bytes) -> bytes:
        return hmac.new(self._key, b"\0".join((user.encode(), secret, hashed)), hashlib.sha256).digest()

    def known(self, user: str, password: str) -> bool:
        """Whether these credentials passed a check before: cheap (no bcrypt), so the serve
        loop asks this first and sends only unknown credentials to `check` on its pool."""
        hashed = self._users.get(user)
        if hashed is None:
            return False
        digest = self._digest(user, password.encode("utf-8", "surrogateescape"), hashed)
        with self._lock:
            return digest in self._good

    def check(self, user: str, password: str) -> bool:
        hashed = self._users.get(user)
        secret = password.encode("utf-8", "surrogateescape")
        if hashed is None:
            bcrypt.checkpw(secret, _DUMMY_HASH)
            return False
        digest = self._digest(user, secret, hashed)
        with self._lock:
            if digest in self._good:
                return True
        if not bcrypt.checkpw(secret, hashed):
            return False
        with self._lock:
            if len(self._good) >= self.CACHE_MAX:
                self._good.clear()
            self._good.add(digest)
        return True


# ---- watching the file --------------------------------------------------------------------


@dataclass(frozen=True)
class ActiveWebConfig:
    """A loaded web config with what serving needs ready to use."""

    config: WebConfig
    ssl_context: ssl.SSLContext | None
    authenticator: Authenticator | None


def activate(config: WebConfig) -> ActiveWebConfig:
    context = build_ssl_context(config.tls, config.source) if config.tls else None
    auth = Authenticator(config.basic_auth_users) if config.auth_required else None
    return ActiveWebConfig(config, context, auth)


# Per file: (path, mtime_ns, size, inode), or (path, None) when it cannot be read.
FileStamp = tuple[str, int, int, int] | tuple[str, None]


def _signature(paths: tuple[str, ...]) -> tuple[FileStamp, ...]:
    out: list[FileStamp] = []
    for path in paths:
        try:
            st = os.stat(path)
            out.append((path, st.st_mtime_ns, st.st_size, st.st_ino))
        except OSError:
            out.append((path, None))
    return tuple(out)


class WebConfigWatcher:
    """The current web config, re-read when the file or a certificate file it names changes.

    Checked at most every `check_interval` seconds (a stat per file), on each new connection.
    A new version that fails to load is logged once and the previous one keeps serving; TLS
    cannot be switched on or off by a reload (the listener was created for one or the other).
    """

    def __init__(self, path: str, check_interval: float = 1.0, clock: Callable[[], float] | None = None) -> None:
        self.path = path
        self.check_interval = check_interval
        self._clock = clock or time.monotonic
        self._lock = threading.Lock()
        self.active = activate(load_web_config(path))  # errors at start are fatal (ConfigError)
        self._signature = self._files_signature()
        self._failed_signature: tuple[FileStamp, ...] | None = None
        self._checked = self._clock()

    @property
    def tls(self) -> bool:
        return self.active.ssl_context is not None

    def _files_signature(self) -> tuple[FileStamp, ...]:
        tls = self.active.config.tls
        return _signature((self.path, *(tls.files() if tls else ())))

    def current(self) -> ActiveWebConfig:
        now = self._clock()
        if now - self._checked < self.check_interval:
            return self.active
        with self._lock:
            if now - self._checked >= self.check_interval:
                self._checked = now
                signature = self._files_signature()
                if signature != self._signature and signature != self._failed_signature:
                    self._reload(signature)
            return self.active

    def _reload(self, signature: tuple[FileStamp, ...]) -> None:
        try:
            config = load_web_config(self.path)
            if (config.tls is None) != (self.active.ssl_context is None):
                raise ConfigError([(f"{self.path}: tls_server_config: switching TLS on or off needs a restart")])
            active = activate(config)
        except ConfigError as exc:
            self._failed_signature = signature
            log.error(
                "event=web_config_reload_failed file=%s problems=%s", quote(self.path), quote("; ".join(exc.problems))
            )
            return
        self.active, self._failed_signature = active, None
        self._signature = self._files_signature()  # the new config may name other files
        log.info(
            "event=web_config_reloaded file=%s tls=%s basic_auth_users=%d",
            quote(self.path),
            str(active.ssl_context is not None).lower(),
            len(config.basic_auth_users),
        )
