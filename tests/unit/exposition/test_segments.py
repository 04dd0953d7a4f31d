"""Sealed segments (issue 28): settled deployments' lines kept as compressed pieces. Whatever
is sealed, dissolved or rebuilt, the body is the one an unsealed cache renders, and its gzip
form is one member that decompresses to its plain form."""

import gzip
import random
import zlib

from exporter.exposition.body import Plain, crc32_combine, gzipped, piece
from exporter.exposition.cache import ExpositionCache
from exporter.exposition.families.base import Level, identity_prefix
from exporter.exposition.segments import SEGMENT_SIZE, Segments
from exporter.exposition.views import DeploymentView, TargetView
from exporter.model import Deployment, Diagnostics, LifecycleEvent, Target, aggregate_hooks

DEPLOYMENTS = 2 * SEGMENT_SIZE + 20


def _target(deployment_id: str, n: int) -> Target:
    failed = n == 0
    events = (
        LifecycleEvent("Install", "Succeeded", 100.0, 101.0 + n, None),
        LifecycleEvent(
            "ValidateService",
            "Failed" if failed else "Succeeded",
            102.0,
            103.0,
            Diagnostics("ScriptFailed", "check.sh", "exit 1", "") if failed else None,
        ),
    )
    return Target(
        deployment_id, f"i-{n}", "InstanceTarget", f"arn:i-{n}", "Failed" if failed else "Succeeded", 5.0, "", events
    )


def _fleet(
    deployments: int = DEPLOYMENTS, account: str = "123456789012"
) -> tuple[list[TargetView], list[DeploymentView]]:
    targets, views = [], []
    for d in range(deployments):
        deployment_id = f"d-{d:09d}"
        records = [_target(deployment_id, n) for n in range(3)]
        for record in records:
            prefix = identity_prefix(Level.TARGET, account, "us-east-1", "web", "prod", deployment_id, record.target_id)
            targets.append(
                TargetView((deployment_id, record.target_id), prefix, record, True, True, True, deployment_id)
            )
        deployment = Deployment(deployment_id, "web", "prod", "Failed", "Server", "c", "IN_PLACE", "u", 1.0, 3.0, ())
        prefix = identity_prefix(Level.DEPLOYMENT, account, "us-east-1", "web", "prod", deployment_id)
        views.append(DeploymentView(deployment_id, prefix, deployment, aggregate_hooks(records)))
    return targets, views


def _lines(cache: ExpositionCache, targets, deployments) -> list[str]:
    return sorted(cache.render(targets, deployments).splitlines())


def _unsealed() -> ExpositionCache:
    cache = ExpositionCache()
    cache._segments = Segments(size=10**9)
    return cache


def test_settled_deployments_are_sealed_by_whole_segments_and_render_the_same_lines():
    targets, deployments = _fleet()
    cache = ExpositionCache()
    assert _lines(cache, targets, deployments) == _lines(_unsealed(), targets, deployments)
    assert len(cache._segments) == 2  # 148 settled deployments: two segments of 64, 20 live
    # The next poll reuses them: nothing is rendered again.
    assert _lines(cache, targets, deployments) == _lines(_unsealed(), targets, deployments)
    assert cache.rendered_last == 0


def test_a_deployment_that_leaves_dissolves_its_segment_and_the_rest_is_sealed_again():
    targets, deployments = _fleet()
    cache = ExpositionCache()
    cache.render(targets, deployments)
    gone = deployments[3].key
    targets = [t for t in targets if t.owner != gone]
    deployments = [d for d in deployments if d.key != gone]
    assert _lines(cache, targets, deployments) == _lines(_unsealed(), targets, deployments)
    assert all(gone not in line for line in cache.render(targets, deployments).splitlines())
    assert len(cache._segments) == 2  # 147 deployments: still two whole segments


def test_changed_identity_labels_of_a_sealed_target_are_rendered_anew():
    targets, deployments = _fleet()
    cache = ExpositionCache()
    cache.render(targets, deployments)
    old = targets[0]
    targets[0] = TargetView(
        old.key, old.prefix.replace("123456789012", "210987654321"), old.target, True, True, True, old.deployment_key
    )
    assert _lines(cache, targets, deployments) == _lines(_unsealed(), targets, deployments)
    assert any("210987654321" in line for line in cache.render(targets, deployments).splitlines())


def test_the_gzip_body_of_members_decompresses_to_the_plain_body_in_both_formats():
    targets, deployments = _fleet()
    sections = ExpositionCache().sections(targets, deployments)
    assert any(section.sealed for section in sections) and any(section.live for section in sections)
    for openmetrics in (False, True):
        plain = Plain(sections, b"# EOF\n", openmetrics=openmetrics)
        text = b"".join(plain)
        assert len(text) == plain.length
        body = gzipped(sections, b"# EOF\n", openmetrics=openmetrics)
        # One member: a reader that stops after the first (curl, zlib) gets it all.
        assert zlib.decompress(body, 31) == text == gzip.decompress(body)
        assert (b"# UNIT " in text) == openmetrics


def test_deployments_that_are_not_settled_are_never_sealed():
    targets, deployments = _fleet()
    running = [DeploymentView(d.key, d.prefix, d.deployment, None) for d in deployments]
    cache = ExpositionCache()
    cache.render(targets, running)
    assert len(cache._segments) == 0


def test_crc32_combine_gives_the_crc_of_the_joined_bytes():
    rng = random.Random(28)
    for _ in range(200):
        a = rng.randbytes(rng.choice((0, 1, 7, 100, 5000)))
        b = rng.randbytes(rng.choice((0, 1, 3, 64, 70_000)))
        assert crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)


def test_pieces_join_in_any_order_into_one_deflate_stream():
    texts = [b"alpha " * 300, b"", b"beta\n" * 7, bytes(range(256)) * 50]
    pieces = [piece([t]) for t in texts]
    for order in ([0, 1, 2, 3], [3, 2, 1, 0], [2, 0, 3, 1]):
        stream = b"".join(pieces[i].data for i in order) + zlib.compressobj(6, zlib.DEFLATED, -15).flush()
        assert zlib.decompress(stream, -15) == b"".join(texts[i] for i in order)
    assert [p.plain() for p in pieces] == texts


def test_a_segment_dissolved_with_nothing_to_seal_again_leaves_the_body():
    targets, deployments = _fleet(SEGMENT_SIZE)
    cache = ExpositionCache()
    cache.render(targets, deployments)
    assert len(cache._segments) == 1
    gone = deployments[0].key
    targets = [t for t in targets if t.owner != gone]
    deployments = [d for d in deployments if d.key != gone]
    assert _lines(cache, targets, deployments) == _lines(_unsealed(), targets, deployments)
    assert len(cache._segments) == 0
