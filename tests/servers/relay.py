"""A logging reverse proxy: forwards every request to a real server and answers with its reply.

Lets a test see the exact bodies benchlab sent to a real server (llama-server),
which does not echo them. Whole bodies only (no streaming pass-through).
"""

from __future__ import annotations

import httpx

from servers.base import Request, TestServer


class Relay(TestServer):
    """Forwards GET and POST on every path to ``target``; ``log`` holds what benchlab sent."""

    def __init__(self, target: str) -> None:
        super().__init__()
        self.target = target.rstrip("/")
        self.http = httpx.Client(timeout=120, trust_env=False)
        for method in ("GET", "POST"):
            self.route(method, r"/.*", self.forward)

    def forward(self, request: Request) -> None:
        query = request.handler.path.partition("?")[2]
        url = self.target + request.path + (f"?{query}" if query else "")
        headers = {"content-type": request.headers.get("content-type", "application/json")}
        reply = self.http.request(request.method, url, content=request.raw or None, headers=headers)
        request.send(reply.status_code, reply.content, reply.headers.get("content-type", "application/json"))

    def server_close(self) -> None:
        self.http.close()
        super().server_close()

