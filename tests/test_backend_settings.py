"""What a backend declares about itself is checked before it starts: a ``--backend-option`` key
it does not read is one error line that suggests the closest and lists its settings (with
``-b``, with the detected backend, and on ``probe``), keys core passes itself are not the
user's, and a backend without a server says so to ``probe``. Every built-in backend declares
exactly the keys its module reads, and docs/backends.md lists exactly those.

Through the real CLI against the protocol-faithful Ollama stand-in (tests/servers/ollama.py);
a third-party backend comes from a real ``--plugin`` file.
"""

from __future__ import annotations

import re
from pathlib import Path

from benchlab.plugin_manager import load_plugins
from helpers import REPO, benchlab, exact_scenario, one_error_line, run_record, write_pack, write_replay
from servers.base import Answer, Script, TestServer, running
from servers.ollama import OllamaServer

OLLAMA_SETTINGS = "keep_alive, num_ctx, first_token_timeout_s, idle_timeout_s, load_timeout_s, warmup"
KEEPALIVE_ERROR = ("benchlab: error: --backend-option keepalive: backend ollama has no such setting "
                   f"(did you mean keep_alive?); its settings: {OLLAMA_SETTINGS}")
# Keys core itself puts into BackendOptions.settings: never a user's setting.
INTERNAL_KEYS = {"thinking_flag"}


def mini_pack(tmp_path: Path) -> Path:
    return write_pack(tmp_path / "mini", [exact_scenario("A", "Say OK", "OK")])


def ollama() -> OllamaServer:
    return OllamaServer(Script({}, default=Answer("OK")))


def test_a_misspelt_setting_is_one_line_before_any_request_and_a_right_one_reaches_the_server(tmp_path: Path) -> None:
    with running(ollama()) as server:
        wrong = benchlab("run", "-b", "ollama", "-e", server.url, "-o", "keepalive=1h", "--pack", str(mini_pack(tmp_path)),
                         "--out", str(tmp_path / "wrong"))
        assert one_error_line(wrong) == KEEPALIVE_ERROR
        assert server.log == []
        assert not (tmp_path / "wrong").exists() or not any((tmp_path / "wrong").iterdir())
        right = benchlab("run", "-b", "ollama", "-e", server.url, "-o", "keep_alive=5m", "-o", "warmup=false",
                         "--pack", str(mini_pack(tmp_path)), "--out", str(tmp_path / "right"), "--no-progress")
        assert right.returncode == 0, right.stdout + right.stderr
        assert {body["keep_alive"] for body in server.bodies("/api/chat")} == {"5m"}


def test_the_detected_backend_is_checked_before_it_starts(tmp_path: Path) -> None:
    with running(ollama()) as server:
        proc = benchlab("run", "-e", server.url, "-o", "keepalive=1h", "-o", "colour=red", "--pack", str(mini_pack(tmp_path)),
                        "--out", str(tmp_path / "out"))
        assert one_error_line(proc) == KEEPALIVE_ERROR + "; also unknown: colour"
        # Only detection asked anything; the backend never started (no /api/tags, /api/show, /api/chat).
        assert {entry.method for entry in server.log} == {"GET"}
        assert "/api/tags" not in server.paths() and "/api/chat" not in server.paths()


def test_probe_checks_the_settings_too() -> None:
    with running(ollama()) as server:
        proc = benchlab("probe", server.url, "-b", "ollama", "-o", "keepalive=1h")
        assert one_error_line(proc) == KEEPALIVE_ERROR
        assert server.log == []


def test_a_backend_without_settings_and_cores_own_keys(tmp_path: Path) -> None:
    """openai takes no settings; thinking_flag is what core passes, not a setting the user may give."""
    server = TestServer()
    with running(server):
        proc = benchlab("run", "-b", "openai", "-e", server.url, "-o", "keep_alive=1h", "--pack", str(mini_pack(tmp_path)),
                        "--out", str(tmp_path / "out"))
        assert one_error_line(proc) == "benchlab: error: --backend-option keep_alive: backend openai takes no settings"
        assert server.log == []
    replay = write_replay(tmp_path / "r.jsonl", {"mini/A": "OK"})
    proc = benchlab("run", "--replay", str(replay), "-o", "thinking_flag=false", "--pack", str(mini_pack(tmp_path)),
                    "--out", str(tmp_path / "out"))
    assert one_error_line(proc) == "benchlab: error: --backend-option thinking_flag: backend replay takes no settings"


def test_probe_of_the_replay_backend_says_probe_needs_a_server() -> None:
    server = TestServer()
    with running(server):
        proc = benchlab("probe", server.url, "-b", "replay")
    assert one_error_line(proc) == ("benchlab: error: benchlab probe cannot use backend replay: it answers from a file "
                                    "of recorded responses, not from a server; use it with benchlab run --replay FILE")
    assert server.log == []


