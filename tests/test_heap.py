"""`bot.heap.settle`: what the process keeps is set aside from the cyclic collector, and what is
made afterwards is still collected."""

from __future__ import annotations

import gc
import weakref

from bot import heap


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the cyclic collector frees it


def test_settle_freezes_what_is_kept_and_still_collects_what_comes_after() -> None:
    garbage = Node()
    gone_before = weakref.ref(garbage)
    del garbage
    kept = Node()
    heap.settle()
    assert gone_before() is None  # garbage at the time is collected, not frozen
    assert gc.get_freeze_count() > 0
    # Frozen: in no generation, so no collection walks it again.
    assert not any(o is kept for o in gc.get_objects())
    later = Node()
    gone_later = weakref.ref(later)
    del later
    gc.collect()
    assert gone_later() is None  # made afterwards: collected as usual
    assert kept.me is kept
