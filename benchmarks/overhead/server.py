"""A local OpenAI-compatible server for the overhead benchmark.

It answers every ``/v1/chat/completions`` request after ``--latency-ms`` and admits at
most ``--concurrency`` requests at once (the rest wait in line), like a model server
with a fixed number of slots. The answer is computed from the question in the last
user message ("What is A OP B?"), so a harness's scores can be checked.

Plain asyncio streams and a minimal HTTP/1.1 parser (keep-alive, Content-Length
bodies): a framework would cost more per request than the harnesses we measure.

Control routes, never counted as traffic: ``GET /_bench/stats`` (timestamps on the
system-wide CLOCK_MONOTONIC, so another process can compare them with its own) and
``POST /_bench/reset``.

Run: ``python server.py --port 0 --latency-ms 50 --concurrency 8``; it prints
``listening http://127.0.0.1:PORT`` once ready.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
from typing import Any

MODEL_ID = "overhead-echo"
QUESTION = re.compile(r"What is (-?\d+) ([+*-]) (-?\d+)\?")
UNKNOWN = "I do not know."


def now() -> float:
    """CLOCK_MONOTONIC is one clock for every process on Linux, unlike perf_counter's promise."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def answer_for(text: str) -> str:
    """The exact answer to the question in ``text``, computed from the text alone."""
    match = QUESTION.search(text)
    if not match:
        return UNKNOWN
    left, op, right = int(match.group(1)), match.group(2), int(match.group(3))
    if op == "+":
        return str(left + right)
    if op == "-":
        return str(left - right)
    return str(left * right)


def last_user_text(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):  # content parts
                return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
            return str(content or "")
    return ""


class Stats:
    """What the benchmark reads back after a run."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.first_any: float | None = None
        self.first_chat: float | None = None
        self.first_question: float | None = None
        self.last_chat_done: float | None = None
        self.chat_requests = 0
        self.question_requests = 0
        self.model_requests = 0
        self.other_requests = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.waiting = 0
        self.max_waiting = 0

    def seen(self, path: str) -> float:
        """Count a request from a harness (control routes are not counted)."""
        stamp = now()
        if self.first_any is None:
            self.first_any = stamp
        if path == "/v1/chat/completions":
            self.chat_requests += 1
            if self.first_chat is None:
                self.first_chat = stamp
        elif path == "/v1/models":
            self.model_requests += 1
        else:
            self.other_requests += 1
        return stamp

    def question(self, arrived: float) -> None:
        """A chat request that asked one of the pack's questions (not a harness's own probe)."""
        self.question_requests += 1
        if self.first_question is None or arrived < self.first_question:
            self.first_question = arrived

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if k not in ("in_flight", "waiting")}


class BenchServer:
    """The request handler: one instance per server process."""

    def __init__(self, latency_ms: float, concurrency: int) -> None:
        self.latency_s = latency_ms / 1000.0
        self.slots = asyncio.Semaphore(concurrency)
        self.stats = Stats()
        self.counter = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request = await read_request(reader)
                if request is None:
                    break
                method, path, headers, body = request
                status, payload = await self.route(method, path, body)
                data = json.dumps(payload).encode()
                keep = headers.get("connection", "").lower() != "close"
                head = (
                    f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
                    f"Connection: {'keep-alive' if keep else 'close'}\r\n\r\n"
                )
                writer.write(head.encode() + data)
                await writer.drain()
                if not keep:
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def route(self, method: str, path: str, body: bytes) -> tuple[int, Any]:
        path = path.split("?", 1)[0]
        arrived = now() if path.startswith("/_bench/") else self.stats.seen(path)
        if path == "/v1/chat/completions" and method == "POST":
            return await self.chat(body, arrived)
        if path == "/v1/models" and method == "GET":
            return 200, {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "owned_by": "benchmark"}]}
        if path == "/_bench/stats":
            return 200, self.stats.as_dict()
        if path == "/_bench/reset" and method == "POST":
            self.stats.reset()
            return 200, {"reset": True}
        if path == "/health":
            return 200, {"status": "ok"}
        return 404, {"error": {"message": f"no route {method} {path}"}}

    async def chat(self, raw: bytes, arrived: float) -> tuple[int, Any]:
        stats = self.stats
        try:
            body = json.loads(raw)
        except ValueError:
            return 400, {"error": {"message": "the body is not JSON"}}
        if body.get("stream"):
            return 400, {"error": {"message": "this benchmark server answers non-streaming requests only"}}
        stats.waiting += 1
        stats.max_waiting = max(stats.max_waiting, stats.waiting)
        async with self.slots:
            stats.waiting -= 1
            stats.in_flight += 1
            stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
            try:
                if self.latency_s > 0:
                    await asyncio.sleep(self.latency_s)
                answer = answer_for(last_user_text(body))
            finally:
                stats.in_flight -= 1
        if answer != UNKNOWN:
            stats.question(arrived)
        stats.last_chat_done = now()
        self.counter += 1
        return 200, {
            "id": f"chatcmpl-{self.counter}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model") or MODEL_ID,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 12, "completion_tokens": 2, "total_tokens": 14},
        }


async def read_request(reader: asyncio.StreamReader) -> tuple[str, str, dict[str, str], bytes] | None:
    """One HTTP/1.1 request, or None when the client closed the connection."""
    line = await reader.readline()
    if not line or not line.strip():
        return None
    method, path, _version = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while True:
        header = await reader.readline()
        if header in (b"\r\n", b"\n", b""):
            break
        name, _, value = header.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length") or 0)
    body = await reader.readexactly(length) if length else b""
    return method, path, headers, body


async def serve(host: str, port: int, latency_ms: float, concurrency: int) -> None:
    app = BenchServer(latency_ms, concurrency)
    server = await asyncio.start_server(app.handle, host, port, backlog=256)
    bound = server.sockets[0].getsockname()
    print(f"listening http://{bound[0]}:{bound[1]}", flush=True)
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--concurrency", type=int, default=8, help="requests served at once; others wait")
    args = parser.parse_args(argv)
    try:
        asyncio.run(serve(args.host, args.port, args.latency_ms, args.concurrency))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
