"""The process's long-lived objects, set aside from Python's cyclic garbage collector.

A full collection walks every object the collector tracks. What a process builds to start (its
modules, the command tree, the schedule engine's jobs: a couple of hundred thousand objects)
stays for its whole life, yet each full collection walked it again: about 0.1 s of CPU each,
several times in a long export. `settle` collects what is garbage now and moves everything else
out of the collector's sight (`gc.freeze`); what is made afterwards is collected as before.

Objects frozen are never collected as cyclic garbage, even if they become so later (a job of a
schedule cancelled afterwards): a few kilobytes per such change, against a walk of the whole
heap at every full collection.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Collect now, then freeze what is left: call once the process has built what it keeps."""
    gc.collect()
    gc.freeze()
