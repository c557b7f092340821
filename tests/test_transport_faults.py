"""Transport faults, end to end: a whole pack through the real CLI against a misbehaving server.

tests/servers/faults.py answers each scenario's prompt with one fault (500, 429 +
Retry-After, connection reset, slow first byte, stream cut, invalid JSON, empty
content, an error body behind a 200, a length cut, a proxy's HTML 404, and inside an
SSE stream an event that is not JSON or an error event). The run
must finish, keep every result, give each fault the right failure mode, and retry
exactly the retryable ones (counted on the server side).
"""

from __future__ import annotations

import asyncio
import json
import socket

import httpx
import pytest

from benchlab.http import error_from_exception, error_from_status, parse_json_body
from benchlab.errors import TransportError
from helpers import benchlab, run_record, write_pack
from servers.base import Answer, Script, running
from servers.faults import FAULTS, FaultServer

RETRIES = 2
# prompt -> (failure mode or None for a pass, server-side attempts)
EXPECTED = {
    "fault: 500": ("server_error", RETRIES + 1),
    "fault: 500 once": (None, 2),
    "fault: 429 once": (None, 2),
    "fault: reset": ("http_error", RETRIES + 1),
    "fault: reset once": (None, 2),
    "fault: slow": ("timeout", 1),
    "fault: cut": ("http_error", RETRIES + 1),
    "fault: bad json": ("server_error", RETRIES + 1),
    "fault: empty": ("wrong_answer", 1),
    "fault: error body": ("server_error", RETRIES + 1),
    "fault: length": ("token_limit", 1),
    "fault: html 404": ("endpoint_unreachable", 1),
    "fault: bad event": ("server_error", RETRIES + 1),
    "fault: error event": ("server_error", RETRIES + 1),
    "What is 3+4?": (None, 1),
}


def fault_pack(folder):
    scenarios = []
    for number, prompt in enumerate(EXPECTED):
        verifier = {"kind": "numeric", "expected": 7} if not prompt.startswith("fault") else {"kind": "exact", "expected": "ok"}
        scenarios.append({"id": f"s{number:02d}", "messages": [{"role": "user", "content": prompt}], "verifier": verifier})
    return write_pack(folder, scenarios, id="faults", default_max_seconds=30)


def test_every_fault_is_listed_in_the_expectations():
    assert set(FAULTS) == {p for p in EXPECTED if p.startswith("fault")}


@pytest.mark.slow
@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_a_pack_of_faults_runs_to_the_end_with_the_right_verdicts(tmp_path, stream):
    pack = fault_pack(tmp_path / "faults")
    out = tmp_path / "out"
    with running(FaultServer(Script({"What is 3+4?": Answer("7")}), slow_s=2.5)) as srv:
        args = [
            "run", "--backend", "openai", "--endpoint", srv.url, "--pack", str(pack), "--out", str(out),
            "--format", "json", "--no-progress", "--retries", str(RETRIES), "--timeout-per-case", "1.2",
        ]
        done = benchlab(*args, *(["--stream"] if stream else []), timeout=120)
        attempts = dict(srv.attempts)
        retry_gap = _gap(srv, "fault: 429 once")
        streamed = {bool(b.get("stream")) for b in srv.bodies("/v1/chat/completions")}
    assert streamed == {stream}
    assert done.returncode == 3, done.stderr  # the infrastructure faults leave scenarios not scored
    record = run_record(out)
    assert record["complete"] is True
    journal = (out / record["run_id"] / "journal.jsonl").read_text().splitlines()
    assert len(record["results"]) == len(EXPECTED) and len([line for line in journal if '"scenario_id"' in line]) == len(EXPECTED)
    by_prompt = {r["request"]["messages"][-1]["content"]: r for r in record["results"]}
    for prompt, (mode, server_attempts) in EXPECTED.items():
        result = by_prompt[prompt]
        assert result["failure_mode"] == mode, (prompt, result["detail"])
        assert result["passed"] is (mode is None), prompt
        assert attempts[prompt] == server_attempts, (prompt, attempts[prompt])
        failed_attempts = len(result["attempts"])
        assert failed_attempts == (server_attempts if mode in ("server_error", "http_error", "timeout", "endpoint_unreachable") else server_attempts - 1), prompt
    assert retry_gap >= 1.0  # the server asked for 1 s
    assert "HTML page" in by_prompt["fault: html 404"]["detail"]
    summary = record["packs"][0]
    # Infrastructure failures are never counted against the model.
    assert summary["infrastructure_failures"] == sum(1 for m, _ in EXPECTED.values() if m in ("server_error", "http_error", "endpoint_unreachable"))
    assert summary["total"] == len(EXPECTED) - summary["infrastructure_failures"] - summary.get("not_scored", 0)


def _gap(server: FaultServer, prompt: str) -> float:
    """Seconds between the first and second request for ``prompt`` (from the server's log)."""
    times = [e.at for e in server.log if isinstance(e.body, dict) and (e.body.get("messages") or [{}])[-1].get("content") == prompt]
    return times[1] - times[0] if len(times) > 1 else 0.0


def test_connect_failures_and_drops_are_classified():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()

    async def connect():
        async with httpx.AsyncClient() as client:
            await client.get(f"http://127.0.0.1:{port}/v1/models")

    with pytest.raises(httpx.ConnectError) as caught:
        asyncio.run(connect())
    error = error_from_exception(caught.value, f"http://127.0.0.1:{port}/v1/models")
    assert error.failure_mode.value == "endpoint_unreachable" and error.retryable
    dropped = error_from_exception(httpx.RemoteProtocolError("Server disconnected without sending a response."), "http://h/v1")
    assert dropped.failure_mode.value == "http_error" and dropped.retryable


@pytest.mark.parametrize(
    ("status", "body", "headers", "mode", "retryable", "retry_after"),
    [
        (500, '{"error": {"message": "boom"}}', {}, "server_error", True, None),
        (503, "overloaded", {"retry-after": "2"}, "server_error", True, 2.0),
        (429, '{"error": "slow down"}', {"retry-after": "3"}, "http_error", True, 3.0),
        (400, '{"error": "bad request"}', {}, "http_error", False, None),
        (401, '{"error": "no key"}', {}, "http_error", False, None),
        (404, '{"error": "model not found"}', {}, "http_error", False, None),
        (404, "<!DOCTYPE html><html><body>Not Found</body></html>", {"content-type": "text/html"}, "endpoint_unreachable", False, None),
        (502, "<html><body>Bad Gateway</body></html>", {}, "endpoint_unreachable", True, None),
    ],
)
def test_status_classification(status, body, headers, mode, retryable, retry_after):
    error = error_from_status(status, body, headers)
    assert (error.failure_mode.value, error.retryable, error.retry_after) == (mode, retryable, retry_after)


def test_a_200_that_is_not_an_answer_is_a_retryable_server_error():
    for body in ("not json at all", json.dumps({"error": {"message": "worker died"}})):
        with pytest.raises(TransportError) as caught:
            parse_json_body(body, 200)
        assert caught.value.failure_mode.value == "server_error" and caught.value.retryable
    assert parse_json_body('{"choices": []}', 200) == {"choices": []}
