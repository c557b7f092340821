"""A tiny threaded HTTP server for protocol-faithful test servers, and the answer script they share.

Real sockets on 127.0.0.1, HTTP/1.1 with keep-alive, chunked streaming, and the
ability to misbehave (reset a connection, stall, cut a stream) like a real server can.
Every request is logged so tests can count attempts and inspect what was sent.
"""

from __future__ import annotations

import json
import re
import socket
import struct
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import parse_qs, urlsplit


@dataclass
class Answer:
    """What the scripted model says to one prompt."""

    content: str = ""
    reasoning: str | None = None
    tool_calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


class Script:
    """Deterministic answers keyed by the last user message; unknown prompts get ``default``."""

    def __init__(self, answers: dict[str, Answer], default: Answer | None = None) -> None:
        self.answers = answers
        self.default = default or Answer(content="I do not know.")

    def answer(self, messages: list[dict[str, Any]]) -> Answer:
        for message in reversed(messages):
            if message.get("role") == "user":
                content = message.get("content")
                if isinstance(content, list):
                    content = " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
                return self.answers.get(str(content).strip(), self.default)
        return self.default


def cut(text: str, max_tokens: int | None) -> tuple[str, bool]:
    """``text`` limited to ``max_tokens`` words (a word stands for a token here)."""
    words = text.split(" ")
    if max_tokens is None or max_tokens < 0 or len(words) <= max_tokens:
        return text, False
    return " ".join(words[:max_tokens]), True


def pieces(text: str) -> list[str]:
    """``text`` split into stream deltas that join back exactly."""
    return [m.group(0) for m in re.finditer(r"\S+\s*|\s+", text)] or ([text] if text else [])


@dataclass
class Logged:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    at: float = 0.0


class Request:
    """One request as a route handler sees it, with the means to answer it."""

    def __init__(self, handler: BaseHTTPRequestHandler, method: str, match: re.Match[str], body: bytes) -> None:
        self.handler = handler
        self.method = method
        self.match = match
        split = urlsplit(handler.path)
        self.path = split.path
        self.query = parse_qs(split.query)
        self.headers = {k.lower(): v for k, v in handler.headers.items()}
        self.raw = body
        try:
            self.json: Any = json.loads(body) if body else None
        except json.JSONDecodeError:
            self.json = None
        self._chunked = False

    def send(self, status: int, body: bytes, content_type: str = "application/json", headers: dict[str, str] | None = None) -> None:
        h = self.handler
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            h.send_header(key, value)
        h.end_headers()
        h.wfile.write(body)
        h.wfile.flush()

    def send_json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        self.send(status, json.dumps(data).encode(), "application/json", headers)

    def send_html(self, status: int, html: str) -> None:
        self.send(status, html.encode(), "text/html; charset=utf-8")

    def start_stream(self, content_type: str, status: int = 200) -> None:
        h = self.handler
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        h.wfile.flush()
        self._chunked = True

    def write(self, data: bytes | str) -> None:
        payload = data.encode() if isinstance(data, str) else data
        if payload:
            self.handler.wfile.write(f"{len(payload):x}\r\n".encode() + payload + b"\r\n")
            self.handler.wfile.flush()

    def end_stream(self) -> None:
        self.handler.wfile.write(b"0\r\n\r\n")
        self.handler.wfile.flush()

    def drop(self) -> None:
        """Reset the connection (RST), mid-response or before any byte."""
        h = self.handler
        try:
            h.wfile.flush()
        except OSError:
            pass
        h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        h.close_connection = True
        h.connection.close()


Route = Callable[[Request], None]


class TestServer(ThreadingHTTPServer):
    """Routes ``(METHOD, regex)`` to handlers; logs every request."""

    __test__ = False  # not a pytest test class
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern[str], Route]] = []
        self.log: list[Logged] = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def route(self, method: str, pattern: str, handler: Route) -> None:
        self.routes.append((method, re.compile(pattern + r"\Z"), handler))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def paths(self, method: str | None = None) -> list[str]:
        with self.lock:
            return [e.path for e in self.log if method is None or e.method == method]

    def bodies(self, path_regex: str) -> list[Any]:
        pattern = re.compile(path_regex)
        with self.lock:
            return [e.body for e in self.log if pattern.search(e.path)]

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up (a timeout, a test's reset) is normal here, not a failure to print.
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError, OSError)):
            super().handle_error(request, client_address)

    def not_found(self, request: Request) -> None:
        request.send_json(404, {"error": f"no route for {request.method} {request.path}"})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: TestServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _dispatch(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        for route_method, pattern, handler in self.server.routes:
            match = pattern.match(path)
            if match and route_method == method:
                break
        else:
            match, handler = None, None
        request = Request(self, method, match or re.match("", ""), body)  # type: ignore[arg-type]
        with self.server.lock:
            self.server.log.append(Logged(method, path, request.query, request.headers, request.json if request.json is not None else body.decode(errors="replace"), time.monotonic()))
        if handler is None:
            if any(p.match(path) for _, p, _ in self.server.routes):
                request.send_json(405, {"error": "method not allowed"})
            else:
                self.server.not_found(request)
            return
        try:
            handler(request)
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")


@contextmanager
def running(server: TestServer) -> Iterator[TestServer]:
    """Serve in a thread for the duration of the block."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def silent_listener(unix_path: Path | None = None) -> Iterator[str]:
    """A socket that accepts connections and never answers (a hung server, proxy or Docker daemon).

    Yields ``http://127.0.0.1:PORT``, or ``unix://PATH`` when ``unix_path`` is given.
    """
    if unix_path is None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    else:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(str(unix_path))
        url = f"unix://{unix_path}"
    sock.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except (TimeoutError, OSError):
                continue
            held.append(conn)  # kept open, never read or written

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield url
    finally:
        stop.set()
        thread.join(timeout=2)
        for conn in held:
            conn.close()
        sock.close()
