"""What runs inside the sandbox, the same for every provider: environment, argv, outcome."""

from __future__ import annotations

from benchlab.sandbox import WORKDIR, ExecRequest, KilledReason

SANDBOX_UID = 65534
BASE_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME": WORKDIR,
    "TMPDIR": "/tmp",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    # Toolchain caches go to the private /tmp, not into the work dir the caller reads back.
    "PYTHONDONTWRITEBYTECODE": "1",
    "GOCACHE": "/tmp/go-cache",
    "GOPATH": "/tmp/go",
    "CARGO_HOME": "/tmp/cargo",
}
# What the in-sandbox `timeout -s KILL` and a SIGKILL from outside both look like.
KILLED_EXIT = 128 + 9
# Allowance on top of the wall limit before the host kills from outside.
HOST_GRACE_S = 1.5


def environment(request: ExecRequest) -> dict[str, str]:
    return {**BASE_ENV, **request.env}


def timed_argv(request: ExecRequest, *, stdin_path: str | None = None) -> list[str]:
    """The command under ``timeout -s KILL``; with ``stdin_path`` a shell redirects stdin from it."""
    command = list(request.command)
    if stdin_path is not None:
        command = ["/bin/sh", "-c", f'exec "$@" < {stdin_path}', "sh", *command]
    return ["/usr/bin/timeout", "-s", "KILL", f"{request.limits.wall_seconds:g}s", *command]


def classify(
    request: ExecRequest,
    *,
    exit_code: int | None,
    duration_s: float,
    host_killed_at_deadline: bool,
    output_capped: bool,
    oom: bool,
    pids_hit: bool,
    cancelled: bool,
) -> tuple[bool, KilledReason | None]:
    """(timed_out, killed_reason) from what the provider observed, most specific first."""
    killed = exit_code == KILLED_EXIT
    if cancelled:
        return False, KilledReason.CANCELLED
    if output_capped:
        return False, KilledReason.OUTPUT_CAP
    if oom:
        return False, KilledReason.OOM
    # `timeout -s KILL` kills its own process group too, so its 124 becomes 137: tell by the clock.
    if host_killed_at_deadline or (killed and duration_s >= request.limits.wall_seconds - 0.05):
        return True, KilledReason.TIMEOUT
    if pids_hit and exit_code not in (0, None):
        return False, KilledReason.PIDS
    return False, None
