"""Hostile programs against both real providers (Docker engine, bubblewrap): each one is contained.

Every test runs a real program in a real sandbox and then checks the host itself:
files that must not appear, processes and containers that must not survive, a
server that must not have been reached. After each test no sandbox process,
cgroup or container of this test session may remain.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pytest

from sandbox_helpers import (
    PROVIDERS, leftover_cgroups, leftover_containers, leftover_processes, prepared_provider, processes_with,
)

from benchlab.sandbox import MiB, ExecRequest, KilledReason, Limits, Sandbox

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(params=PROVIDERS, scope="module")
def sandbox(request: pytest.FixtureRequest) -> Sandbox:
    return prepared_provider(request.param)


@pytest.fixture(autouse=True)
def nothing_left_behind(sandbox: Sandbox) -> Iterator[None]:
    yield
    # Kills are asynchronous in the kernel; give stragglers a moment before calling them leftovers.
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and (leftover_processes() or leftover_cgroups() or leftover_containers()):
        time.sleep(0.1)
    assert leftover_processes() == []
    assert leftover_cgroups() == []
    assert leftover_containers() == []


def run(sandbox: Sandbox, script: str, **limits: float) -> object:
    request = ExecRequest(["python3", "-c", script], limits=Limits(**{"wall_seconds": 10, **limits}))  # type: ignore[arg-type]
    result = sandbox.run_sync(request)
    assert result.sandbox_failure is None, result.detail
    return result


def host_addresses() -> list[str]:
    """Every IPv4 address of this host (loopback, its LAN address, the Docker bridge)."""
    out = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True, check=False).stdout
    found = {line.split()[3].split("/")[0] for line in out.splitlines() if len(line.split()) > 3}
    return sorted(found | {"127.0.0.1"})


class _Recorder(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        _Recorder.hits.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"reached")

    def log_message(self, *args: object) -> None:
        pass


def test_network_cannot_reach_a_server_on_the_host(sandbox: Sandbox) -> None:
    _Recorder.hits = []
    server = ThreadingHTTPServer(("0.0.0.0", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    addresses = host_addresses()
    try:
        # The server answers from the host itself, so a failure inside is the sandbox's doing.
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            pass
        script = f"""
import json, socket, urllib.request
outcome = {{}}
for host in {addresses!r}:
    try:
        urllib.request.urlopen(f"http://{{host}}:{port}/from-sandbox", timeout=2).read()
        outcome[host] = "reached"
    except Exception as exc:
        outcome[host] = type(exc).__name__ + ": " + str(exc)
try:
    socket.getaddrinfo("deb.debian.org", 80)
    outcome["dns"] = "resolved"
except Exception as exc:
    outcome["dns"] = type(exc).__name__
print(json.dumps(outcome))
"""
        result = run(sandbox, script, wall_seconds=20)
    finally:
        server.shutdown()
        server.server_close()
    assert result.exit_code == 0, result.stderr
    outcome = json.loads(result.stdout)
    assert set(outcome) == {*addresses, "dns"}
    assert all(value != "reached" for value in outcome.values()), outcome
    assert outcome["dns"] != "resolved"
    assert _Recorder.hits == []


def test_host_secrets_repo_and_home_are_not_readable(sandbox: Sandbox, tmp_path: Path) -> None:
    marker = tmp_path / f"host-secret-{uuid.uuid4().hex}"
    marker.write_text("host secret")
    targets = ["/etc/shadow", str(REPO / "pyproject.toml"), str(Path.home()), "/root", str(marker),
               "/var/run/docker.sock", "/run/docker.sock", "/proc/1/environ"]
    script = f"""
import json, os
outcome = {{}}
for path in {targets!r}:
    try:
        if os.path.isdir(path):
            outcome[path] = "listed: " + ",".join(sorted(os.listdir(path))[:5])
        else:
            with open(path, "rb") as handle:
                outcome[path] = "read: " + handle.read(40).decode(errors="replace")
    except Exception as exc:
        outcome[path] = "failed: " + type(exc).__name__
