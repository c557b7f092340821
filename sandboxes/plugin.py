"""Registers the built-in sandbox providers and the ``benchlab sandbox`` commands.

Registration is cheap: providers are ``"module:Class"`` strings, and the command
bodies import what they need when they run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, List, Optional

from benchlab import hookimpl


@hookimpl
def register_sandboxes(register: Any) -> None:
    register("docker", "benchlab.sandboxes.docker_provider:DockerSandbox",
             summary="hardened warm containers, one per slot, wiped and checked between runs (needs a Docker engine)")
    register("bwrap", "benchlab.sandboxes.bwrap_provider:BwrapSandbox",
             summary="bubblewrap as a private uid with cgroup limits (needs root, no engine)")
    register("unsafe-local", "benchlab.sandboxes.unsafe_local:UnsafeLocalSandbox",
             summary="NO confinement: the host itself (only with --unsafe-local, when no sandbox can run or when named)")


@hookimpl
def register_commands(app: Any, plugins: Any) -> None:
    import typer

    sandbox_app = typer.Typer(help="Sandboxes for model-written code: check, build, try.", no_args_is_help=True)

    @sandbox_app.command("doctor")
    def doctor(
        smoke: bool = typer.Option(True, "--smoke/--no-smoke", help="Also run a real program in each ready provider."),
    ) -> None:
        """Which providers work here, and why the others do not (exit 0 when one works)."""
        from benchlab.sandboxes.commands import doctor as run_doctor

        raise typer.Exit(run_doctor(plugins.sandboxes, smoke=smoke))

    @sandbox_app.command("build")
    def build(
        force: bool = typer.Option(False, "--force", help="Rebuild the root filesystem and images even if cached."),
        sandbox: Optional[str] = typer.Option(None, "--sandbox", help="Only this provider's image (docker or bwrap)."),
    ) -> None:
        """Build (or refresh) the root filesystem and the providers' images, with progress."""
        from benchlab.sandboxes.commands import build as run_build

        raise typer.Exit(run_build(plugins.sandboxes, force=force, only=sandbox))

    @sandbox_app.command("exec", context_settings={"allow_interspersed_args": False})
    def exec_(
        command: List[str] = typer.Argument(..., help="The command and its arguments (put -- before them)."),
        sandbox: Optional[str] = typer.Option(None, "--sandbox", help="docker or bwrap (default: the best that can run)."),
        file: List[Path] = typer.Option([], "--file", "-f", help="Copy this file into the work dir (repeatable)."),
        timeout: float = typer.Option(10.0, "--timeout", min=0.1, help="Wall-clock limit in seconds."),
        stdin: bool = typer.Option(False, "--stdin", help="Pass this process's stdin to the program."),
        unsafe_local: bool = typer.Option(False, "--unsafe-local", help="Dangerous: run UNCONFINED on this host when no sandbox can run; also required by --sandbox unsafe-local."),
    ) -> None:
        """Run one command in a sandbox and print its output (for trying things out)."""
        from benchlab.sandboxes.commands import exec_command

        raise typer.Exit(exec_command(plugins.sandboxes, command, sandbox, file, timeout, stdin, unsafe_local))

    app.add_typer(sandbox_app, name="sandbox")
