"""Metrics across worker processes: prometheus-client's multiprocess mode.

Invariant: when several workers serve, ``/metrics`` answers the sum over every worker that
has served since the service started, whichever worker the scrape reaches. Each worker writes
its values to files of its own in one directory (``PROMETHEUS_MULTIPROC_DIR``), and the
scrape reads them all (:class:`prometheus_client.multiprocess.MultiProcessCollector`).

The directory must be fresh each time the service starts (files left by an earlier run would
be added in), so :func:`prepare_multiprocess` is called by the serving command before it
starts the workers, which inherit the variable. A worker may be forked from a parent that had
imported prometheus-client, and counted (the demo load), before the variable was set: so
each worker calls :func:`worker_started` first, which makes its values file-backed and drops
what the parent counted. Counters and histograms stay meaningful after a worker exits; the
one gauge, each worker's memory (:mod:`observe._memory`), is dropped for workers that are
gone at each scrape.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from functools import cache
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, values
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector

from observe._counters import forget_counted
from observe._memory import forget_dead_workers, note_memory

MULTIPROC_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def prepare_multiprocess(directory: str | Path | None = None) -> Path:
    """Make a fresh, empty directory for the workers' metric files (a new temporary one, or
    ``directory`` emptied) and point ``PROMETHEUS_MULTIPROC_DIR`` at it; returns it. Call it
    once, in the serving process, before any worker starts."""
    if directory is None:
        path = Path(tempfile.mkdtemp(prefix="passbook-metrics-"))
        atexit.register(shutil.rmtree, path, ignore_errors=True)
    else:
        path = Path(directory)
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
    os.environ[MULTIPROC_VARIABLE] = str(path)
    return path


def worker_started() -> None:
    """In a worker, before it serves: count into the workers' directory if there is one
    (whenever prometheus-client was first imported), beginning from nothing."""
    if in_multiprocess_mode():
        values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]
        forget_counted()
    note_memory(force=True)


def in_multiprocess_mode() -> bool:
    """Whether this process counts into the workers' shared directory."""
    return bool(os.environ.get(MULTIPROC_VARIABLE))


@cache
def _registry(directory: str | None) -> CollectorRegistry:
    if directory is None:
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
    return registry


def scrape() -> tuple[bytes, str]:
    """The metrics in Prometheus' text format and its media type: this process's alone, or
    in multiprocess mode every worker's, summed (and each live worker's memory)."""
    directory = os.environ.get(MULTIPROC_VARIABLE) or None
    note_memory(force=True)
    if directory is not None:
        forget_dead_workers(directory)
    return generate_latest(_registry(directory)), CONTENT_TYPE_LATEST
