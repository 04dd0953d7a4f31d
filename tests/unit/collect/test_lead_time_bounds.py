"""LeadTimes' bounds: the revision cache keeps the newest CACHE_MAX revisions, and a deployment
whose revision cannot be read is given up after ATTEMPTS_MAX polls."""

from __future__ import annotations

from exporter.aws.errors import ApiError
from exporter.collect import lead_time
from exporter.collect.lead_time import LeadTimes
from exporter.collect.outages import Outages
from exporter.config import AwsSettings
from exporter.model import Deployment, Revision

AWS = AwsSettings()
REF = (AWS, "web", "prod")


def deployment(n: int, complete: float) -> Deployment:
    return Deployment(
        f"d-{n:09d}", "web", "prod", "Succeeded", "Server", "c", "IN_PLACE", "user", 0.0, complete, (),
        revision=Revision("GitHub", github_repository="a/b", github_commit=f"{n:040x}"),
    )  # fmt: skip


class FakeApi:
    def __init__(self, fail: bool = False, answer: str = "registered") -> None:
        self.answer = answer
        self.fail = fail
        self.calls: list[list[dict]] = []

    def batch_get_application_revisions(self, application, revisions):
        self.calls.append(revisions)
        if self.fail:
            raise ApiError("BatchGetApplicationRevisions", "ThrottlingException")
        if self.answer == "none":  # every revision left out (not registered)
            return {"revisions": [], "errorMessage": "not registered"}
        generic = {"registerTime": 100.0} if self.answer == "registered" else {}
        return {"revisions": [{"revisionLocation": r, "genericRevisionInfo": generic} for r in revisions]}


def run_map(fn, items):
    return [fn(i) for i in items]


def test_the_cache_keeps_the_newest_revisions_only(monkeypatch):
    monkeypatch.setattr(lead_time, "CACHE_MAX", 3)
    times, api = LeadTimes(), FakeApi()
    times.sync({REF})
    for n in range(5):
        times.counted(REF, deployment(n, 200.0 + n))
    times.resolve(run_map, lambda aws: api, Outages())
    assert len(api.calls) == 1 and times.histograms[REF].count == 5  # all observed, then trimmed
    assert len(times.register_times) == 3
    times.counted(REF, deployment(4, 300.0))  # among the newest: no call
    times.resolve(run_map, lambda aws: api, Outages())
    assert len(api.calls) == 1 and times.histograms[REF].count == 6
    times.counted(REF, deployment(0, 300.0))  # trimmed: read again
    times.resolve(run_map, lambda aws: api, Outages())
    assert len(api.calls) == 2 and times.histograms[REF].count == 7


def test_a_revision_that_cannot_be_read_is_given_up_after_attempts_max():
    times, api = LeadTimes(), FakeApi(fail=True)
    times.sync({REF})
    times.counted(REF, deployment(1, 200.0))
    for poll in range(lead_time.ATTEMPTS_MAX):
        assert len(times.pending) == 1, poll
        times.resolve(run_map, lambda aws: api, Outages())
    assert times.pending == [] and len(api.calls) == lead_time.ATTEMPTS_MAX
    assert times.histograms[REF].count == 0


def test_revisions_without_a_register_time_are_not_observed_nor_asked_again():
    for answer in ("none", "no_time"):
        times, api = LeadTimes(), FakeApi(answer=answer)
        times.sync({REF})
        times.counted(REF, deployment(1, 200.0))
        times.resolve(run_map, lambda aws, api=api: api, Outages())
        times.counted(REF, deployment(1, 300.0))
        times.resolve(run_map, lambda aws, api=api: api, Outages())
        assert len(api.calls) == 1 and times.pending == [], answer
        assert times.histograms[REF].count == 0, answer