print(json.dumps(outcome))
"""
    result = run(sandbox, script)
    assert result.exit_code == 0, result.stderr
    outcome = json.loads(result.stdout)
    assert set(outcome) == set(targets)
    for path, what in outcome.items():
        if path == "/proc/1/environ":
            # pid 1 in the sandbox is its own init: whatever it holds is not the host's environment.
            assert "BENCHLAB" not in what and "HOME=/root" not in what, what
            continue
        assert what.startswith("failed:"), (path, what)
    # The sandbox has its own /etc, not the host's.
    etc = run(sandbox, "print(open('/etc/hostname').read() if __import__('os').path.exists('/etc/hostname') else '', open('/etc/os-release').read())")
    assert "bookworm" in etc.stdout


def test_writes_outside_the_work_dir_fail_and_leave_the_host_unchanged(sandbox: Sandbox) -> None:
    from benchlab.sandboxes.rootfs import unpacked_dir

    name = f"pwned-{uuid.uuid4().hex[:8]}"
    targets = [f"/{name}", f"/etc/{name}", f"/usr/{name}", f"/usr/bin/{name}", f"/root/{name}", f"/var/tmp/{name}",
               f"/io/{name}", f"/box/../{name}", str(REPO / name), "/etc/passwd"]
    script = f"""
import json
outcome = {{}}
for path in {targets!r}:
    try:
        with open(path, "a") as handle:
            handle.write("pwned")
        outcome[path] = "written"
    except Exception as exc:
        outcome[path] = "failed: " + type(exc).__name__
with open("/tmp/{name}", "w") as handle:
    handle.write("private tmp")
with open("/box/{name}", "w") as handle:
    handle.write("work dir")
print(json.dumps(outcome))
"""
    passwd_before = Path("/etc/passwd").read_bytes()
    rootfs = unpacked_dir()
    rootfs_etc_before = sorted(os.listdir(rootfs / "etc")) if rootfs.is_dir() else []
    result = run(sandbox, script)
    assert result.exit_code == 0, result.stderr
    outcome = json.loads(result.stdout)
    assert all(value.startswith("failed:") for value in outcome.values()), outcome
    assert result.files[name] == b"work dir"
    # The host, checked directly: nothing appeared, the shared root filesystem is untouched.
    for path in [f"/{name}", f"/etc/{name}", f"/usr/{name}", f"/usr/bin/{name}", f"/root/{name}",
                 f"/var/tmp/{name}", f"/tmp/{name}", str(REPO / name)]:
        assert not os.path.exists(path), path
    assert Path("/etc/passwd").read_bytes() == passwd_before
    if rootfs.is_dir():
        assert sorted(os.listdir(rootfs / "etc")) == rootfs_etc_before
        assert not (rootfs / name).exists() and not (rootfs / "tmp" / name).exists()
    # A second run starts clean: neither /tmp nor the work dir carry anything over.
    again = run(sandbox, f"import os; print(os.path.exists('/tmp/{name}'), sorted(os.listdir('/box')))")
    assert again.stdout.strip() == "False []"


def test_links_and_fifos_planted_in_the_work_dir_are_not_followed(sandbox: Sandbox, tmp_path: Path) -> None:
    secret = tmp_path / "host-only.txt"
    secret.write_text("host file content")
    os.chmod(tmp_path, 0o755)
    script = f"""
import os
os.symlink("{secret}", "/box/link-to-host")
os.symlink("/etc/shadow", "/box/link-to-shadow")
os.symlink("/", "/box/link-to-root")
os.mkfifo("/box/fifo")
with open("/box/real.txt", "w") as handle:
    handle.write("mine")
"""
    result = run(sandbox, script)
    assert result.exit_code == 0, result.stderr
    # Only the regular file comes back; reading a FIFO would have hung, a link would have leaked host data.
    assert result.files == {"real.txt": b"mine"}


def test_fork_bomb_is_contained_by_the_pids_limit(sandbox: Sandbox) -> None:
    script = """
import os, time
children = 0
deadline = time.time() + 1.5
while time.time() < deadline:
    try:
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
        children += 1
    except OSError:
        break
