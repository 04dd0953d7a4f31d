"""Application revisions for lead time, pure: a deployment's revision as the RevisionLocation
BatchGetApplicationRevisions takes, the key that matches an answer to what was asked, and the
registerTime of each revision answered.

Only S3 and GitHub revisions are asked about: a deployment's record carries no content of a
String or AppSpecContent revision (GetDeployment leaves it out), so those cannot be named.
"""

from __future__ import annotations

from typing import Any

from exporter.aws.parse import timestamp
from exporter.model import Revision

RevisionKey = tuple[str, ...]


def revision_location(revision: Revision | None) -> tuple[RevisionKey, dict[str, Any]] | None:
    """(match key, RevisionLocation) of an S3 or GitHub revision; None for any other."""
    if revision is None:
        return None
    if revision.revision_type == "S3" and revision.s3_bucket and revision.s3_key:
        s3 = {
            "bucket": revision.s3_bucket,
            "key": revision.s3_key,
            "bundleType": revision.s3_bundle_type,
            "version": revision.s3_version,
            "eTag": revision.s3_etag,
        }
        location = {"revisionType": "S3", "s3Location": {k: v for k, v in s3.items() if v}}
        return match_key(location), location
    if revision.revision_type == "GitHub" and revision.github_repository and revision.github_commit:
        location = {
            "revisionType": "GitHub",
            "gitHubLocation": {"repository": revision.github_repository, "commitId": revision.github_commit},
        }
        return match_key(location), location
    return None


def match_key(location: Any) -> RevisionKey:
    """What ties an answered revision to the one asked: S3 bucket, key and version (bundleType
    and eTag describe the same object), GitHub repository and commit; () for anything else."""
    if not isinstance(location, dict):
        return ()
    kind = location.get("revisionType")
    if kind == "S3" and isinstance(location.get("s3Location"), dict):
        s3 = location["s3Location"]
        return ("S3", str(s3.get("bucket") or ""), str(s3.get("key") or ""), str(s3.get("version") or ""))
    if kind == "GitHub" and isinstance(location.get("gitHubLocation"), dict):
        github = location["gitHubLocation"]
        return ("GitHub", str(github.get("repository") or ""), str(github.get("commitId") or ""))
    return ()


def register_times(response: Any) -> dict[RevisionKey, float | None]:
    """BatchGetApplicationRevisions' answer: registerTime of each revision it lists (None when
    the answer has none)."""
    revisions = response.get("revisions") if isinstance(response, dict) else None
    out: dict[RevisionKey, float | None] = {}
    for info in revisions if isinstance(revisions, list) else []:
        if not isinstance(info, dict):
            continue
        key = match_key(info.get("revisionLocation"))
        generic = info.get("genericRevisionInfo")
        if key:
            out[key] = timestamp(generic.get("registerTime")) if isinstance(generic, dict) else None
    return out
