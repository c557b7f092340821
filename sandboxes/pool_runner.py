"""The runner: pid 1 of a pooled Docker sandbox container, running one job at a time for the host.

This file is not imported by benchlab: its source is the container's command
(``python3 -I -S -c SOURCE``), so it uses the standard library only and imports
everything before the first job (``-I`` keeps every writable directory off
``sys.path`` anyway).

It runs as the sandbox uid, the uid the jobs run as. A job cannot take it over:
- it is pid 1 of the container's pid namespace, and the kernel drops every signal
  sent to it from inside unless it has a handler (its only handler is SIGCHLD's,
  which merely wakes it up), so nothing inside can kill or stop it;
- it makes itself non-dumpable before it reads its first command: a process of
  the same uid can then neither ptrace it nor open its /proc files (mem, fd, environ);
- what a process of the same uid can still change on it (rlimits with prlimit,
  nice, scheduling policy, CPU affinity, I/O priority), which the next job would
  inherit, is compared with its value at start after every job: any change is
  reported and the host discards the container.

After each job it kills every other process in the container (``kill(-1, SIGKILL)``
from pid 1 reaches them all), reaps them, and waits until /proc lists no process
but itself. On the host's ``wipe`` (sent once the host has read the work dir back)
it empties /box, /tmp, /dev/shm and /dev/mqueue and removes System V IPC objects,
then checks they are empty and that no socket is left in the network namespace
(a TCP TIME_WAIT would keep the next job from binding its port: the container is
replaced instead). The host checks the container's process list and work
dir again from outside before reusing it.

/box is the container's own size-capped tmpfs, never a host directory (a host
directory would let a job fill the host's disk): the runner writes a job's files
into it (``put``) and, once the job and everything it started are gone, reads
back the regular files left there (``collect``), without following links.

Protocol. Host to runner: one JSON object per line on stdin, ``{"op": "put", ...}``,
``{"op": "run", ...}``, ``{"op": "collect", ...}`` or ``{"op": "wipe"}``. Runner to
host, on stdout: frames of a 1-byte kind, a 4-byte big-endian length and a payload:
``R`` ready (JSON), ``P`` the files written (JSON), ``O``/``E`` the job's stdout and
stderr, ``X`` the job's end (JSON), ``C`` the files collected (JSON, base64 data),
``W`` the wipe's outcome (JSON).
"""

from __future__ import annotations

import base64
import ctypes
import errno
import json
import os
import platform
import resource
import selectors
import signal
import stat
import struct
import sys
import time

PR_SET_DUMPABLE, PR_GET_DUMPABLE = 4, 3
WIPED = ("/box", "/tmp", "/dev/shm", "/dev/mqueue")
# ioprio_get(2) has no libc wrapper; its number per architecture.
IOPRIO_GET = {"x86_64": 252, "aarch64": 31}.get(platform.machine())
HEADER = struct.Struct(">cI")
# How long after the wall limit the runner itself kills a job that `timeout -s KILL` did not stop.
OVERRUN_S = 0.5
SETTLE_S = 2.0
LIBC = ctypes.CDLL(None, use_errno=True)
RLIMITS = sorted(getattr(resource, name) for name in dir(resource) if name.startswith("RLIMIT_"))


def emit(kind: bytes, payload: bytes) -> None:
    data = HEADER.pack(kind, len(payload)) + payload
    while data:
        data = data[os.write(1, data):]


def emit_json(kind: bytes, value: object) -> None:
    emit(kind, json.dumps(value).encode())


def inherited_state() -> dict[str, object]:
    """What a same-uid process could change on this runner and the next job would inherit."""
    state: dict[str, object] = {
        "rlimits": [list(resource.getrlimit(r)) for r in RLIMITS],
        "nice": os.getpriority(os.PRIO_PROCESS, 0),
        "policy": os.sched_getscheduler(0),
        "affinity": sorted(os.sched_getaffinity(0)),
    }
    if IOPRIO_GET is not None:
        state["ioprio"] = LIBC.syscall(IOPRIO_GET, 1, 0)  # IOPRIO_WHO_PROCESS, this process
    return state


def others() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit() and name != "1"]


def reap(main: int) -> int | None:
    """Reap every exited child; the wait status of ``main`` if it was among them."""
    found = None
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return found
        if pid == 0:
            return found
        if pid == main:
            found = status


def kill_all() -> None:
    try:
        os.kill(-1, signal.SIGKILL)  # from pid 1: every process in the container but this one
    except ProcessLookupError:
        pass


def settle(main: int = -1, within_s: float = SETTLE_S) -> tuple[list[int], int | None]:
    """Kill and reap until no other process is left: (pids still there after ``within_s``, ``main``'s status)."""
    deadline = time.monotonic() + within_s
    status = None
    while True:
        kill_all()
        found = reap(main)
        status = found if found is not None else status
        left = others()
        if not left or time.monotonic() >= deadline:
            return left, status
        time.sleep(0.002)