print(children, flush=True)
time.sleep(30)
"""
    result = run(sandbox, script, wall_seconds=4, pids=32)
    assert result.hit_pids_limit, (result.stdout, result.stderr)
    assert result.timed_out and result.killed_reason == KilledReason.TIMEOUT
    forked = int(result.stdout.split()[0])
    assert 10 <= forked < 32, forked
    # The host went on working; that none of the bomb's processes remain is checked after every test.
    assert subprocess.run(["true"]).returncode == 0


def test_a_program_killed_by_a_refused_fork_is_blamed_on_the_pids_limit(sandbox: Sandbox) -> None:
    script = "import os, time\nwhile True:\n    if os.fork() == 0:\n        time.sleep(30)\n"
    result = run(sandbox, script, wall_seconds=10, pids=32)
    assert result.exit_code not in (0, None) and result.hit_pids_limit, (result.exit_code, result.stderr[-300:])
    assert result.killed_reason == KilledReason.PIDS and not result.timed_out
    assert result.duration_s < 5  # it died at the refusal, long before its clock


def test_shell_fork_bomb_is_contained(sandbox: Sandbox) -> None:
    request = ExecRequest(["bash", "-c", "bomb() { bomb | bomb & }; bomb; sleep 30"], limits=Limits(wall_seconds=3, pids=48))
    started = time.monotonic()
    result = sandbox.run_sync(request)
    assert result.sandbox_failure is None, result.detail
    assert result.hit_pids_limit
    assert time.monotonic() - started < 3 + 8


def test_memory_bomb_is_killed_by_the_memory_limit(sandbox: Sandbox) -> None:
    script = """
chunks = []
for _ in range(200):
    chunks.append(bytearray(16 * 1024 * 1024))  # zero-filled: every page is touched
print("allocated", len(chunks) * 16, "MiB", flush=True)
"""
    result = run(sandbox, script, memory_bytes=256 * MiB, wall_seconds=20)
    assert result.killed_reason == KilledReason.OOM, (result.exit_code, result.stderr[-300:])
    assert result.exit_code == 137
    assert "allocated" not in result.stdout
    assert not result.timed_out


def test_infinite_loop_is_killed_at_the_wall_limit(sandbox: Sandbox) -> None:
    started = time.monotonic()
    result = run(sandbox, "while True:\n    pass", wall_seconds=1.5)
    elapsed = time.monotonic() - started
    assert result.timed_out and result.killed_reason == KilledReason.TIMEOUT
    assert result.exit_code == 137
    assert 1.4 <= result.duration_s < 1.5 + 2.5, result.duration_s
    assert elapsed < 1.5 + 5


@pytest.mark.parametrize("main_exits", [False, True], ids=["main-times-out", "main-exits-at-once"])
def test_a_detached_child_does_not_outlive_the_run(sandbox: Sandbox, main_exits: bool) -> None:
    marker = f"{time.time_ns() % 10**6 + 400}.{os.getpid() % 1000}"
    script = f"""
import os, subprocess, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        subprocess.Popen(["sleep", "{marker}"], start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.2)
    os._exit(0)
time.sleep(0.5)
print("spawned", flush=True)
if {not main_exits}:
    time.sleep(60)
"""
    result = run(sandbox, script, wall_seconds=2)
    assert "spawned" in result.stdout
    assert result.timed_out == (not main_exits)
    deadline = time.monotonic() + 3
    while processes_with(f"sleep {marker}") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_with(f"sleep {marker}") == []


def test_a_flood_of_output_is_capped_and_flagged(sandbox: Sandbox) -> None:
    script = """
import sys
block = b"x" * (1024 * 1024)
for _ in range(100):
    sys.stdout.buffer.write(block)
sys.stdout.flush()
print("finished", file=sys.stderr)
"""
    started = time.monotonic()
    result = run(sandbox, script, wall_seconds=30, output_bytes=256 * 1024)
    assert result.stdout_truncated and len(result.stdout) == 256 * 1024
    assert set(result.stdout) == {"x"}
    assert result.killed_reason == KilledReason.OUTPUT_CAP
    assert "finished" not in result.stderr  # stopped at the cap, not allowed to write the other 99.75 MB
    assert time.monotonic() - started < 15


FILL_WORK_DIR = """
import os
written = 0
try:
    for i in range(100):
        with open(f"fill-{i}.bin", "wb") as handle:
            for _ in range(16):
                handle.write(bytes(1024 * 1024))
                written += 1024 * 1024
