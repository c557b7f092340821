"""The program the ``shell_task`` verifier runs inside the sandbox (standard library only).

It is not imported by benchlab: ``shell_task`` sends its source to ``python3 -c``.
On stdin it reads one JSON object::

    {"marker": "...", "entries": [...], "script": "...", "timeout_s": 10,
     "capture": ["out/report.txt", ...], "output_cap": 262144}

and then, in the work dir ``/box``:

1. lays out the workspace (``entries``: files, directories, symlinks, with modes and ages);
2. records a snapshot of it (every entry's type, mode, size, sha256 or link target);
3. runs ``bash -c SCRIPT`` with stdin from /dev/null, its stdout and stderr captured
   (the first ``output_cap`` bytes of each), stopped after ``timeout_s``;
4. kills every process the command left behind, so nothing it started can change the
   work dir (or this program's output) once the snapshot is taken;
5. records a second snapshot, the contents of the ``capture`` paths (following a link
   only while it stays inside the work dir), and prints the report as the last line of
   its stdout: a newline, the marker, then JSON.

Why the report can be trusted although the command runs as the same user: this
program makes itself non-dumpable (the command cannot read its memory or open its
descriptors through /proc), ignores the catchable signals, and prints its report only
after every other process is dead. Whatever the command wrote before comes earlier in
the output, and the verifier takes the last report, and only when this program exited 0.
"""

import base64
import ctypes
import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time

BOX = "/box"
MAX_ENTRIES = 4000
CAPTURE_BYTES = 1 << 20  # per captured file
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36


def _prctl(option, value):
    try:
        ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _harden():
    _prctl(PR_SET_DUMPABLE, 0)
    # Orphans of the command become our children, so they can be reaped rather than left as zombies.
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    for name in ("SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM"):
        # A handler (not SIG_IGN): caught signals are reset to default across exec, ignored ones are not.
        signal.signal(getattr(signal, name), lambda signum, frame: None)
    os.umask(0o022)


# --- the workspace ---------------------------------------------------------------------------------


def _make_parents(path):
    parent = os.path.dirname(path)
    if parent and not os.path.isdir(os.path.join(BOX, parent)):
        os.makedirs(os.path.join(BOX, parent), mode=0o755, exist_ok=True)


def lay_out(entries):
    """Create the entries (directories, then files, then links), then set ages deepest first."""
    order = {"dir": 0, "file": 1, "symlink": 2}
    now = time.time()
    for entry in sorted(entries, key=lambda e: (order[e["type"]], e["path"].count("/"), e["path"])):
        path = entry["path"]
        full = os.path.join(BOX, path)
        _make_parents(path)
        if entry["type"] == "dir":
            os.makedirs(full, exist_ok=True)
            os.chmod(full, int(entry.get("mode", "755"), 8))
        elif entry["type"] == "file":
            with open(full, "wb") as handle:
                handle.write(base64.b64decode(entry.get("data", "")))
            os.chmod(full, int(entry.get("mode", "644"), 8))
        else:
            os.symlink(entry["target"], full)
    aged = [e for e in entries if e.get("age_days") is not None]
    for entry in sorted(aged, key=lambda e: -e["path"].count("/")):
        stamp = now - float(entry["age_days"]) * 86400
        os.utime(os.path.join(BOX, entry["path"]), (stamp, stamp), follow_symlinks=False)


def _kind(mode):
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISLNK(mode):
        return "symlink"
    return "other"


def _digest(full, mode):
    """sha256 of a regular file, lending it the owner's read bit for the read if it lacks it."""
    lent = not mode & stat.S_IRUSR
    try:
        if lent:
            os.chmod(full, stat.S_IMODE(mode) | stat.S_IRUSR)
        digest = hashlib.sha256()
        fd = os.open(full, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 16), b""):
                digest.update(chunk)
        return digest.hexdigest()
    except OSError as exc:
        return "unreadable: " + (exc.strerror or type(exc).__name__)
    finally:
        if lent:
            _chmod_quietly(full, stat.S_IMODE(mode))


def _chmod_quietly(full, mode):
    try:
        os.chmod(full, mode, follow_symlinks=False)
    except (OSError, NotImplementedError):
        pass


def _listing(full, mode):
    try:
        return sorted(os.listdir(full))
    except PermissionError:
        # The command may have taken away our own read/search bits: the recorded mode stays the
        # original, and the directory stays searchable so that what is inside can be read too.
        try:
            os.chmod(full, stat.S_IMODE(mode) | stat.S_IRWXU)
            return sorted(os.listdir(full))
        except OSError:
            return []
    except OSError:
        return []