def test_probe_of_the_local_backend_builds_nothing_and_says_why(tmp_path: Path) -> None:
    """`probe URL -b local` once ignored the URL and fetched and compiled llama-server: now one
    line, before anything is fetched (the cache stays empty) or the URL is asked."""
    cache = tmp_path / "cache"
    server = TestServer()
    with running(server):
        proc = benchlab("probe", server.url, "-b", "local", env={"BENCHLAB_CACHE_DIR": str(cache)}, timeout=60)
    assert one_error_line(proc) == ("benchlab: error: benchlab probe cannot use backend local: it starts its own "
                                    "llama-server and talks to no URL; start that server with benchlab local serve "
                                    "and probe the URL it prints")
    assert server.log == [] and not (cache.exists() and any(cache.iterdir()))


SELF_SERVING_PLUGIN = '''
from benchlab import hookimpl
from benchlab.api import Backend


class SelfServing(Backend):
    """Starts a server of its own (here: would fail loudly if it were ever constructed)."""

    name = "self-serving"
    takes_endpoint = False

    def __init__(self, options):
        raise SystemExit("constructed: probe should have refused first")


@hookimpl
def register_backends(register):
    register("self-serving", SelfServing, summary="a backend that talks to no URL")
'''


def test_probe_refuses_any_backend_that_talks_to_no_url(tmp_path: Path) -> None:
    plugin = tmp_path / "self_serving.py"
    plugin.write_text(SELF_SERVING_PLUGIN)
    proc = benchlab("probe", "http://127.0.0.1:9", "--plugin", str(plugin), "-b", "self-serving", timeout=60)
    assert one_error_line(proc) == ("benchlab: error: benchlab probe cannot use backend self-serving: it talks to no URL "
                                    "(it starts its own server or answers from a file)")


UNDECLARED_PLUGIN = '''
from benchlab import hookimpl
from benchlab.backends import Backend
from benchlab.model import ChatResponse


class EchoBackend(Backend):
    """Answers with its "greeting" setting; declares no setting_keys (written before they existed)."""

    name = "echo"
    measures_speed = False

    async def start(self):
        return {}

    async def chat(self, request):
        return ChatResponse(content=str(self.options.settings.get("greeting")), finish_reason="stop")


@hookimpl
def register_backends(register):
    register("echo", EchoBackend, summary="echoes its greeting setting")
'''


def test_a_backend_that_declares_no_keys_gets_every_setting(tmp_path: Path) -> None:
    plugin = tmp_path / "echo_plugin.py"
    plugin.write_text(UNDECLARED_PLUGIN)
    out = tmp_path / "out"
    proc = benchlab("run", "--plugin", str(plugin), "-b", "echo", "-o", "greeting=OK", "--pack", str(mini_pack(tmp_path)),
                    "--out", str(out), "--no-progress")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [r["passed"] for r in run_record(out)["results"]] == [True]


# -- the declarations are the truth -------------------------------------------------------------


def _keys_read(source: str) -> set[str]:
    """The settings a backend module reads: ``setting(options, "KEY", ...)`` or ``settings.get("KEY")``."""
    found = set(re.findall(r'setting\(\s*options,\s*"(\w+)"', source))
    return found | set(re.findall(r'options\.settings\.get\("(\w+)"\)', source))


def _documented() -> dict[str, set[str]]:
    """docs/backends.md's settings table: backend -> the keys in its rows."""
    table: dict[str, set[str]] = {}
    for backend, keys in re.findall(r"^\| `(\w+)` \| ([^|]+) \|", (REPO / "docs" / "backends.md").read_text(), re.MULTILINE):
        table.setdefault(backend, set()).update(re.findall(r"`(\w+)`", keys))
    return table


def test_every_builtin_backend_declares_what_it_reads_and_the_docs_list_it() -> None:
    backends = load_plugins().backends
    documented = _documented()
    builtin = [entry for entry in backends if entry.plugin == "builtin"]
    assert {e.name for e in builtin} >= {"openai", "ollama", "llamacpp", "vllm", "runpod", "local", "replay"}
    for entry in builtin:
        cls = entry.load()
        module = Path(__import__(cls.__module__, fromlist=["_"]).__file__)
        declared = set(cls.setting_keys)
        assert len(declared) == len(cls.setting_keys), f"{entry.name} declares a key twice"
        assert _keys_read(module.read_text()) - INTERNAL_KEYS == declared, entry.name
        assert documented.get(entry.name, set()) == declared, f"docs/backends.md and {entry.name} disagree"
    assert set(documented) <= set(backends.names())
