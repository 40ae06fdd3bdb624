"""Each worker's resident memory, as a gauge a scrape can read whichever worker it reaches.

Invariant: ``passbook_worker_memory_bytes`` shows, for each live worker, its resident memory
now (``kind="resident"``) and its peak (``kind="peak"``), never more than
``REFRESH_SECONDS`` old while that worker serves, and none for a worker that has gone. In
multiprocess mode the gauge is prometheus-client's ``liveall`` kind (a series per process,
its ``pid`` a label): a worker that ended cleanly or was killed leaves its file behind, so
the scrape first marks the processes no longer alive dead (:func:`forget_dead_workers`, with
prometheus-client's own ``mark_process_dead``). With one worker there is no ``pid`` label,
and prometheus-client's ``process_resident_memory_bytes`` is there beside it.

Reading the figures costs one small read of ``/proc/self/statm`` and one ``getrusage``; it
is done when a request ends at most every ``REFRESH_SECONDS``, and on every scrape by the
worker answering it.
"""

from __future__ import annotations

import os
import re
import resource
import time
from pathlib import Path

from prometheus_client import Gauge
from prometheus_client.multiprocess import mark_process_dead

REFRESH_SECONDS = 10.0

WORKER_MEMORY = Gauge(
    "passbook_worker_memory_bytes",
    "Memory of each worker process, resident now and its peak (its pid a label when several "
    f"serve), at most {REFRESH_SECONDS:g} s old while it serves.",
    ["kind"],
    multiprocess_mode="liveall",
)
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_LIVE_FILE = re.compile(r"gauge_live\w*?_(\d+)\.db")
_last = -REFRESH_SECONDS


def peak_bytes() -> int:
    """The most this process has had resident (Linux counts ``ru_maxrss`` in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def resident_bytes() -> int:
    """This process's resident memory now (its peak where ``/proc`` is missing)."""
    try:
        fields = Path("/proc/self/statm").read_text(encoding="ascii").split()
        return int(fields[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return peak_bytes()


def note_memory(*, force: bool = False) -> None:
    """Refresh the gauge if it is ``REFRESH_SECONDS`` old (or ``force``)."""
    global _last
    now = time.monotonic()
    if force or now - _last >= REFRESH_SECONDS:
        _last = now
        resident = resident_bytes()
        WORKER_MEMORY.labels("resident").set(resident)
        # the kernel's high-water mark is updated lazily and can lag the figure just read
        WORKER_MEMORY.labels("peak").set(max(peak_bytes(), resident))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # there, but another user's
        return True
    return True


def forget_dead_workers(directory: str | Path) -> None:
    """Mark dead every process whose live-gauge file is still there but which has ended."""
    pids = {
        int(found[1])
        for path in Path(directory).glob("gauge_live*.db")
        if (found := _LIVE_FILE.fullmatch(path.name))
    }
    for pid in pids:
        if not _alive(pid):
            mark_process_dead(pid, str(directory))  # type: ignore[no-untyped-call]