except OSError as exc:
    print(os.strerror(exc.errno), written // (1024 * 1024))
"""


def assert_work_dir_filled_to(result, mib: int) -> None:
    assert result.exit_code == 0, result.stderr
    reason, written_mib = result.stdout.rsplit(" ", 1)
    assert reason == "No space left on device" and mib - 2 <= int(written_mib) <= mib
    assert result.files_truncated


def test_filling_the_work_dir_stops_at_its_size_limit(sandbox: Sandbox) -> None:
    assert_work_dir_filled_to(run(sandbox, FILL_WORK_DIR, workdir_bytes=32 * MiB, collect_bytes=1 * MiB), 32)


# -- one run after another: nothing a run does may reach the next ------------------------------
#
# The docker provider keeps its containers warm and runs job after job in each; these runs share a
# single slot, so the second run of each test lands where the first one ran (or in its replacement).

# From inside: when pid 1 of this sandbox started (clock ticks since boot). Equal in two runs means
# they ran in the same container.
SANDBOX_IDENTITY = "open('/proc/1/stat').read().rsplit(')', 1)[1].split()[19]"


@pytest.fixture
def one_slot(sandbox: Sandbox) -> Iterator[Sandbox]:
    """A provider of the same kind with one slot: consecutive runs share whatever it reuses."""
    provider = type(sandbox)(max_concurrency=1)
    provider.prepare()
    yield provider
    provider.close()


def test_a_background_process_does_not_survive_into_the_next_run(one_slot: Sandbox) -> None:
    marker = f"{time.time_ns() % 10**6 + 800}.{os.getpid() % 1000}"
    first = run(one_slot, f"""
import os, signal, subprocess, time
if os.fork() == 0:
    os.setsid()
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, signal.SIG_IGN)
    subprocess.Popen(["sleep", "{marker}"], start_new_session=True)
    while True:
        with open("/tmp/beacon", "a") as handle:
            handle.write("alive")
        time.sleep(0.02)
time.sleep(0.3)
print({SANDBOX_IDENTITY}, os.path.exists("/tmp/beacon"))
""")
    assert first.exit_code == 0 and first.killed_reason is None, first.stderr
    identity, beacon = first.stdout.split()
    assert beacon == "True"  # the background process was running when the run ended
    second = run(one_slot, f"""
import json, os, time
time.sleep(0.3)  # a survivor would have written its beacon again by now
procs = []
for pid in os.listdir("/proc"):
    try:
        procs.append(open(f"/proc/{{pid}}/cmdline", "rb").read().replace(b"\\0", b" ").decode(errors="replace"))
    except (OSError, ValueError):
        pass
print(json.dumps({{"identity": {SANDBOX_IDENTITY}, "procs": procs, "beacon": os.path.exists("/tmp/beacon")}}))
""")
    seen = json.loads(second.stdout)
    assert not seen["beacon"]
    # Both survivors would carry the marker: the forked interpreter (its command line is the first script) and sleep.
    assert not any(marker in cmdline for cmdline in seen["procs"]), seen["procs"]
    assert processes_with(f"sleep {marker}") == []
    if one_slot.name == "docker":
        assert seen["identity"] == identity  # the same container, cleaned: this is reuse under test


def test_files_and_ipc_left_by_a_run_are_gone_in_the_next(one_slot: Sandbox) -> None:
    first = run(one_slot, f"""
import ctypes, json, os
libc = ctypes.CDLL(None, use_errno=True)
os.makedirs("/tmp/deep/er")
open("/tmp/deep/er/secret", "w").write("s")
os.chmod("/tmp/deep/er", 0)
os.chmod("/tmp/deep", 0o500)
open("/tmp/secret", "w").write("s")
os.symlink("/etc/passwd", "/tmp/link")
os.mkfifo("/tmp/fifo")
open(os.path.expanduser("~/.secret"), "w").write("s")
os.makedirs("/box/sub")
open("/box/sub/secret", "w").write("s")
os.chmod("/box/sub", 0)
if os.path.isdir("/dev/shm"):
    open("/dev/shm/secret", "w").write("s")
