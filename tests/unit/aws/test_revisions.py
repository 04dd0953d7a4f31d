"""Revisions for lead time: how a deployment's revision is named to BatchGetApplicationRevisions
and how the answer's registerTime is tied back to it."""

from __future__ import annotations

from datetime import datetime, timezone

from exporter.aws.parse import parse_revision
from exporter.aws.revisions import match_key, register_times, revision_location


def test_s3_revisions_are_asked_with_every_member_the_deployment_gave():
    revision = parse_revision(
        {
            "revisionType": "S3",
            "s3Location": {"bucket": "b", "key": "k.zip", "bundleType": "zip", "version": "v1", "eTag": "e1"},
        }
    )
    key, location = revision_location(revision)
    assert location == {
        "revisionType": "S3",
        "s3Location": {"bucket": "b", "key": "k.zip", "bundleType": "zip", "version": "v1", "eTag": "e1"},
    }
    assert key == ("S3", "b", "k.zip", "v1")
    unversioned = revision_location(parse_revision({"revisionType": "S3", "s3Location": {"bucket": "b", "key": "k"}}))
    assert unversioned[1] == {"revisionType": "S3", "s3Location": {"bucket": "b", "key": "k"}}


def test_github_revisions_are_asked_and_inline_ones_are_not():
    key, location = revision_location(
        parse_revision({"revisionType": "GitHub", "gitHubLocation": {"repository": "a/b", "commitId": "c1"}})
    )
    assert key == ("GitHub", "a/b", "c1")
    assert location["gitHubLocation"] == {"repository": "a/b", "commitId": "c1"}
    for inline in (
        {"revisionType": "AppSpecContent", "appSpecContent": {"sha256": "ab"}},
        {"revisionType": "String", "string": {"content": "x", "sha256": "cd"}},
        {"revisionType": "S3", "s3Location": {"bucket": "b"}},  # no key: not a revision to name
    ):
        assert revision_location(parse_revision(inline)) is None
    assert revision_location(None) is None


def test_answers_are_matched_by_bucket_key_and_version_whatever_else_they_carry():
    asked = {"revisionType": "S3", "s3Location": {"bucket": "b", "key": "k", "version": "v1"}}
    answered = {"revisionType": "S3", "s3Location": {"bucket": "b", "key": "k", "version": "v1", "eTag": "x"}}
    assert match_key(asked) == match_key(answered)
    other = {"revisionType": "S3", "s3Location": {"bucket": "b", "key": "k", "version": "v2"}}
    assert match_key(other) != match_key(asked)


def test_register_times_reads_each_answered_revision():
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    commit = {"revisionType": "GitHub", "gitHubLocation": {"repository": "a/b", "commitId": "c1"}}
    bundle = {"revisionType": "S3", "s3Location": {"bucket": "b", "key": "k"}}
    answer = {
        "revisions": [
            {"revisionLocation": commit, "genericRevisionInfo": {"registerTime": when}},
            {"revisionLocation": bundle, "genericRevisionInfo": {}},
            {"genericRevisionInfo": {"registerTime": when}},  # no location: cannot be tied to anything
            "junk",
        ]
    }
    assert register_times(answer) == {match_key(commit): when.timestamp(), match_key(bundle): None}
    assert register_times({}) == {} and register_times(None) == {}
