"""Full garbage collections pause every thread (scrapes included): the daemon runs one every
10 minutes and freezes what survives, so the automatic ones scan only newer objects."""

from __future__ import annotations

import gc
import weakref

from exporter.app import collect_and_freeze


def test_collect_and_freeze_frees_cycles_and_exempts_survivors_from_later_collections():
    class Node:
        pass

    survivor = Node()
    cycle = Node()
    cycle.self = cycle  # type: ignore[attr-defined]  # garbage only a collection frees
    dead = weakref.ref(cycle)
    del cycle
    try:
        collect_and_freeze()
        assert dead() is None
        assert gc.get_freeze_count() > 0
        assert not any(o is survivor for o in gc.get_objects())  # frozen: not scanned
    finally:
        gc.unfreeze()
