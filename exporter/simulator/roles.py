"""IAM roles and the temporary credentials STS AssumeRole issues for them: the part of the
Cloud that maps an access key to an account (see facts.py, ``sts.assume_role*``)."""

from __future__ import annotations

import base64
import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .records import ApiError

# arn:aws:iam::<account>:role/[<path>/]<name>; IAM names and paths use [\w+=,.@-].
ROLE_ARN = re.compile(r"arn:aws:iam::(?P<account>\d{12}):role/(?:[\w+=,.@-]+/)*(?P<name>[\w+=,.@-]{1,64})")
SESSION_NAME = re.compile(r"[\w+=,.@-]{2,64}")  # model: roleSessionNameType
DEFAULT_DURATION = 3600  # model: AssumeRoleRequest.DurationSeconds ("By default, ... 3600 seconds")
DURATION_RANGE = (900, 43200)  # model: roleDurationSecondsType min/max
DEFAULT_MAX_SESSION_DURATION = 3600  # IAM: a role's MaxSessionDuration defaults to one hour
TEMPORARY_KEY_PREFIX = "ASIA"  # temporary (STS) access key ids start ASIA, long-term ones AKIA


@dataclass(frozen=True)
class Role:
    account_id: str
    name: str
    external_id: str | None = None
    max_session_duration: int = DEFAULT_MAX_SESSION_DURATION

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:role/{self.name}"

    @property
    def role_id(self) -> str:
        # IAM role ids are AROA + 17 uppercase alphanumerics, stable for the role.
        return "AROA" + _base32(f"role:{self.arn}")[:17]


@dataclass(frozen=True)
class Session:
    """One set of temporary credentials: whose they are and until when."""

    access_key_id: str
    role: Role
    session_name: str
    expiration: float

    @property
    def account_id(self) -> str:
        return self.role.account_id

    @property
    def arn(self) -> str:
        return f"arn:aws:sts::{self.account_id}:assumed-role/{self.role.name}/{self.session_name}"

    @property
    def user_id(self) -> str:
        return f"{self.role.role_id}:{self.session_name}"

    def identity(self) -> dict[str, str]:
        """GetCallerIdentity as the assumed role (UserId <role id>:<session>)."""
        return {"UserId": self.user_id, "Account": self.account_id, "Arn": self.arn}


def _base32(seed: str) -> str:
    # [A-Z2-7]: uppercase alphanumerics, deterministic for reproducible tests.
    return base64.b32encode(hashlib.sha256(seed.encode()).digest()).decode().rstrip("=")


def iso8601(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


class Roles:
    """Roles by (account, name) and the sessions issued for them, by access key id.

    Not thread-safe on its own: the Cloud calls it under its lock."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._roles: dict[tuple[str, str], Role] = {}
        self._sessions: dict[str, Session] = {}
        self._issued = 0

    def add(self, role: Role) -> None:
        self._roles[(role.account_id, role.name)] = role

    def session(self, access_key_id: str | None) -> Session | None:
        return self._sessions.get(access_key_id or "")

    def assume(self, caller_arn: str, params: dict[str, str]) -> dict[str, Any]:
        """AssumeRole's result for a caller, or the ApiError AWS answers with."""
        role_arn = params.get("RoleArn", "")
        match = ROLE_ARN.fullmatch(role_arn)
        if match is None:
            raise ApiError("ValidationError", f"{role_arn} is not a valid role ARN")
        session_name = params.get("RoleSessionName", "")
        if SESSION_NAME.fullmatch(session_name) is None:
            raise ApiError(
                "ValidationError",
                f"1 validation error detected: Value '{session_name}' at 'roleSessionName' failed to satisfy "
                "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
            )
        duration = _duration(params.get("DurationSeconds"))
        role = self._roles.get((match["account"], match["name"]))
        # A missing role, a trust policy's external id not given or not matching: AWS tells
        # these apart from nothing but its own logs, so the answer is the same.
        if role is None or (role.external_id is not None and params.get("ExternalId") != role.external_id):
            raise ApiError(
                "AccessDenied",
                f"User: {caller_arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
                403,
            )
        if duration > role.max_session_duration:
            raise ApiError(
                "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
            )
        self._issued += 1
        seed = f"{self._issued}:{role.arn}:{session_name}"
        key = TEMPORARY_KEY_PREFIX + _base32("key:" + seed)[:16]
        session = Session(key, role, session_name, self._clock() + duration)
        self._sessions[key] = session
        return {
            "Credentials": {
                "AccessKeyId": key,
                "SecretAccessKey": base64.b64encode(hashlib.sha512(("secret:" + seed).encode()).digest()).decode()[:40],
                "SessionToken": base64.b64encode(hashlib.sha512(("token:" + seed).encode()).digest() * 3).decode(),
                "Expiration": iso8601(session.expiration),
            },
            "AssumedRoleUser": {"AssumedRoleId": session.user_id, "Arn": session.arn},
        }


def _duration(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_DURATION
    try:
        duration = int(raw)
    except ValueError:
        duration = -1
    if not DURATION_RANGE[0] <= duration <= DURATION_RANGE[1]:
        raise ApiError(
            "ValidationError",
            f"1 validation error detected: Value '{raw}' at 'durationSeconds' failed to satisfy constraint: "
            f"Member must have value between {DURATION_RANGE[0]} and {DURATION_RANGE[1]}",
        )
    return duration