def exit_code(status: int) -> int:
    return 128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def start(command: dict) -> tuple[int, int, int]:
    """Fork and exec the job in a new session; (pid, stdout read end, stderr read end)."""
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    stdin = os.open(command.get("stdin") or "/dev/null", os.O_RDONLY | os.O_CLOEXEC)
    argv, env = command["argv"], command["env"]
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            for sig in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT, signal.SIGCHLD):
                signal.signal(sig, signal.SIG_DFL)
            signal.set_wakeup_fd(-1)
            signal.pthread_sigmask(signal.SIG_SETMASK, [])
            os.dup2(stdin, 0)
            os.dup2(out_w, 1)
            os.dup2(err_w, 2)
            os.chdir(command["cwd"])
            os.execve(argv[0], argv, env)
        except BaseException as exc:  # noqa: BLE001 - whatever failed, the child must not return into the runner
            try:
                os.write(2, f"benchlab sandbox runner: cannot start {argv[0]}: {exc}\n".encode())
            finally:
                os._exit(127)
    for fd in (out_w, err_w, stdin):
        os.close(fd)
    return pid, out_r, err_r


def run(command: dict, wakeup: int) -> None:
    wall, cap = float(command["wall"]), int(command["cap"])
    started = time.monotonic()
    pid, out_r, err_r = start(command)
    give_up = started + wall + OVERRUN_S
    selector = selectors.DefaultSelector()
    selector.register(out_r, selectors.EVENT_READ, b"O")
    selector.register(err_r, selectors.EVENT_READ, b"E")
    selector.register(wakeup, selectors.EVENT_READ, None)
    sent = {b"O": 0, b"E": 0}
    status: int | None = None
    ended: float | None = None
    capped = overran = False
    while status is None or len(selector.get_map()) > 1:
        if status is None:
            status = reap(pid)
            if status is not None:
                ended = time.monotonic()
                # As when a container's main process exits: nothing it started outlives it.
                kill_all()
                give_up = min(give_up, ended + SETTLE_S)
                if len(selector.get_map()) == 1:
                    break  # its output is all read already
        now = time.monotonic()
        if now >= give_up:
            if overran or status is not None:
                break  # a stray process still holds a pipe (the settle below reports it)
            overran = True
            kill_all()
            give_up = now + SETTLE_S
        for key, _ in selector.select(max(0.0, give_up - now)):
            if key.data is None:
                try:
                    os.read(wakeup, 4096)
                except BlockingIOError:
                    pass
                continue
            data = os.read(key.fd, 1 << 16)
            if not data:
                selector.unregister(key.fd)
                os.close(key.fd)
                continue
            # One byte past the cap tells the host it was exceeded; the rest is not worth sending.
            room = cap + 1 - sent[key.data]
            if room > 0:
                emit(key.data, data[:room])
            sent[key.data] += len(data)
            if sent[key.data] > cap and not capped:
                capped = True
                kill_all()
    for fd in list(selector.get_map()):
        if fd != wakeup:
            os.close(fd)
    selector.close()
    left, late = settle(pid)
    status = late if status is None else status
    emit_json(b"X", {
        "exit": None if status is None else exit_code(status),
        "duration": (ended if ended is not None else time.monotonic()) - started,
        "capped": capped, "overran": overran, "left": len(left),
    })


def put(command: dict) -> None:
    """Write the job's files into /box (paths were checked by the host: relative, no ``..``)."""
    try:
        for entry in command["files"]:
            parts = entry["path"].split("/")
            directory = "/box"
            for part in parts[:-1]:
                directory = f"{directory}/{part}"
                if not os.path.isdir(directory):
                    os.mkdir(directory, 0o755)
            target = f"{directory}/{parts[-1]}"
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
            try:
                data = base64.b64decode(entry["data"])
                while data:
                    data = data[os.write(fd, data):]
                os.fchmod(fd, int(entry["mode"]) & 0o777)
            finally:
                os.close(fd)
    except (OSError, ValueError, KeyError) as exc:
        emit_json(b"P", {"ok": False, "error": f"{type(exc).__name__}: {exc}"})
        return
    emit_json(b"P", {"ok": True, "error": ""})


def read_regular(path: str, budget: int) -> bytes | None:
    """The file's bytes, or None if it is not a regular file (a link, a FIFO...) or does not fit ``budget``."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENXIO, errno.EACCES, errno.ENOENT, errno.EPERM):
            return None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > budget:
            return None
        chunks, remaining = [], info.st_size
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def collect(command: dict) -> None:
    """Send back the regular files left in /box, within the host's byte and file-count budgets."""
    budget, most = int(command["bytes"]), int(command["files"])
    files: dict[str, str] = {}
    truncated = False
    stack = [("/box", "")]
    while stack:
        directory, prefix = stack.pop()
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            relative = f"{prefix}{entry.name}"
            if entry.is_dir(follow_symlinks=False):
                stack.append((entry.path, relative + "/"))
                continue
            if not entry.is_file(follow_symlinks=False):
                continue  # symlinks, FIFOs, sockets, devices: never opened
            if len(files) >= most:
                truncated = True
                continue
            try:
                data = read_regular(entry.path, budget)
            except OSError:
                data = None
            if data is None:
                truncated = True
                continue
            files[relative] = base64.b64encode(data).decode()
            budget -= len(data)
    emit_json(b"C", {"files": files, "truncated": truncated})


