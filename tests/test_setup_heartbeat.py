"""The heartbeat of long set-up work: a log never goes silent while a step runs.

Intervals are shortened (the real one is ``HEARTBEAT_S``); the tests wait for lines
to appear with a generous deadline and never assert how long anything took.
"""

from __future__ import annotations

import io
import subprocess
import threading
import time
from typing import Callable

import pytest

from benchlab.heartbeat import HEARTBEAT_S, Heartbeat, keep_alive
from benchlab.plugins.backends.llama.setup_progress import SetupProgress

SHORT_S = 0.05
DEADLINE_S = 10.0


def wait_for(condition: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def test_the_default_interval_keeps_a_log_under_15_seconds_of_silence() -> None:
    assert HEARTBEAT_S < 15


def test_a_silent_phase_gets_still_working_lines_and_close_stops_them() -> None:
    out = io.StringIO()
    progress = SetupProgress(out, rich=False, heartbeat_s=SHORT_S)
    progress.phase("downloading llama.cpp sources")
    assert wait_for(lambda: out.getvalue().count("downloading llama.cpp sources: still working (") >= 2), out.getvalue()
    progress.close()
    after_close = out.getvalue()
    time.sleep(SHORT_S * 6)
    assert out.getvalue() == after_close, "the heartbeat went on after close()"
    assert after_close.splitlines()[0] == "benchlab: downloading llama.cpp sources"
    assert all(line.startswith("benchlab: ") for line in after_close.splitlines())


def test_a_counted_phase_repeats_its_counter_in_silences() -> None:
    out = io.StringIO()
    with SetupProgress(out, rich=False, heartbeat_s=SHORT_S) as progress:
        progress.phase("building llama-server")
        progress.count(87, 206)  # a slow compile step: ninja prints nothing until it ends
        assert wait_for(lambda: out.getvalue().count("building llama-server: 87/206 (42%, ") >= 2), out.getvalue()
        progress.done("built llama-server")
        after_done = out.getvalue()
    time.sleep(SHORT_S * 6)
    assert out.getvalue() == after_done
    assert after_done.splitlines()[-1] == "benchlab: built llama-server"


def test_waiting_for_a_lock_before_any_phase_is_what_the_heartbeat_reports() -> None:
    out = io.StringIO()
    with SetupProgress(out, rich=False, heartbeat_s=SHORT_S) as progress:
        progress.note("waiting for another benchlab process to finish")
        assert wait_for(lambda: "waiting for another benchlab process to finish: still working (" in out.getvalue())


def test_a_terminal_gets_its_bar_and_no_heartbeat_lines() -> None:
    out = io.StringIO()
    with SetupProgress(out, rich=True, heartbeat_s=SHORT_S) as progress:
        progress.phase("building llama-server")
        time.sleep(SHORT_S * 6)
    assert "still working" not in out.getvalue()


def test_keep_alive_speaks_while_a_real_subprocess_is_silent_and_stops_after() -> None:
    lines: list[str] = []
    with keep_alive(lines.append, "packing rootfs.tar.zst", interval_s=SHORT_S) as say:
        say("packing starts")
        # A real child that prints nothing; the heartbeat has to fill the silence.
        child = subprocess.Popen(["sleep", "30"])
        try:
            assert wait_for(lambda: sum("packing rootfs.tar.zst: still working (" in l for l in lines) >= 2), lines
        finally:
            child.kill()
            child.wait()
    count = len(lines)
    time.sleep(SHORT_S * 6)
    assert len(lines) == count, "keep_alive went on after its block"
    assert lines[0] == "packing starts"


def test_an_interval_must_be_positive() -> None:
    with pytest.raises(ValueError):
        Heartbeat(print, lambda: "beat", interval_s=0)


def test_a_failing_sink_ends_the_heartbeat_not_the_work() -> None:
    calls = threading.Event()

    def broken(line: str) -> None:
        calls.set()
        raise ValueError("I/O operation on closed file")

    heartbeat = Heartbeat(broken, lambda: "beat", interval_s=SHORT_S)
    heartbeat.start()
    try:
        assert calls.wait(DEADLINE_S)
    finally:
        heartbeat.stop()
