"""The processes of a running server and their memory, read from /proc.

The rule it keeps: memory is what the kernel says each process holds now (VmRSS), for the
server's process and every process below it; the workers are the processes below the top
one, or the top one itself when it serves alone.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["rss_mb", "workers_of"]


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(p) for p in task.read_text().split()]
        except OSError:
            continue
    return found


def _tree(pid: int) -> list[int]:
    below = []
    for child in _children(pid):
        below += [child, *_tree(child)]
    return below


def workers_of(pid: int) -> list[int]:
    """The processes that answer requests: those below ``pid``, or ``pid`` if none."""
    below = [p for p in _tree(pid) if _python_or_server(p)]
    return below or [pid]


def _python_or_server(pid: int) -> bool:
    try:
        return rss_mb(pid) > 20  # a helper like a resource tracker holds less
    except OSError:
        return False


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` in MB (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0