def empty_directory(fd: int) -> None:
    """Remove everything below the open directory ``fd``, without following links (nothing else runs now)."""
    for name in os.listdir(fd):
        info = os.stat(name, dir_fd=fd, follow_symlinks=False)
        if stat.S_ISDIR(info.st_mode):
            if info.st_mode & 0o700 != 0o700:
                os.chmod(name, 0o700, dir_fd=fd)
            sub = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
            try:
                empty_directory(sub)
            finally:
                os.close(sub)
            os.rmdir(name, dir_fd=fd)
        else:
            os.unlink(name, dir_fd=fd)


def remove_ipc() -> list[str]:
    """Remove System V shared memory, message queues and semaphores; what is left, if anything."""
    left = []
    for kind, remover in (("shm", lambda i: LIBC.shmctl(i, 0, None)), ("msg", lambda i: LIBC.msgctl(i, 0, None)),
                          ("sem", lambda i: LIBC.semctl(i, 0, 0))):
        path = f"/proc/sysvipc/{kind}"
        try:
            with open(path) as handle:
                ids = [int(line.split()[1]) for line in handle.readlines()[1:] if line.strip()]
        except OSError:
            continue
        for ident in ids:
            remover(ident)  # IPC_RMID is 0 for all three
        with open(path) as handle:
            if len(handle.readlines()) > 1:
                left.append(f"System V {kind} objects remain")
    return left


def table_lists_something(table: str) -> bool:
    try:
        with open(f"/proc/net/{table}") as handle:
            return any(line.strip() for line in handle.readlines()[1:])
    except OSError:
        return False


def tcp_counts() -> dict[str, int] | None:
    """In-use and TIME_WAIT TCP sockets of this network namespace, from sockstat; None where unreadable."""
    counts: dict[str, int] = {}
    try:
        for name in ("sockstat", "sockstat6"):
            with open(f"/proc/net/{name}") as handle:
                for line in handle:
                    label, _, rest = line.partition(":")
                    if label in ("TCP", "TCP6"):
                        fields = rest.split()
                        counts.update({f"{label} {key}": int(value) for key, value in zip(fields[::2], fields[1::2])
                                       if key in ("inuse", "tw")})
    except (OSError, ValueError):
        return None
    return counts


def sockets_left() -> list[str]:
    """Socket tables of this network namespace that still list something (a TIME_WAIT holds its port for a minute)."""
    left = [table for table in ("udp", "udp6", "raw", "raw6", "unix") if table_lists_something(table)]
    # /proc/net/tcp walks the whole host's connection table (milliseconds); sockstat's counts are enough when zero.
    counts = tcp_counts()
    if counts is None or any(counts.values()):
        left += [table for table in ("tcp", "tcp6") if table_lists_something(table)]
    return left


def wipe(baseline: dict[str, object]) -> None:
    problems = []
    left, _ = settle()
    if left:
        problems.append(f"{len(left)} process(es) survived")
    else:  # never wipe while anything else runs: it could swap a directory for a link meanwhile
        for top in WIPED:
            try:
                info = os.lstat(top)
            except FileNotFoundError:
                continue
            try:
                if info.st_uid == os.getuid() and info.st_mode & 0o700 != 0o700:
                    os.chmod(top, 0o700)
                fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
                try:
                    empty_directory(fd)
                    if os.listdir(fd):
                        problems.append(f"{top} is not empty after the wipe")
                finally:
                    os.close(fd)
            except (OSError, RecursionError) as exc:
                problems.append(f"cannot empty {top}: {exc}")
        problems += remove_ipc()
        sockets = sockets_left()
        if sockets:
            problems.append(f"sockets remain in the network namespace ({', '.join(sockets)})")
    state = inherited_state()
    changed = sorted(key for key in baseline if state.get(key) != baseline[key])
    if changed:
        problems.append(f"a job changed the runner's {', '.join(changed)}")
    emit_json(b"W", {"clean": not problems, "problems": problems})


def main() -> None:
    LIBC.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    # Python's own SIGINT handler would let a job interrupt pid 1; without handlers the kernel drops such signals.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # orphans are reparented here: reap them as they exit
    signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
    os.chdir("/")
    baseline = inherited_state()
    emit_json(b"R", {"pid": os.getpid(), "uid": os.getuid(), "dumpable": LIBC.prctl(PR_GET_DUMPABLE, 0, 0, 0, 0),
                     "others": len(others())})
    for line in sys.stdin.buffer:
        command = json.loads(line)
        if command["op"] == "put":
            put(command)
        elif command["op"] == "run":
            run(command, wake_r)
        elif command["op"] == "collect":
            collect(command)
        elif command["op"] == "wipe":
            wipe(baseline)


if __name__ == "__main__":
    main()
