"""Listing.select: which listed deployments of a group are followed, watched or forgotten."""

from __future__ import annotations

import math

from exporter.collect.sources import Listing
from exporter.model import Deployment

NOW = 1_800_000_000.0
RETENTION = 3600.0
LONG_AGO = NOW - 10 * RETENTION


def deployment(deployment_id: str, status: str, create: float, end: float | None = None) -> Deployment:
    return Deployment(deployment_id, "web", "prod", status, "Server", "c", "IN_PLACE", "user", create, end, ())


class Group:
    """A listing and the records the deployment store would hold for it."""

    def __init__(self, *records: Deployment) -> None:
        self.listing = Listing()
        self.records: dict[str, Deployment] = {}
        self.put(*records)

    def put(self, *records: Deployment) -> None:
        for record in records:
            if record.deployment_id not in self.listing.created:
                self.listing.learn(record)
            self.records[record.deployment_id] = record

    def select(self, latest: int, now: float = NOW, horizon: float = 0.0) -> Listing:
        self.listing.select(latest, self.records.get, RETENTION, now, horizon)
        return self.listing


def test_the_newest_latest_are_followed_and_older_running_ones_watched():
    group = Group(*(deployment(f"d-RUNNING0{n}", "InProgress", NOW - 100 * (5 - n)) for n in range(1, 5)))
    listing = group.select(latest=2)
    assert listing.followed == {"d-RUNNING03", "d-RUNNING04"}
    assert listing.watched == {"d-RUNNING01", "d-RUNNING02"}


def test_a_deployment_not_read_yet_counts_as_running():
    # No record: nothing says it finished, so it is watched until it is read.
    group = Group(deployment("d-NEWEST001", "InProgress", NOW))
    group.listing.created["d-NOTREAD01"] = NOW - 100
    listing = group.select(latest=1)
    assert listing.followed == {"d-NEWEST001"}
    assert listing.watched == {"d-NOTREAD01"}


def test_an_older_finished_deployment_is_neither_followed_nor_watched():
    group = Group(
        deployment("d-OLDDONE01", "Succeeded", NOW - 200, NOW - 100), deployment("d-NEWEST001", "Queued", NOW)
    )
    listing = group.select(latest=1)
    assert listing.followed == {"d-NEWEST001"}
    assert listing.watched == set()


def test_a_followed_deployment_stays_followed_for_retention_after_completing_then_drops():
    group = Group(deployment("d-FIRST0001", "InProgress", NOW - 600))
    assert group.select(latest=1, now=NOW - 500).followed == {"d-FIRST0001"}
    # A newer one pushes it out of the newest `latest` while it finishes.
    group.put(deployment("d-SECOND001", "InProgress", NOW - 300), deployment("d-FIRST0001", "Failed", NOW - 600, NOW))
    assert group.select(latest=1, now=NOW).followed == {"d-FIRST0001", "d-SECOND001"}
    assert group.select(latest=1, now=NOW + RETENTION).followed == {"d-FIRST0001", "d-SECOND001"}
    listing = group.select(latest=1, now=NOW + RETENTION + 1)
    assert listing.followed == {"d-SECOND001"}
    assert listing.watched == set()  # finished: nothing left to watch for


def test_a_running_watched_deployment_that_finishes_is_not_followed():
    # Watched ones are read only until they finish; retention is for followed ones.
    group = Group(deployment("d-WATCHED01", "InProgress", NOW - 600), deployment("d-NEWEST001", "InProgress", NOW))
    assert group.select(latest=1).watched == {"d-WATCHED01"}
    group.put(deployment("d-WATCHED01", "Succeeded", NOW - 600, NOW + 10))
    listing = group.select(latest=1, now=NOW + 20)
    assert listing.followed == {"d-NEWEST001"} and listing.watched == set()


def test_a_newest_deployment_finished_beyond_retention_is_not_followed():
    group = Group(
        deployment("d-EXPIRED01", "Succeeded", LONG_AGO, LONG_AGO + 60), deployment("d-RUNNING01", "InProgress", NOW)
    )
    listing = group.select(latest=2)
    assert listing.followed == {"d-RUNNING01"}
    assert "d-EXPIRED01" in listing.created  # still known: never listed again as new


def test_a_finished_deployment_without_complete_time_stays_followed():
    group = Group(deployment("d-NOEND0001", "InProgress", NOW - 600))
    group.select(latest=1)
    group.put(deployment("d-NEWEST001", "InProgress", NOW - 60), deployment("d-NOEND0001", "Stopped", NOW - 600, None))
    listing = group.select(latest=1, now=NOW + 1000 * RETENTION)
    assert listing.followed == {"d-NOEND0001", "d-NEWEST001"}
    assert listing.completed["d-NOEND0001"] == math.inf


def test_below_the_horizon_only_what_is_still_wanted_is_remembered():
    horizon = NOW - RETENTION
    group = Group(
        deployment("d-OLDDONE01", "Succeeded", LONG_AGO, LONG_AGO + 60),  # forgotten
        deployment("d-OLDDONE02", "Failed", LONG_AGO + 100, LONG_AGO + 160),  # forgotten
        deployment("d-OLDRUN001", "InProgress", LONG_AGO + 200),  # watched: kept
        deployment("d-RECENT001", "Succeeded", horizon + 10, horizon + 60),  # above the horizon: kept
        deployment("d-NEWEST001", "Succeeded", horizon + 20, LONG_AGO),  # newest `latest`: kept
    )
    listing = group.select(latest=1, horizon=horizon)
    assert set(listing.created) == {"d-OLDRUN001", "d-RECENT001", "d-NEWEST001"}
    assert set(listing.completed) == {"d-RECENT001", "d-NEWEST001"}
    assert listing.watched == {"d-OLDRUN001"}


def test_the_newest_latest_are_kept_below_the_horizon_even_when_expired():
    # Kept so that the window of the newest `latest` never has to be listed again.
    group = Group(
        deployment("d-OLDDONE01", "Succeeded", LONG_AGO, LONG_AGO + 60),
        deployment("d-OLDDONE02", "Succeeded", LONG_AGO + 100, LONG_AGO + 160),
        deployment("d-OLDDONE03", "Succeeded", LONG_AGO + 200, LONG_AGO + 260),
    )
    listing = group.select(latest=2, horizon=NOW)
    assert set(listing.created) == {"d-OLDDONE02", "d-OLDDONE03"}
    assert listing.followed == set()


def test_a_followed_deployment_within_retention_is_kept_below_the_horizon():
    group = Group(deployment("d-FOLLOWED1", "InProgress", LONG_AGO))
    group.select(latest=1)
    group.put(deployment("d-NEWEST001", "InProgress", NOW), deployment("d-FOLLOWED1", "Succeeded", LONG_AGO, NOW))
    listing = group.select(latest=1, horizon=NOW - 1)
    assert "d-FOLLOWED1" in listing.created and listing.followed == {"d-FOLLOWED1", "d-NEWEST001"}
