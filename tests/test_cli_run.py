"""``benchlab run`` through the real CLI: bad input caught before any request, flag values,
progress lines, the Quality: line, and what reaches the server (tests/servers) or disk."""

from __future__ import annotations

import socket
from pathlib import Path

from helpers import benchlab, exact_scenario, write_pack
from servers.base import Answer, Script, TestServer, running
from servers.openai_compat import OpenAIChat


def mini_pack(tmp_path: Path) -> Path:
    return write_pack(tmp_path / "mini", [exact_scenario("A", "Say OK", "OK"), exact_scenario("B", "Say no", "no")],
                      title="Mini")


def openai_server(**options) -> TestServer:
    server = TestServer()
    OpenAIChat(Script({"Say OK": Answer("OK"), "Say no": Answer("yes")}), model="m", **options).install(server)
    return server


def one_error_line(proc) -> str:
    """The run failed with exactly one ``benchlab: error:`` line and no traceback."""
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("benchlab: error: "), proc.stderr
    return lines[0]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_bad_out_is_one_line_before_any_request(tmp_path):
    a_file = tmp_path / "taken.txt"
    a_file.write_text("not a folder")
    server = openai_server()
    with running(server):
        for out in (a_file, a_file / "sub"):
            # No --backend: detection would be the first thing to touch the server.
            proc = benchlab("run", "--endpoint", server.url, "--pack", str(mini_pack(tmp_path)), "--out", str(out))
            line = one_error_line(proc)
            assert line.startswith(f"benchlab: error: --out {out}: "), line
    assert server.log == [], [e.path for e in server.log]
    assert a_file.read_text() == "not a folder"


def test_a_bad_out_stops_the_embedded_default_before_it_starts(tmp_path):
    """No --endpoint means backend local: the --out error must come before any build or server start."""
    a_file = tmp_path / "taken.txt"
    a_file.write_text("")
    proc = benchlab("run", "--quick", "--out", str(a_file), timeout=60)
    assert one_error_line(proc).startswith(f"benchlab: error: --out {a_file}: ")
    assert "llama" not in proc.stderr


def test_a_bad_scenario_is_named_before_the_endpoint_is_contacted(tmp_path):
    endpoint = f"http://127.0.0.1:{closed_port()}"
    proc = benchlab("run", "--endpoint", endpoint, "--quick", "--scenario", "toolcall-15/TC-99", "--out", str(tmp_path / "o"))
    line = one_error_line(proc)
    assert "toolcall-15/TC-99" in line and "no scenario 'TC-99'" in line, line
    assert "reach" not in line
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())