created = {{
    "shm": libc.shmget(0x5EED, 4096, 0o1000 | 0o666),  # IPC_CREAT
    "msg": libc.msgget(0x5EED, 0o1000 | 0o666),
    "sem": libc.semget(0x5EED, 1, 0o1000 | 0o666),
    "mq": libc.mq_open(b"/secret", os.O_CREAT | os.O_RDWR, 0o666, None) if os.path.isdir("/dev/mqueue") else None,
}}
print(json.dumps({{"identity": {SANDBOX_IDENTITY}, "created": created}}))
""")
    assert first.exit_code == 0, first.stderr
    made = json.loads(first.stdout)
    assert made["created"]["shm"] >= 0 and made["created"]["msg"] >= 0 and made["created"]["sem"] >= 0, made
    second = run(one_slot, f"""
import json, os
def listing(path):
    try:
        return sorted(os.listdir(path))
    except FileNotFoundError:
        return []
ipc = {{kind: open(f"/proc/sysvipc/{{kind}}").read().splitlines()[1:] for kind in ("shm", "msg", "sem")}}
print(json.dumps({{"identity": {SANDBOX_IDENTITY}, "tmp": listing("/tmp"), "box": listing("/box"),
                  "home": listing(os.path.expanduser("~")), "shm": listing("/dev/shm"),
                  "mqueue": listing("/dev/mqueue"), "ipc": ipc}}))
""")
    seen = json.loads(second.stdout)
    assert seen["tmp"] == [] and seen["box"] == [] and seen["home"] == [], seen
    assert seen["shm"] == [] and seen["mqueue"] == [], seen
    assert seen["ipc"] == {"shm": [], "msg": [], "sem": []}, seen
    assert second.files == {}
    if one_slot.name == "docker":
        assert seen["identity"] == made["identity"]  # wiped and reused, not replaced


NORMAL_RUN = """
import os, sys
chunks = [bytearray(64 * 1024 * 1024)]  # 64 MiB, every page touched
children = []
for _ in range(12):
    pid = os.fork()
    if pid == 0:
        os._exit(7)
    children.append(pid)
codes = sorted({os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in children})
print(len(children), codes, flush=True)
"""


@pytest.mark.parametrize("exhaust", ["memory", "pids", "time"])
def test_a_run_that_exhausts_its_limits_leaves_the_next_run_normal(one_slot: Sandbox, exhaust: str) -> None:
    hostile = {
        "memory": "chunks = []\nwhile True:\n    chunks.append(bytearray(16 * 1024 * 1024))",
        # Fork until refused, leave the children holding every pid, and exit 0 at once.
        "pids": "import os, time\nwhile True:\n    try:\n        pid = os.fork()\n    except OSError:\n        break\n"
                "    if pid == 0:\n        time.sleep(60)\n        os._exit(0)\nprint('full', flush=True)",
        "time": "while True:\n    pass",
    }[exhaust]
    limits = {"memory_bytes": 256 * MiB, "pids": 32, "wall_seconds": 10}
    first = run(one_slot, hostile, **{**limits, "wall_seconds": 1.5 if exhaust == "time" else 10})
    expected = {"memory": KilledReason.OOM, "pids": None, "time": KilledReason.TIMEOUT}[exhaust]
    assert first.killed_reason == expected, (first.exit_code, first.stderr[-300:])
    if exhaust == "pids":
        assert first.hit_pids_limit and first.stdout == "full\n"
    second = run(one_slot, NORMAL_RUN, **limits)
    assert (second.exit_code, second.killed_reason, second.hit_pids_limit) == (0, None, False), second.stderr[-300:]
    assert second.stdout == "12 [7]\n"


def test_tampering_with_pid_1_does_not_reach_the_next_run(one_slot: Sandbox) -> None:
    injected = "X\\x00\\x00\\x00\\x02{}W\\x00\\x00\\x00\\x10"  # runner frames, as text the job prints
    first = run(one_slot, wall_seconds=3, script=f"""
import ctypes, json, os, resource, signal, sys
libc = ctypes.CDLL(None, use_errno=True)
outcome = {{}}
def attempt(name, action):
    try:
        action()
        outcome[name] = "done"
    except Exception as exc:
        outcome[name] = type(exc).__name__
def ptrace():
    if libc.ptrace(16, 1, None, None) != 0:  # PTRACE_ATTACH
        raise PermissionError(ctypes.get_errno(), "ptrace")
