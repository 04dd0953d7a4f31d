"""`--web.config.file` as pydantic models: exporter-toolkit's web-config.yml (TLS, basic auth).

Validated like the main config (same loader, same messages); `parse_web_config` turns the file
into the runtime form `WebConfig`, with certificate paths resolved against the file's folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal

import bcrypt
from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema

from exporter.config.fields import Model, Text, _fail
from exporter.config.loading import Loc, Problem, validate

# RequireAnyClientCert (demand a certificate but accept any, unverified) has no equivalent in
# Python's ssl module, which verifies every client certificate it accepts: refused rather than
# silently weakened or strengthened.
_REFUSED = {
    "RequireAnyClientCert": "RequireAnyClientCert is not supported: Python's ssl module verifies "
    "every client certificate it accepts; use RequireAndVerifyClientCert "
    "with client_ca_file",
    "RequireClientCert": "RequireClientCert is not supported (an alias of RequireAnyClientCert); "
    "use RequireAndVerifyClientCert with client_ca_file",
    "TLS10": "TLS10 is not supported (insecure); use TLS12 or TLS13",
    "TLS11": "TLS11 is not supported (insecure); use TLS12 or TLS13",
}
VERIFYING = ("VerifyClientCertIfGiven", "RequireAndVerifyClientCert")


def _refuse(value: Any) -> Any:
    if isinstance(value, str) and value in _REFUSED:
        raise _fail("unsupported", _REFUSED[value])
    return value


ClientAuth = Annotated[
    Literal["NoClientCert", "RequestClientCert", "VerifyClientCertIfGiven", "RequireAndVerifyClientCert"],
    BeforeValidator(_refuse),
]
TlsVersion = Annotated[Literal["TLS12", "TLS13"], BeforeValidator(_refuse)]


def _bcrypt(value: Any) -> str:
    if not isinstance(value, str) or not value.startswith(("$2a$", "$2b$", "$2y$")):
        raise _fail("bcrypt", "expected a bcrypt hash ($2a$, $2b$ or $2y$...)")
    try:  # a truncated or mangled hash would otherwise fail only at the first login
        bcrypt.checkpw(b"", value.encode())
    except ValueError:
        raise _fail("bcrypt", "is not a valid bcrypt hash") from None
    return value


def _user(value: str) -> str:
    if not value or ":" in value:
        raise _fail("user", "user names must be non-empty strings without ':'")
    return value


def _one_line(value: str) -> str:
    if not value or any(c in value for c in "\r\n"):
        raise _fail("header", "must be a non-empty single line")
    return value


Header = Annotated[str, AfterValidator(_one_line)]
User = Annotated[str, AfterValidator(_user), WithJsonSchema({"type": "string", "pattern": "^[^:]+$"})]
BcryptHash = Annotated[
    str,
    BeforeValidator(_bcrypt),
    WithJsonSchema({"type": "string", "pattern": r"^\$2[aby]\$[0-9]{2}\$[./A-Za-z0-9]{53}$"}),
]
File = Annotated[str, Text(), Field(description="Path; relative paths are relative to the web config file.")]


class TlsServerConfig(Model):
    """TLS for the metrics listener; without cert_file and key_file it serves plain HTTP."""

    unsupported: ClassVar[dict[str, str]] = {
        k: "is not supported by this exporter"
        for k in (
            "cipher_suites",
            "curve_preferences",
            "prefer_server_cipher_suites",
            "client_allowed_sans",
            "cert",
            "key",
            "client_ca",
        )
    }
    cert_file: File | None = None
    key_file: File | None = None
    client_auth_type: ClientAuth = Field(
        "NoClientCert",
        description="Whether and how clients must present a certificate (RequireAnyClientCert is refused).",
    )
    client_ca_file: File | None = None
    min_version: TlsVersion = Field("TLS12", description="Oldest TLS version accepted.")
    max_version: TlsVersion | None = Field(None, description="Newest TLS version accepted.")


class HttpServerConfig(Model):
    http2: bool = Field(True, description="Accepted for compatibility; this server speaks HTTP/1.1.")
    headers: dict[Header, Header] = Field({}, description="Headers added to every response.")


class WebConfigFile(Model):
    """exporter-toolkit web configuration: TLS and basic auth for the metrics listener."""

    tls_server_config: TlsServerConfig | None = None
    basic_auth_users: dict[User, BcryptHash] = Field(
        {}, description="User name to bcrypt hash (htpasswd -nBC 12 \"\" | tr -d ':')."
    )
    http_server_config: HttpServerConfig = HttpServerConfig()


def _tls_checks(data: Any) -> list[Problem]:
    """Rules across TLS keys, on the plain data so they come with every other problem."""
    tls = data.get("tls_server_config") if isinstance(data, dict) else None
    if not isinstance(tls, dict):
        return []
    at, has = ("tls_server_config",), {k for k, v in tls.items() if v is not None}
    auth = tls.get("client_auth_type") or "NoClientCert"
    if not has & {"cert_file", "key_file"}:
        return (
            [(at, "client certificate settings need cert_file and key_file")]
            if has & {"client_ca_file", "client_auth_type"}
            else []
        )
    problems = [
        ((*at, a), f"required when {b} is set")
        for a, b in (("cert_file", "key_file"), ("key_file", "cert_file"))
        if a not in has
    ]
    if auth in VERIFYING and "client_ca_file" not in has:
        problems.append(((*at, "client_ca_file"), f"required by client_auth_type {auth}"))
    if "client_ca_file" in has and auth in ("NoClientCert", "RequestClientCert"):
        problems.append(
            (
                (*at, "client_ca_file"),
                "is set but client_auth_type does not verify client "
                "certificates (set VerifyClientCertIfGiven or RequireAndVerifyClientCert)",
            )
        )
    low, high = tls.get("min_version") or "TLS12", tls.get("max_version")
    if low in ("TLS12", "TLS13") and high in ("TLS12", "TLS13") and high < low:
        problems.append(((*at, "max_version"), f"{high} is below min_version {low}"))
    return problems


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


def parse_web_config(
    data: object,
    source: str = "<web config>",
    base_dir: str = ".",
    marks: dict[Loc, int] | None = None,
    problems: list[Problem] | None = None,
) -> WebConfig:
    """Validate a decoded web-config.yml; raise ConfigError listing every problem."""
    file = validate(WebConfigFile, data, source, marks, problems or (), _tls_checks)
    server = file.tls_server_config
    tls = None
    if server is not None and server.cert_file:  # exporter-toolkit: no certificate means plain HTTP
        paths = {k: os.path.join(base_dir, v) for k, v in server if k.endswith("_file") and v}
        tls = TlsSettings(**{**dict(server), **paths})
    return WebConfig(
        tls=tls,
        source=source,
        basic_auth_users=tuple((u, h.encode()) for u, h in file.basic_auth_users.items()),
        headers=tuple(file.http_server_config.headers.items()),
    )
