"""A stand-in for llama-server, for the paths the real one cannot be made to take.

It takes llama-server's command line, answers ``/health`` (503 for
``STAND_IN_LOADING_S`` seconds, then 200) and, with ``STAND_IN_IGNORE_TERM=1``,
ignores SIGTERM so that the kill after the grace period can be tested. With
``STAND_IN_BIND_FAILS_ONCE=FILE`` its first run (while FILE does not exist) exits
the way llama-server does when another process took its port.
"""

from __future__ import annotations

import argparse
import http.server
import os
import signal
import time

parser = argparse.ArgumentParser()
parser.add_argument("--host", default="127.0.0.1")
parser.add_argument("--port", type=int, required=True)
args, _ = parser.parse_known_args()

marker = os.environ.get("STAND_IN_BIND_FAILS_ONCE")
if marker and not os.path.exists(marker):
    open(marker, "w").close()
    print(f"E srv start: couldn't bind HTTP server socket, hostname: {args.host}, port: {args.port}", flush=True)
    raise SystemExit(1)
if os.environ.get("STAND_IN_IGNORE_TERM") == "1":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
ready_at = time.monotonic() + float(os.environ.get("STAND_IN_LOADING_S", "0"))


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status = 200 if time.monotonic() >= ready_at else 503
        body = b'{"status": "ok"}' if status == 200 else b'{"error": {"message": "Loading model"}}'
        self.send_response(status if self.path == "/health" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *items: object) -> None:
        print("stand-in:", format % items, flush=True)


print(f"stand-in llama-server listening on {args.host}:{args.port}", flush=True)
http.server.HTTPServer((args.host, args.port), Handler).serve_forever()
