"""Metrics across worker processes: what each worker counts, /metrics sums.

What it protects (:mod:`observe._multiprocess` and ``passbook serve``): two processes that
count into the directory :func:`observe.prepare_multiprocess` made are scraped as one sum;
the directory starts empty, so an earlier run is never added in; and ``passbook serve
--workers 2`` answers /metrics with the requests both workers served, whichever one the
scrape reaches.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

import observe
from tests.chaos._world import passbook_command

COUNTING = """
import observe
for _ in range({n}):
    observe.request_done("/health", "GET", 200, 0.004)
observe.points_redeemed("yzs-g1", {points})
"""


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus' text format (labels in any order)."""
    total = 0.0
    for line in text.splitlines():
        found = re.fullmatch(r"(\w+)(?:\{(.*)\})? (\S+)", line)
        if not found or found[1] != name:
            continue
        have = dict(re.findall(r'(\w+)="([^"]*)"', found[2] or ""))
        if all(have.get(k) == v for k, v in labels.items()):
            total += float(found[3])
    return total


def count_in(directory: Path, n: int, points: int) -> None:
    """Run a separate interpreter that counts into ``directory``."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", COUNTING.format(n=n, points=points), "--"],
        env={**os.environ, observe.MULTIPROC_VARIABLE: str(directory)},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


def test_two_processes_are_scraped_as_one_sum(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "metrics"
    directory.mkdir()
    (directory / "counter_1.db").write_bytes(b"left by an earlier run")
    # recorded as it was before the test (unset), and so restored after it
    monkeypatch.setenv(observe.MULTIPROC_VARIABLE, "")
    made = observe.prepare_multiprocess(directory)
    assert made == directory
    assert os.environ[observe.MULTIPROC_VARIABLE] == str(directory)
    assert list(directory.iterdir()) == []  # fresh: nothing of an earlier run counts
    count_in(directory, 3, 10)
    count_in(directory, 4, 5)
    assert len(list(directory.glob("histogram_*.db"))) == 2  # one file per process
    body, media_type = observe.scrape()
    text = body.decode()
    assert media_type.startswith("text/plain")
    labels = {"route": "/health", "method": "GET", "status": "200"}
    assert sample(text, "passbook_http_request_duration_seconds_count", **labels) == 7
    assert sample(text, "passbook_points_redeemed_total", grid="yzs-g1") == 15
    assert observe.in_multiprocess_mode() is True
    # both processes have ended: their memory is not shown, and their gauge files are gone
    assert "passbook_worker_memory_bytes{" not in text
    assert list(directory.glob("gauge_*.db")) == []


WAITING = """
import sys
import observe
observe.worker_started()
observe.request_done("/health", "GET", 200, 0.004)
print("ready", flush=True)
sys.stdin.readline()
"""


def memory_by_pid(text: str, kind: str) -> dict[int, float]:
    found = re.findall(rf'passbook_worker_memory_bytes\{{kind="{kind}",pid="(\d+)"\}} (\S+)', text)
    return {int(pid): float(value) for pid, value in found}


def test_each_live_workers_memory_is_shown_and_a_gone_one_is_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(observe.MULTIPROC_VARIABLE, "")
    directory = observe.prepare_multiprocess(tmp_path / "metrics")
    with subprocess.Popen(  # noqa: S603 - our own interpreter and script
        # a warning is an error: a worker's start writes nothing to its log but its lines
        [sys.executable, "-W", "error::UserWarning", "-c", WAITING],
        env={**os.environ, observe.MULTIPROC_VARIABLE: str(directory)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as worker:
        try:
            assert worker.stdout is not None
            assert worker.stdout.readline().strip() == "ready"
            text = observe.scrape()[0].decode()
            resident = memory_by_pid(text, "resident")
            peak = memory_by_pid(text, "peak")
            assert list(resident) == [worker.pid], text
            assert 5 * 2**20 < resident[worker.pid] <= peak[worker.pid] < 2**30
        finally:
            worker.kill()  # killed: it had no chance to tidy up after itself
            worker.wait(timeout=30)
    text = observe.scrape()[0].decode()
    assert memory_by_pid(text, "resident") == {}
    assert list(directory.glob("gauge_*.db")) == []


def test_a_fresh_directory_is_made_when_none_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setenv(observe.MULTIPROC_VARIABLE, "")
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # read TMPDIR again
    first = observe.prepare_multiprocess()
    second = observe.prepare_multiprocess()
    assert first != second
    assert first.parent == second.parent == tmp_path
    assert list(first.iterdir()) == list(second.iterdir()) == []


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_serve_with_two_workers_answers_metrics_summed_over_both(tmp_path: Path) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    log = (tmp_path / "serve.log").open("wb")
    url = f"sqlite+aiosqlite:///{tmp_path / 'books.db'}"
    env = {k: v for k, v in os.environ.items() if k != observe.MULTIPROC_VARIABLE}
    command = [*passbook_command(), "serve", "--workers", "2", "--demo", "--port", str(port)]
    process = subprocess.Popen(  # noqa: S603 - our own command
        [*command, "--database-url", url],
        env={**env, "TMPDIR": str(scratch), "PASSBOOK_EXPIRY_INTERVAL_SECONDS": "0"},
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 90
        polls = 0
        while True:
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "the service did not start"
            try:
                polls += 1
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        # 60 more, each on a connection of its own, so both workers serve some
        for _ in range(60):
            assert httpx.get(f"{base}/health", headers={"Connection": "close"}).status_code == 200
        [directory] = list(scratch.glob("passbook-metrics-*"))
        pids = {int(f.stem.split("_")[1]) for f in directory.glob("histogram_*.db")}
        assert len(pids) == 2, pids  # both workers served and wrote their own file
        admin = {"Authorization": "Bearer pb_demo_admin", "Connection": "close"}
        for _ in range(4):  # whichever worker answers, the sum is the same
            scraped = httpx.get(f"{base}/metrics", headers=admin)
            assert scraped.status_code == 200, scraped.text
            served = sample(
                scraped.text,
                "passbook_http_request_duration_seconds_count",
                route="/health",
                status="200",
            )
            assert served == 61  # the one poll that answered, and the 60
            memory = memory_by_pid(scraped.text, "resident")
            assert set(memory) == pids, scraped.text  # each worker's own memory
            assert all(10 * 2**20 < rss < 2**30 for rss in memory.values()), memory
        lines = (tmp_path / "serve.log").read_text()
        assert lines.count('"route":"/health"') >= 61  # the workers' JSON request lines
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
    assert not directory.exists()  # removed when the service ended
