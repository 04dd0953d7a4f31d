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

Parsing is pure (`parse_web_config`) and reports every problem at once as ``FILE: path:
message``, like `exporter.config`. `WebConfigWatcher` re-reads the file (and the certificate
files it names) when they change; a broken new version is logged and the previous one stays.
"""

from __future__ import annotations

import difflib
import hashlib
import hmac
import logging
import os
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import bcrypt

from exporter.config import ConfigError
from exporter.config.loading import format_problems, parse_yaml, read_text
from exporter.log import quote

log = logging.getLogger(__name__)

# exporter-toolkit's names -> what Python's ssl module can do. RequireAnyClientCert (demand a
# certificate but accept any, unverified) has no equivalent: OpenSSL through Python verifies
# every client certificate it accepts, so that type is refused rather than silently weakened
# or strengthened.
CLIENT_AUTH_TYPES = {
    "NoClientCert": ssl.CERT_NONE,
    # Go requests but never verifies nor uses the certificate, so access is the same as
    # NoClientCert; Python cannot request without verifying, so it does not request.
    "RequestClientCert": ssl.CERT_NONE,
    "VerifyClientCertIfGiven": ssl.CERT_OPTIONAL,
    "RequireAndVerifyClientCert": ssl.CERT_REQUIRED,
}
_UNSUPPORTED_CLIENT_AUTH = {
    "RequireAnyClientCert": "is not supported: Python's ssl module verifies every client "
                            "certificate it accepts; use RequireAndVerifyClientCert with "
                            "client_ca_file",
    "RequireClientCert": "is not supported (an alias of RequireAnyClientCert); use "
                         "RequireAndVerifyClientCert with client_ca_file",
}
TLS_VERSIONS = {"TLS12": ssl.TLSVersion.TLSv1_2, "TLS13": ssl.TLSVersion.TLSv1_3}
_OLD_TLS = ("TLS10", "TLS11")
_NOT_IMPLEMENTED = ("cipher_suites", "curve_preferences", "prefer_server_cipher_suites",
                    "client_allowed_sans", "cert", "key", "client_ca")
_TLS_KEYS = ("cert_file", "key_file", "client_auth_type", "client_ca_file", "min_version",
             "max_version")
_BCRYPT_PREFIXES = (b"$2a$", b"$2b$", b"$2y$")
# Checked for unknown users so a wrong user name costs as long as a wrong password.
_DUMMY_HASH = bcrypt.hashpw(b"unused", bcrypt.gensalt(rounds=10))


@dataclass(frozen=True)
class TlsSettings:
    cert_file: str  # absolute, resolved against the web config file's directory
    key_file: str
    client_auth_type: str = "NoClientCert"
    client_ca_file: str | None = None
    min_version: str = "TLS12"
    max_version: str | None = None

    def files(self) -> tuple[str, ...]:
        return tuple(f for f in (self.cert_file, self.key_file, self.client_ca_file) if f)


@dataclass(frozen=True)
class WebConfig:
    tls: TlsSettings | None = None
    basic_auth_users: tuple[tuple[str, bytes], ...] = ()  # (user, bcrypt hash), file order
    headers: tuple[tuple[str, str], ...] = ()  # http_server_config.headers, added to responses
    source: str = "<web config>"

    @property
    def auth_required(self) -> bool:
        return bool(self.basic_auth_users)


# ---- parsing (pure) ---------------------------------------------------------------------


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return f"number {value!r}"
    if isinstance(value, str):
        return f"string {value[:60]!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


def _key(path: tuple, key: object) -> tuple:
    return (*path, key)


def _unknown(where: tuple, known: tuple[str, ...]) -> tuple[tuple, str]:
    hint = difflib.get_close_matches(str(where[-1]), known, n=1)
    return where, "unknown key" + (f" (did you mean {hint[0]!r}?)" if hint else "")


def _nonempty_string(value: object, path: tuple, problems: list) -> str | None:
    if not isinstance(value, str) or not value.strip():
        problems.append((path, f"expected a non-empty string, got {_kind(value)}"))
        return None
    return value


def _parse_tls(data: object, base_dir: str, problems: list) -> TlsSettings | None:
    path = ("tls_server_config",)
    if data is None:
        return None
    if not isinstance(data, dict):
        problems.append((path, f"expected a mapping, got {_kind(data)}"))
        return None
    fields: dict[str, Any] = {}
    for key, value in data.items():
        where = _key(path, key)
        if key in _NOT_IMPLEMENTED:
            problems.append((where, "is not supported by this exporter"))
        elif key not in _TLS_KEYS:
            problems.append(_unknown(where, _TLS_KEYS))
        elif value is None:
            continue
        elif key in ("cert_file", "key_file", "client_ca_file"):
            text = _nonempty_string(value, where, problems)
            if text is not None:
                fields[key] = os.path.join(base_dir, text)
        elif key == "client_auth_type":
            if value in _UNSUPPORTED_CLIENT_AUTH:
                problems.append((where, f"{value} {_UNSUPPORTED_CLIENT_AUTH[value]}"))
            elif value not in CLIENT_AUTH_TYPES:
                problems.append((where, (f"must be one of {', '.join(CLIENT_AUTH_TYPES)}, "
                                        f"got {_kind(value)}")))
            else:
                fields[key] = value
        else:  # min_version, max_version
            if value in _OLD_TLS:
                problems.append((where, f"{value} is not supported (insecure); use TLS12 or TLS13"))
            elif value not in TLS_VERSIONS:
                problems.append((where, f"must be TLS12 or TLS13, got {_kind(value)}"))
            else:
                fields[key] = value
    cert, key = fields.get("cert_file"), fields.get("key_file")
    has_cert, has_key = data.get("cert_file") is not None, data.get("key_file") is not None
    if not has_cert and not has_key:
        if any(data.get(k) is not None for k in ("client_ca_file", "client_auth_type")):
            problems.append((path, "client certificate settings need cert_file and key_file"))
        return None  # exporter-toolkit: no certificate means plain HTTP
    if not has_cert:
        problems.append((_key(path, "cert_file"), "required when key_file is set"))
    if not has_key:
        problems.append((_key(path, "key_file"), "required when cert_file is set"))
    auth = fields.get("client_auth_type", "NoClientCert")
    ca = fields.get("client_ca_file")
    if auth in ("VerifyClientCertIfGiven", "RequireAndVerifyClientCert") and \
            data.get("client_ca_file") is None:
        problems.append((_key(path, "client_ca_file"), f"required by client_auth_type {auth}"))
    if data.get("client_ca_file") is not None and auth in ("NoClientCert", "RequestClientCert"):
        problems.append((_key(path, "client_ca_file"),
                         ("is set but client_auth_type does not verify client certificates "
                         "(set VerifyClientCertIfGiven or RequireAndVerifyClientCert)")))
    low, high = fields.get("min_version", "TLS12"), fields.get("max_version")
    if high is not None and TLS_VERSIONS[high] < TLS_VERSIONS[low]:
        problems.append((_key(path, "max_version"), f"{high} is below min_version {low}"))
    if cert is None or key is None:
        return None
    return TlsSettings(cert_file=cert, key_file=key, client_auth_type=auth, client_ca_file=ca,
                       min_version=low, max_version=high)


def _parse_users(data: object, problems: list) -> tuple[tuple[str, bytes], ...]:
    path = ("basic_auth_users",)
    if data is None:
        return ()
    if not isinstance(data, dict):
        problems.append((path, f"expected a mapping of user name to bcrypt hash, got {_kind(data)}"))
        return ()
    users = []
    for user, hashed in data.items():
        where = (*path, user)
        if not isinstance(user, str) or not user or ":" in user:
            problems.append((where, "user names must be non-empty strings without ':'"))
            continue
        if not isinstance(hashed, str) or not hashed.encode().startswith(_BCRYPT_PREFIXES):
            problems.append((where, ("expected a bcrypt hash ($2a$, $2b$ or $2y$...), "
                                    f"got {_kind(hashed) if not isinstance(hashed, str) else 'another string'}")))
            continue
        try:  # a truncated or mangled hash would otherwise fail only at the first login
            bcrypt.checkpw(b"", hashed.encode())
        except ValueError:
            problems.append((where, "is not a valid bcrypt hash"))
            continue
        users.append((user, hashed.encode()))
    return tuple(users)


def _parse_http(data: object, problems: list) -> tuple[tuple[str, str], ...]:
    path = ("http_server_config",)
    if data is None:
        return ()
    if not isinstance(data, dict):
        problems.append((path, f"expected a mapping, got {_kind(data)}"))
        return ()
    headers: list[tuple[str, str]] = []
    for key, value in data.items():
        where = _key(path, key)
        if key == "http2":
            if not isinstance(value, bool):
                problems.append((where, f"expected true or false, got {_kind(value)}"))
            # Accepted for compatibility; this server speaks HTTP/1.1 either way.
        elif key == "headers":
            if not isinstance(value, dict):
                problems.append((where, f"expected a mapping, got {_kind(value)}"))
                continue
            for name, text in value.items():
                if not isinstance(name, str) or not name or not isinstance(text, str) \
                        or any(c in name + text for c in "\r\n"):
                    problems.append(((*where, name), ("expected a header name and a "
                                                           "single-line string value")))
                else:
                    headers.append((name, text))
        else:
            problems.append(_unknown(where, ("headers", "http2")))
    return tuple(headers)


_TOP_KEYS = ("tls_server_config", "basic_auth_users", "http_server_config")


def parse_web_config(data: object, source: str = "<web config>", base_dir: str = ".",
                     marks: dict | None = None, problems: list | None = None) -> WebConfig:
    """Validate a decoded web-config.yml; raise ConfigError listing every problem as
    `FILE:LINE: path: message` (lines when `marks` from the YAML loader are given)."""
    problems = list(problems or ())
    if data is None and not problems:
        return WebConfig(source=source)  # an empty file: plain HTTP, no auth
    if not isinstance(data, dict):
        problems.append(((), f"expected a mapping, got {_kind(data)}"))
        raise ConfigError(format_problems(problems, source, marks or {}))
    for key in data:
        if key not in _TOP_KEYS:
            problems.append(_unknown((key,), _TOP_KEYS))
    tls = _parse_tls(data.get("tls_server_config"), base_dir, problems)
    users = _parse_users(data.get("basic_auth_users"), problems)
    headers = _parse_http(data.get("http_server_config"), problems)
    if problems:
        raise ConfigError(format_problems(problems, source, marks or {}))
    return WebConfig(tls=tls, basic_auth_users=users, headers=headers, source=source)


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
        problems.append(f"{source}: tls_server_config.cert_file/key_file: cannot load "
                        f"{tls.cert_file} with {tls.key_file}: {_ssl_reason(exc)}")
    context.verify_mode = CLIENT_AUTH_TYPES[tls.client_auth_type]
    if tls.client_ca_file:
        try:
            context.load_verify_locations(cafile=tls.client_ca_file)
        except (OSError, ssl.SSLError) as exc:
            problems.append(f"{source}: tls_server_config.client_ca_file: cannot load "
                            f"{tls.client_ca_file}: {_ssl_reason(exc)}")
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

    def check(self, user: str, password: str) -> bool:
        hashed = self._users.get(user)
        secret = password.encode("utf-8", "surrogateescape")
        if hashed is None:
            bcrypt.checkpw(secret, _DUMMY_HASH)
            return False
        digest = hmac.new(self._key, b"\0".join((user.encode(), secret, hashed)),
                          hashlib.sha256).digest()
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


def _signature(paths: tuple[str, ...]) -> tuple:
    out = []
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

    def __init__(self, path: str, check_interval: float = 1.0,
                 clock: Callable[[], float] | None = None) -> None:
        self.path = path
        self.check_interval = check_interval
        self._clock = clock or time.monotonic
        self._lock = threading.Lock()
        self.active = activate(load_web_config(path))  # errors at start are fatal (ConfigError)
        self._signature = self._files_signature()
        self._failed_signature: tuple | None = None
        self._checked = self._clock()

    @property
    def tls(self) -> bool:
        return self.active.ssl_context is not None

    def _files_signature(self) -> tuple:
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

    def _reload(self, signature: tuple) -> None:
        try:
            config = load_web_config(self.path)
            if (config.tls is None) != (self.active.ssl_context is None):
                raise ConfigError([(f"{self.path}: tls_server_config: switching TLS on or off "
                                   "needs a restart")])
            active = activate(config)
        except ConfigError as exc:
            self._failed_signature = signature
            log.error("event=web_config_reload_failed file=%s problems=%s", quote(self.path),
                      quote("; ".join(exc.problems)))
            return
        self.active, self._failed_signature = active, None
        self._signature = self._files_signature()  # the new config may name other files
        log.info("event=web_config_reloaded file=%s tls=%s basic_auth_users=%d", quote(self.path),
                 str(active.ssl_context is not None).lower(), len(config.basic_auth_users))

