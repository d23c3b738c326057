"""The garbage collector's settings while the retention job runs.

A run allocates and frees millions of short-lived objects (rows, views, statements). With
Python's default settings the collector's youngest generation is examined every 700 net
allocations, and each examination promotes survivors until a full collection walks every
object in the process (SQLAlchemy's mappings and caches, the run's list of cases): at 10,000
cases on SQLite, a third of the job's Python time was spent collecting (3.5 s of the main
thread's 11 s; 22 full collections). Almost nothing the job builds is cyclic garbage (it is
freed by reference counting as each batch ends), so for the run the objects that existed
before it are set aside (`gc.freeze`) and the youngest generation is examined every 50,000
net allocations; both are put back when the last run in the process ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_YOUNGEST_THRESHOLD = 50_000

_runs = 0  # runs in progress in this process (tests may run two jobs at once)
_before: tuple[int, int, int] = (700, 10, 10)


@contextmanager
def fewer_collections() -> Iterator[None]:
    global _runs, _before
    if _runs == 0:
        _before = gc.get_threshold()
        gc.freeze()
        gc.set_threshold(max(_YOUNGEST_THRESHOLD, _before[0]), *_before[1:])
    _runs += 1
    try:
        yield
    finally:
        _runs -= 1
        if _runs == 0:
            gc.set_threshold(*_before)
            gc.unfreeze()
