"""``benchlab local setup`` and ``benchlab local serve``: the embedded server by hand."""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path
from typing import Optional

import typer

from benchlab.plugins.backends.llama.llama_server import EMBEDDED_SHARED_CTX, EMBEDDED_SLOTS

_BINARY_HELP = "An existing llama-server to use (default: $BENCHLAB_LLAMA_SERVER, else the cached build)."
_MODEL_HELP = "A GGUF model to use (default: $BENCHLAB_LLAMA_MODEL, else the cached SmolLM2-135M-Instruct)."


def _paths(server_binary: Optional[Path], model_file: Optional[Path]) -> tuple[Path, Path]:
    from benchlab.plugins.backends.llama.llama_build import ensure_model, ensure_server

    return ensure_server(server_binary), ensure_model(model_file)


def _stop_on_sigterm(signum: int, frame: object) -> None:
    # A plain `kill` ends serving as Ctrl-C does: the server is stopped, the command exits 0.
    raise KeyboardInterrupt


def local_app() -> typer.Typer:
    """The ``local`` command group (built when the CLI starts; imports nothing heavy)."""
    app = typer.Typer(help="The embedded llama.cpp server with SmolLM2-135M (backend local).", no_args_is_help=True)

    @app.command("setup")
    def setup(
        server_binary: Optional[Path] = typer.Option(None, "--server-binary", help=_BINARY_HELP),
        model_file: Optional[Path] = typer.Option(None, "--model-file", help=_MODEL_HELP),
        as_json: bool = typer.Option(False, "--json", help="Print the paths as one JSON object (for scripts and CI)."),
    ) -> None:
        """Find or build llama-server and fetch the model; print where they are."""
        from benchlab.plugins.backends.llama.llama_build import LLAMA_CPP_PYTHON_VERSION, cache_dir

        started = time.monotonic()
        binary, model = _paths(server_binary, model_file)
        if as_json:
            from benchlab.codec import with_version

            info = {"server": str(binary), "model": str(model), "cache_dir": str(cache_dir()),
                    "llama_cpp_python": LLAMA_CPP_PYTHON_VERSION, "seconds": round(time.monotonic() - started, 1)}
            print(json.dumps(with_version(info)))
        else:
            print(f"llama-server  {binary}")
            print(f"model         {model}")

    @app.command("serve")
    def serve(
        port: Optional[int] = typer.Option(None, "--port", min=1, max=65535, help="Port on 127.0.0.1 (default: a free one)."),
        slots: int = typer.Option(EMBEDDED_SLOTS, "--slots", min=1, help="Requests served in parallel (llama-server -np), as `benchlab run` uses them."),
        ctx_per_slot: int = typer.Option(8192, "--ctx-per-slot", min=256, help="Context tokens per slot, at most."),
        shared_ctx: int = typer.Option(EMBEDDED_SHARED_CTX, "--shared-ctx", min=256, help="Context tokens the slots share (a unified KV cache), as `benchlab run` does."),
        server_binary: Optional[Path] = typer.Option(None, "--server-binary", help=_BINARY_HELP),
        model_file: Optional[Path] = typer.Option(None, "--model-file", help=_MODEL_HELP),
    ) -> None:
        """Start the server and keep it serving until Ctrl-C."""
        from benchlab.errors import BenchlabError
        from benchlab.plugins.backends.llama.llama_build import MODEL_ALIAS, cache_dir
        from benchlab.plugins.backends.llama.llama_server import LlamaServer

        binary, model = _paths(server_binary, model_file)
        server = LlamaServer(binary, model, alias=MODEL_ALIAS, log_dir=cache_dir() / "logs", port=port,
                             slots=slots, ctx_per_slot=ctx_per_slot, shared_ctx=shared_ctx)
        # A plain `kill` should stop the server too, not only Ctrl-C.
        signal.signal(signal.SIGTERM, _stop_on_sigterm)
        try:
            url = server.start()
            print(f"serving {MODEL_ALIAS} at {url}/v1 (pid {server.pid}, log {server.log_path})")
            print(f"use it with: benchlab run --endpoint {url}")
            print("press Ctrl-C to stop", file=sys.stderr)
            sys.stdout.flush()
            while server.running():
                time.sleep(0.5)
            raise BenchlabError(f"llama-server stopped on its own: {server.log_tail(1)} (log: {server.log_path})")
        except KeyboardInterrupt:
            print("benchlab: stopping llama-server", file=sys.stderr)
        finally:
            server.stop()

    return app