for name in ("SIGKILL", "SIGTERM", "SIGINT", "SIGSTOP", "SIGHUP", "SIGUSR1", "SIGSEGV"):
    attempt(name, lambda name=name: os.kill(1, getattr(signal, name)))
attempt("ptrace", ptrace)
attempt("mem", lambda: open("/proc/1/mem", "rb").read(1))
attempt("environ", lambda: open("/proc/1/environ", "rb").read())
attempt("stdin", lambda: open("/proc/1/fd/0", "rb"))
attempt("stdout", lambda: open("/proc/1/fd/1", "wb").write(b"X\\0\\0\\0\\x02{{}}"))
attempt("oom_score_adj", lambda: open("/proc/1/oom_score_adj", "w").write("-1000"))
attempt("prlimit", lambda: resource.prlimit(1, resource.RLIMIT_NOFILE, (16, 16)))
attempt("nice", lambda: os.setpriority(os.PRIO_PROCESS, 1, 19))
attempt("affinity", lambda: os.sched_setaffinity(1, {{0}}))
attempt("scheduler", lambda: os.sched_setscheduler(1, os.SCHED_IDLE, os.sched_param(0)))
print(json.dumps({{"identity": {SANDBOX_IDENTITY}, "outcome": outcome}}))
sys.stdout.write("{injected}")
""")
    if one_slot.name == "docker":
        assert first.exit_code == 0, first.stderr
    # (Under bubblewrap, pid 1 is bwrap's own init: attaching to it with ptrace stops it, and the run then
    # ends at its wall limit. Contained all the same; what matters here is the next run.)
    line, rest = first.stdout.split("\n", 1)
    assert rest == injected.encode().decode("unicode_escape")  # frame look-alikes in a job's output are only output
    tried = json.loads(line)
    second = run(one_slot, f"""
import json, os, resource
print(json.dumps({{"identity": {SANDBOX_IDENTITY}, "nofile": resource.getrlimit(resource.RLIMIT_NOFILE),
                  "nice": os.getpriority(os.PRIO_PROCESS, 0), "policy": os.sched_getscheduler(0),
                  "cpus": len(os.sched_getaffinity(0)) == os.cpu_count()}}))
""")
    seen = json.loads(second.stdout)
    assert seen["nofile"] == [256, 256] and seen["nice"] == 0 and seen["policy"] == os.SCHED_OTHER and seen["cpus"], seen
    if one_slot.name == "docker":
        # The runner (pid 1) is out of reach: signals are dropped, its memory, environment and pipes closed to the job.
        outcome = tried["outcome"]
        assert all(outcome[name] != "done" for name in ("ptrace", "mem", "environ", "stdin", "stdout", "oom_score_adj")), outcome
        # What a process of the same uid can change on it is detected: the container was replaced, not reused.
        changed = [name for name in ("prlimit", "nice", "affinity", "scheduler") if outcome[name] == "done"]
        assert changed, outcome  # prlimit is allowed between processes of one uid: the replacement is under test
        assert seen["identity"] != tried["identity"]


def test_a_port_a_run_used_is_free_in_the_next(one_slot: Sandbox) -> None:
    # The server closes first, so its side of the connection lingers in TIME_WAIT (a minute on Linux).
    first = run(one_slot, f"""
import socket
server = socket.socket()
server.bind(("127.0.0.1", 8123))
server.listen()
client = socket.create_connection(("127.0.0.1", 8123))
accepted, _ = server.accept()
accepted.close()
client.close()
server.close()
print(any(line.split()[3] == "06" for line in open("/proc/net/tcp").read().splitlines()[1:]), {SANDBOX_IDENTITY})
""")
    lingering, identity = first.stdout.split()
    assert lingering == "True", first.stdout  # the TIME_WAIT exists when the run ends
    # No SO_REUSEADDR: a program that binds a fixed port must not fail because of an earlier run.
    second = run(one_slot, f"""
import socket
socket.socket().bind(("127.0.0.1", 8123))
print("bound", {SANDBOX_IDENTITY})
""")
    assert second.exit_code == 0, second.stderr[-300:]
    assert second.stdout.split()[0] == "bound"
    if one_slot.name == "docker":
        assert second.stdout.split()[1] != identity  # a network namespace with sockets left is not reused
