"""The sandbox API on real providers: files in and out, stdin, env, caps, concurrency, cancellation,
selection between providers (with real unreachable and silent engines), and the CLI commands."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from functools import partial
from pathlib import Path
from typing import Iterator

import pytest

from sandbox_helpers import (
    PROVIDERS, leftover_containers, leftover_processes, prepared_provider, processes_with,
)
from servers.base import silent_listener

from benchlab.errors import BenchlabError
from benchlab.registry import Registry
from benchlab.sandbox import MiB, ExecRequest, FileEntry, Limits, Sandbox, SandboxFailure
from benchlab.sandboxes.bwrap_provider import BwrapSandbox
from benchlab.sandboxes.docker_provider import DockerSandbox
from benchlab.sandbox_selection import choose_sandbox

DEAD_DOCKER = "unix:///nonexistent/benchlab-test/docker.sock"


@pytest.fixture(params=PROVIDERS, scope="module")
def sandbox(request: pytest.FixtureRequest) -> Sandbox:
    return prepared_provider(request.param)


# -- requests -----------------------------------------------------------------------------


@pytest.mark.parametrize("files", [{"/etc/x": "a"}, {"../x": "a"}, {"a/../../x": "a"}, {"": "a"}])
def test_file_paths_must_stay_in_the_work_dir(files: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="must be relative"):
        ExecRequest(["true"], files=files)


def test_bad_requests_are_refused() -> None:
    with pytest.raises(ValueError, match="non-empty list"):
        ExecRequest([])
    with pytest.raises(ValueError, match="toolchains must be non-empty names"):
        ExecRequest(["true"], toolchains={" "})
    with pytest.raises(ValueError, match="bad environment variable"):
        ExecRequest(["true"], env={"A=B": "c"})
    with pytest.raises(ValueError, match="wall_seconds"):
        Limits(wall_seconds=0)


# -- one execution, on each provider --------------------------------------------------------


def test_a_toolchain_the_provider_does_not_declare_is_unavailable_not_run(sandbox: Sandbox) -> None:
    assert {"python", "shell"} <= sandbox.toolchains
    result = sandbox.run_sync(ExecRequest(["true"], toolchains={"cobol"}))
    assert result.sandbox_failure == SandboxFailure.UNAVAILABLE and "no cobol toolchain" in result.detail


def test_files_stdin_env_and_exit_code_round_trip(sandbox: Sandbox) -> None:
    os.environ["BENCHLAB_TEST_HOST_SECRET"] = "must-not-leak"
    try:
        request = ExecRequest(
            ["./run.sh", "arg one"],
            files={"run.sh": FileEntry("#!/bin/sh\ncat data/in.txt > out.txt\ncat >> out.txt\necho \"$1|$GREETING|$HOME|$(pwd)\"\n"
                                       "env > env.txt\necho oops >&2\nexit 3\n", mode=0o755),
                   "data/in.txt": b"from a file\n"},
            stdin="from stdin\n",
            env={"GREETING": "hello"},
        )
        result = sandbox.run_sync(request)
    finally:
        del os.environ["BENCHLAB_TEST_HOST_SECRET"]
    assert result.sandbox_failure is None, result.detail
    assert result.exit_code == 3 and not result.ok
    assert result.stdout == "arg one|hello|/box|/box\n"
    assert result.stderr == "oops\n"
    assert result.files["out.txt"] == b"from a file\nfrom stdin\n"
    assert result.files["data/in.txt"] == b"from a file\n"
    env = result.file_text("env.txt") or ""
    assert "GREETING=hello" in env and "must-not-leak" not in env
    assert result.provider == sandbox.name and result.killed_reason is None and not result.timed_out


def test_identity_privileges_and_read_only_root(sandbox: Sandbox) -> None:
    script = "id -u; hostname; grep -E '^(CapEff|NoNewPrivs)' /proc/self/status; touch /usr/x 2>/dev/null || echo ro"
    result = sandbox.run_sync(ExecRequest(["sh", "-c", script]))
    lines = result.stdout.split("\n")
    assert lines[0] == "65534" and lines[1] == "sandbox"
    assert "CapEff:\t0000000000000000" in lines and "NoNewPrivs:\t1" in lines
    assert lines[-2] == "ro"


def test_a_program_killed_by_a_signal_reports_128_plus_the_signal(sandbox: Sandbox) -> None:
    result = sandbox.run_sync(ExecRequest(["sh", "-c", "kill -SEGV $$"]))
    assert result.exit_code == 128 + 11
    assert result.killed_reason is None and not result.timed_out


def test_stderr_is_capped_apart_from_stdout(sandbox: Sandbox) -> None:
    script = "import sys; print('fine'); sys.stdout.flush(); sys.stderr.write('e' * 2_000_000)"
    result = sandbox.run_sync(ExecRequest(["python3", "-c", script], limits=Limits(output_bytes=64 * 1024)))
    assert result.stdout == "fine\n" and not result.stdout_truncated
    assert result.stderr_truncated and len(result.stderr) == 64 * 1024


def test_reading_back_the_work_dir_is_capped(sandbox: Sandbox) -> None:
    script = "for i in range(5): open(f'f{i}.bin', 'wb').write(bytes(1024 * 1024))"
    limits = Limits(collect_bytes=int(2.5 * MiB))
    result = sandbox.run_sync(ExecRequest(["python3", "-c", script], limits=limits))
    assert result.exit_code == 0 and result.files_truncated
    assert sorted(result.files) == ["f0.bin", "f1.bin"]
    skipped = sandbox.run_sync(ExecRequest(["python3", "-c", script], collect=False))
    assert skipped.exit_code == 0 and skipped.files == {} and not skipped.files_truncated


def test_a_short_program_is_not_flagged(sandbox: Sandbox) -> None:
    result = sandbox.run_sync(ExecRequest(["sleep", "0.3"], limits=Limits(wall_seconds=5)))
    assert result.ok and not result.timed_out
    assert 0.3 <= result.duration_s < 3


def test_concurrent_runs_are_isolated_and_overlap(sandbox: Sandbox) -> None:
    async def one(index: int) -> object:
        script = f"import os, time; open('mine.txt', 'w').write('{index}'); time.sleep(1); print(sorted(os.listdir('.')))"
        return await sandbox.run(ExecRequest(["python3", "-c", script], files={f"given-{index}.txt": str(index)}))

    async def all_of_them() -> list[object]:
        return await asyncio.gather(*(one(i) for i in range(6)))

    started = time.monotonic()
    results = asyncio.run(all_of_them())
    elapsed = time.monotonic() - started
    for index, result in enumerate(results):
        assert result.exit_code == 0, result.stderr
        assert result.files == {"mine.txt": str(index).encode(), f"given-{index}.txt": str(index).encode()}
        assert result.stdout.strip() == str(sorted([f"given-{index}.txt", "mine.txt"]))
    # Four at a time: two rounds of one second plus start-up, well under six in a row.
    assert elapsed < 5.5, elapsed


def test_cancelling_the_awaiting_task_kills_the_program(sandbox: Sandbox) -> None:
    marker = f"{time.time_ns() % 10**6 + 500}.25"

    async def scenario() -> None:
        task = asyncio.create_task(sandbox.run(ExecRequest(["sleep", marker], limits=Limits(wall_seconds=60))))
        deadline = time.monotonic() + 10
        while not processes_with(f"sleep {marker}") and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert processes_with(f"sleep {marker}"), "the program never started"
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    started = time.monotonic()
    asyncio.run(scenario())
    deadline = time.monotonic() + 5
    while (processes_with(f"sleep {marker}") or leftover_containers() or leftover_processes()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_with(f"sleep {marker}") == []
    assert leftover_containers() == [] and leftover_processes() == []
    assert time.monotonic() - started < 20


def test_a_missing_toolchain_is_not_run(sandbox: Sandbox) -> None:
    class PythonOnly(type(sandbox)):  # type: ignore[misc]
        """The same provider, declaring a smaller image (as a third-party image might)."""

        @property
        def toolchains(self) -> frozenset[str]:
            return frozenset({"python"})

    result = PythonOnly().run_sync(ExecRequest(["javac", "-version"], toolchains={"java"}))
    assert result.sandbox_failure == SandboxFailure.UNAVAILABLE and "java" in result.detail


# -- availability and selection -------------------------------------------------------------


def _registry(**factories: object) -> Registry:
    registry = Registry("sandbox")
    for name, factory in factories.items():
        registry.add(name, factory, plugin="test")
    return registry


def test_a_missing_engine_is_reported_fast_with_a_fix() -> None:
    started = time.monotonic()
    availability = DockerSandbox(base_url=DEAD_DOCKER).available()
    assert time.monotonic() - started < 2
    assert not availability.ok and "no Docker engine answers" in availability.reason
    assert "start the Docker engine" in availability.fix


@pytest.fixture
def silent_engine(tmp_path: Path) -> Iterator[str]:
    """A unix socket that accepts connections and never answers: a hung Docker daemon."""
    with silent_listener(tmp_path / "silent.sock") as url:
        yield url


def test_a_silent_engine_is_given_up_on_within_seconds(silent_engine: str) -> None:
    started = time.monotonic()
    availability = DockerSandbox(base_url=silent_engine).available()
    elapsed = time.monotonic() - started
    assert not availability.ok and "no Docker engine answers" in availability.reason
    assert elapsed < 7, elapsed  # one 3-second timeout (plus a retry of the version probe at worst)


def test_run_without_an_engine_is_sandbox_unavailable() -> None:
    result = DockerSandbox(base_url=DEAD_DOCKER).run_sync(ExecRequest(["true"]))
    assert result.sandbox_failure == SandboxFailure.UNAVAILABLE
    assert result.exit_code is None and "start the Docker engine" in result.detail


def test_selection_prefers_docker_when_both_work() -> None:
    prepared_provider("docker")
    prepared_provider("bwrap")
    from benchlab.plugin_manager import load_plugins

    choice = choose_sandbox(load_plugins().sandboxes)
    assert choice.provider is not None and choice.provider.name == "docker"
    assert [c.name for c in choice.candidates] == ["docker", "bwrap"]
    assert all(c.availability.ok and c.ready for c in choice.candidates)
    assert [c.name for c in choice.rejected] == ["bwrap"]


def test_selection_falls_back_to_bwrap_and_says_why_not_docker() -> None:
    prepared_provider("bwrap")
    registry = _registry(docker=partial(DockerSandbox, base_url=DEAD_DOCKER), bwrap=BwrapSandbox)
    choice = choose_sandbox(registry)
    assert choice.provider is not None and choice.provider.name == "bwrap"
    (rejected,) = choice.rejected
    assert rejected.name == "docker" and not rejected.availability.ok
    assert "no Docker engine answers" in rejected.availability.reason
    result = choice.provider.run_sync(ExecRequest(["echo", "fallback"]))
    assert result.stdout == "fallback\n"


def test_asking_for_a_provider_that_cannot_run_is_a_clear_error() -> None:
    registry = _registry(docker=partial(DockerSandbox, base_url=DEAD_DOCKER))
    with pytest.raises(BenchlabError, match=r"sandbox 'docker' cannot run here: no Docker engine answers.*fix: start"):
        choose_sandbox(registry, "docker")


def test_no_provider_gives_sandbox_unavailable_with_every_fix() -> None:
    registry = _registry(docker=partial(DockerSandbox, base_url=DEAD_DOCKER),
                         bwrap=partial(BwrapSandbox, bwrap_path="/nonexistent/bwrap"))
    choice = choose_sandbox(registry)
    assert choice.provider is None
    detail = choice.unavailable_detail()
    assert detail == choice.reason
    assert "docker: no Docker engine answers" in detail and "start the Docker engine" in detail
    assert "bwrap: bubblewrap is not installed at /nonexistent/bwrap" in detail and "apt-get install -y bubblewrap" in detail


# -- command line ------------------------------------------------------------------------------


def _benchlab(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "benchlab", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def test_doctor_reports_each_provider_and_a_smoke_run() -> None:
    prepared_provider("docker")
    prepared_provider("bwrap")
    done = _benchlab("sandbox", "doctor")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith("docker   ok") for line in lines) and any(line.startswith("bwrap    ok") for line in lines)
    assert done.stdout.count("smoke run: python3 as uid 65534") == 2
    assert "default: docker" in done.stdout


def test_doctor_without_an_engine_still_passes_on_bwrap() -> None:
    prepared_provider("bwrap")
    done = _benchlab("sandbox", "doctor", "--no-smoke", env={"DOCKER_HOST": DEAD_DOCKER})
    assert done.returncode == 0, done.stderr
    assert "docker   no  no Docker engine answers" in done.stdout
    assert "fix: start the Docker engine" in done.stdout
    assert "default: bwrap" in done.stdout


def test_exec_reports_the_program_exit_code_and_exits_1_per_the_contract() -> None:
    prepared_provider("bwrap")
    done = _benchlab("sandbox", "exec", "--sandbox", "bwrap", "--", "sh", "-c", "echo out; exit 7")
    assert (done.returncode, done.stdout) == (1, "out\n"), done.stderr
    assert "provider bwrap" in done.stderr and "exit 7" in done.stderr


def test_exec_with_an_unknown_provider_is_one_clear_line() -> None:
    done = _benchlab("sandbox", "exec", "--sandbox", "dockr", "--", "true")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "benchlab: error: unknown sandbox 'dockr'; did you mean 'docker'? (available: bwrap, docker, unsafe-local)")