def _shown(name):
    """A name as text: bytes that are not UTF-8 become backslash escapes (the report is JSON)."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def snapshot():
    """{relative path: facts} for everything under the work dir, without following links."""
    found = {}
    truncated = False
    pending = [("", "")]  # (the path on disk, the path as reported)
    while pending and not truncated:
        relative_dir, shown_dir = pending.pop()
        full_dir = os.path.join(BOX, relative_dir) if relative_dir else BOX
        try:
            dir_mode = os.lstat(full_dir).st_mode
        except OSError:
            continue
        for name in _listing(full_dir, dir_mode):
            if len(found) >= MAX_ENTRIES:
                truncated = True
                break
            relative = f"{relative_dir}/{name}" if relative_dir else name
            shown = f"{shown_dir}/{_shown(name)}" if shown_dir else _shown(name)
            full = os.path.join(BOX, relative)
            try:
                info = os.lstat(full)
            except OSError:
                continue
            kind = _kind(info.st_mode)
            facts = {"type": kind, "mode": stat.S_IMODE(info.st_mode), "size": info.st_size, "mtime": info.st_mtime}
            if kind == "file":
                facts["sha256"] = _digest(full, info.st_mode)
            elif kind == "symlink":
                try:
                    facts["target"] = _shown(os.readlink(full))
                except OSError:
                    facts["target"] = ""
            elif kind == "dir":
                pending.append((relative, shown))
            found[shown] = facts
    return found, truncated


def capture(paths):
    """{path: {"data": base64} | {"missing": why}} following links only inside the work dir."""
    captured = {}
    root = os.path.realpath(BOX)
    for path in paths:
        full = os.path.join(BOX, path)
        real = os.path.realpath(full)
        if real != root and not real.startswith(root + "/"):
            captured[path] = {"missing": "it points outside the work dir"}
            continue
        try:
            info = os.stat(real)
        except OSError:
            captured[path] = {"missing": "it does not exist"}
            continue
        if not stat.S_ISREG(info.st_mode):
            captured[path] = {"missing": "not a regular file"}
            continue
        if info.st_size > CAPTURE_BYTES:
            captured[path] = {"missing": f"it is {info.st_size} bytes, over the {CAPTURE_BYTES} bytes checked"}
            continue
        try:
            if not info.st_mode & stat.S_IRUSR:
                os.chmod(real, stat.S_IMODE(info.st_mode) | stat.S_IRUSR)
            fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK)
            with os.fdopen(fd, "rb") as handle:
                data = handle.read(CAPTURE_BYTES + 1)
        except OSError as exc:
            captured[path] = {"missing": f"unreadable ({exc.strerror})"}
            continue
        captured[path] = {"data": base64.b64encode(data[:CAPTURE_BYTES]).decode("ascii")}
    return captured


# --- running the command ---------------------------------------------------------------------------


class Capped:
    """Drains a pipe in a thread, keeping the first ``cap`` bytes (the rest is counted, not kept)."""

    def __init__(self, stream, cap):
        self.stream, self.cap = stream, cap
        self.data = bytearray()
        self.total = 0
        self.thread = threading.Thread(target=self._pump, daemon=True)
        self.thread.start()

    def _pump(self):
        try:
            while True:
                chunk = self.stream.read1(1 << 16)
                if not chunk:
                    break
                self.total += len(chunk)
                room = self.cap - len(self.data)
                if room > 0:
                    self.data += chunk[:room]
        except (OSError, ValueError):
            pass


def _ancestors():
    keep, pid = set(), os.getpid()
    while pid > 0 and pid not in keep:
        keep.add(pid)
        try:
            with open(f"/proc/{pid}/stat") as handle:
                pid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
    return keep


def _reap():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def kill_the_rest():
    """SIGKILL every process but us and our ancestors until none is left (bounded)."""
    keep = _ancestors()
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline:
        alive = []
        for name in os.listdir("/proc"):
            if not name.isdigit() or int(name) in keep:
                continue
            try:
                with open(f"/proc/{name}/stat") as handle:
                    state = handle.read().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                continue
            if state in ("Z", "X"):
                continue
            alive.append(int(name))
            try:
                os.kill(int(name), signal.SIGKILL)
            except OSError:
                pass
        _reap()
        if not alive:
            return
        time.sleep(0.01)


def run(script, timeout_s, output_cap):
    started = time.monotonic()
    proc = subprocess.Popen(
        ["bash", "-c", script], cwd=BOX, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, start_new_session=True, close_fds=True,
    )
    out, err = Capped(proc.stdout, output_cap), Capped(proc.stderr, output_cap)
    timed_out = False
    try:
        code = proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        timed_out = True
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        code = proc.wait()
    duration = time.monotonic() - started
    kill_the_rest()
    for reader in (out, err):
        reader.thread.join(timeout=2.0)
    return {
        "exit_code": code if code >= 0 else 128 - code,
        "timed_out": timed_out,
        "duration_s": round(duration, 4),
        "stdout": base64.b64encode(bytes(out.data)).decode("ascii"),
        "stdout_bytes": out.total,
        "stderr": base64.b64encode(bytes(err.data)).decode("ascii"),
        "stderr_bytes": err.total,
    }


def main():
    spec = json.loads(sys.stdin.buffer.read())
    _harden()
    marker = spec["marker"]
    report = {}
    try:
        lay_out(spec["entries"])
        report["before"], _ = snapshot()
    except OSError as exc:
        report["setup_error"] = f"{type(exc).__name__}: {exc}"
    if "setup_error" not in report:
        report.update(run(spec["script"], float(spec["timeout_s"]), int(spec["output_cap"])))
        report["after"], report["truncated"] = snapshot()
        report["captured"] = capture(spec["capture"])
    sys.stdout.write("\n" + marker + json.dumps(report) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
