"""The Simulator's application revisions: registering one (RegisterApplicationRevision, or the
`register_application_revision` setter) and reading them back (BatchGetApplicationRevisions).

A revision is registered per application with its registerTime and description, or, like
CodeDeploy does, by the first deployment that uses an S3 or GitHub revision not registered
before. Its usage (firstUsedTime, lastUsedTime, deploymentGroups) and those implicit
registrations are derived from the deployments the simulator holds when it is answered, so
scenarios never have to keep them in step (facts.py).
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .records import ApiError, Store

MAX_REVISION_BATCH = 25  # BatchGetApplicationRevisions (model documentation)
REGISTERED_BY_DEPLOYMENT = "Application revision registered by Deployment ID: {deployment_id}"  # CLI example
GENERIC_REVISION_INFO_MEMBERS = ("description", "deploymentGroups", "firstUsedTime", "lastUsedTime", "registerTime")
_BLOCKS = {"S3": "s3Location", "GitHub": "gitHubLocation", "String": "string", "AppSpecContent": "appSpecContent"}
RevisionKey = tuple[str, ...]


@dataclass
class RevisionRecord:
    location: dict[str, Any]  # the RevisionLocation as registered
    register_time: float
    description: str = ""


def revision_key(location: Any) -> RevisionKey:
    """What tells one revision from another: every S3Location member (missing ones empty), the
    GitHub repository and commit, or the SHA-256 of inline content. InvalidRevisionException
    when the location does not name a revision of its type."""
    if not isinstance(location, dict):
        raise ApiError("InvalidRevisionException", "The revision is not a RevisionLocation.")
    kind = location.get("revisionType")
    block = location.get(_BLOCKS.get(kind or "", ""))
    if not isinstance(block, dict):
        raise ApiError("InvalidRevisionException", f"The revision of type {kind!r} has no location.")
    if kind == "S3":
        if not block.get("bucket") or not block.get("key"):
            raise ApiError("InvalidRevisionException", "An S3 revision needs a bucket and a key.")
        return ("S3", *(str(block.get(m) or "") for m in ("bucket", "key", "bundleType", "version", "eTag")))
    if kind == "GitHub":
        if not block.get("repository") or not block.get("commitId"):
            raise ApiError("InvalidRevisionException", "A GitHub revision needs a repository and a commitId.")
        return ("GitHub", str(block["repository"]), str(block["commitId"]))
    digest = block.get("sha256")
    if not digest and isinstance(block.get("content"), str):
        digest = hashlib.sha256(block["content"].encode()).hexdigest()
    if not digest:
        raise ApiError("InvalidRevisionException", f"A {kind} revision needs its content or sha256.")
    return (str(kind), str(digest))


class RevisionsApi(Store):
    """Registered application revisions: a setter for tests and scenarios, and the handlers."""

    _revisions: dict[str, dict[RevisionKey, RevisionRecord]]  # application -> key -> revision
    _clock: Callable[[], float]

    def register_application_revision(
        self,
        application: str,
        revision: dict[str, Any],
        register_time: float | None = None,
        description: str = "",
    ) -> None:
        """Register (or register again: the new time and description replace the old) a
        revision of an application, created if missing; the time defaults to the clock's."""
        key = revision_key(revision)
        with self._lock:
            self._groups.setdefault(application, {})
            when = self._clock() if register_time is None else register_time
            self._revisions.setdefault(application, {})[key] = RevisionRecord(
                copy.deepcopy(revision), when, description
            )

    # ---- operation handlers: run under the lock and return deep copies --------------
    def _op_register_application_revision(self, body: dict[str, Any]) -> dict[str, Any]:
        application = self._known_application(body)
        if not body.get("revision"):
            raise ApiError("RevisionRequiredException", "The revision ID was not specified.")
        key = revision_key(body["revision"])
        self._revisions.setdefault(application, {})[key] = RevisionRecord(
            copy.deepcopy(body["revision"]), self._clock(), str(body.get("description") or "")
        )
        return {}

    def _op_batch_get_application_revisions(self, body: dict[str, Any]) -> dict[str, Any]:
        application = self._known_application(body)
        wanted = body.get("revisions") or []
        if not wanted:
            raise ApiError("RevisionRequiredException", "The revision ID was not specified.")
        if len(wanted) > MAX_REVISION_BATCH:
            raise ApiError(
                "BatchLimitExceededException",
                f"The maximum number of names or IDs allowed for this request ({MAX_REVISION_BATCH}) was exceeded.",
            )
        keys = list(dict.fromkeys(revision_key(r) for r in wanted))  # once each, in the order asked
        registered = self._registered(application)
        missing = [k for k in keys if k not in registered]
        return {
            "applicationName": application,
            # Unregistered revisions are left out and named here; "" when all were found (CLI example).
            "errorMessage": (
                f"Revisions not registered for application {application}: {'; '.join('/'.join(k) for k in missing)}"
                if missing
                else ""
            ),
            "revisions": [self._revision_info(application, k, registered[k]) for k in keys if k in registered],
        }

    def _registered(self, application: str) -> dict[RevisionKey, RevisionRecord]:
        """Registered revisions: explicitly, else by the first deployment (by createTime, then
        id) of an S3 or GitHub revision, at its createTime."""
        implicit: dict[RevisionKey, tuple[float, str, dict[str, Any]]] = {}
        for deployment in self._deployments.values():
            info = deployment.info
            revision = info.get("revision")
            if info["applicationName"] != application or not isinstance(revision, dict):
                continue
            if revision.get("revisionType") not in ("S3", "GitHub"):
                continue
            key = _key_or_none(revision)
            first = (float(info.get("createTime") or 0.0), str(info["deploymentId"]), revision)
            if key is not None and (key not in implicit or first[:2] < implicit[key][:2]):
                implicit[key] = first
        registered = {
            key: RevisionRecord(copy.deepcopy(location), created, REGISTERED_BY_DEPLOYMENT.format(deployment_id=by))
            for key, (created, by, location) in implicit.items()
        }
        registered.update(self._revisions.get(application, {}))
        return registered

    def _revision_info(self, application: str, key: RevisionKey, record: RevisionRecord) -> dict[str, Any]:
        # Usage from the deployments held now: first/last createTime of the deployments of this
        # revision, and the groups whose newest deployment deploys it (their target revision).
        uses: list[float] = []
        newest: dict[str, tuple[float, str, bool]] = {}
        for deployment in self._deployments.values():
            info = deployment.info
            if info["applicationName"] != application:
                continue
            created = float(info.get("createTime") or 0.0)
            mine = _key_or_none(info.get("revision")) == key
            if mine:
                uses.append(created)
            group = info["deploymentGroupName"]
            candidate = (created, info["deploymentId"], mine)
            if group not in newest or candidate[:2] > newest[group][:2]:
                newest[group] = candidate
        generic: dict[str, Any] = {
            "deploymentGroups": sorted(g for g, (_, _, mine) in newest.items() if mine),
            "registerTime": record.register_time,
        }
        if record.description:
            generic["description"] = record.description
        if uses:
            generic["firstUsedTime"], generic["lastUsedTime"] = min(uses), max(uses)
        return {"revisionLocation": copy.deepcopy(record.location), "genericRevisionInfo": generic}


def _key_or_none(location: Any) -> RevisionKey | None:
    try:
        return revision_key(location)
    except ApiError:
        return None
