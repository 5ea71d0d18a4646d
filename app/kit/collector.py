"""Pausing Python's cyclic garbage collector around a bounded build of many objects.

CPython runs a full collection (a walk of every tracked object) each time the objects that
survived earlier collections grow by a quarter. A build that grows the heap several times over
(a subject's access package: tens of thousands of records, their read models and the rendered
rows) therefore pays for several walks of the whole heap, none of which finds garbage: measured,
0.7–1.2 s of a 10k-record package's 1.8 s (bench/README.md). Reference counting still frees
every object not in a cycle at once; cycles made meanwhile wait for the next collection.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic collection while the block runs (also usable as a decorator). The collector
    is process-wide: whoever found it enabled turns it back on, so overlapping pauses in
    several threads end with it enabled, and one turned off elsewhere stays off."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
