"""Backend ``runpod``: RunPod serverless endpoints (``--endpoint https://api.runpod.ai/v2/<id>``).

Two routes, chosen by the ``route`` setting or by the URL:
- ``native`` (default): worker-vLLM jobs through ``/runsync`` (``mode=sync``,
  polling ``/status/<job>`` when the job outlives the wait) or ``/run`` +
  ``/status`` (``mode=async``). No tools, no response_format, no thinking switch:
  worker-vLLM's job input has none, and benchlab says so once.
- ``openai``: the worker's OpenAI-compatible route ``BASE/v2/<id>/openai/v1``
  (also chosen when the endpoint URL ends in ``/openai/v1``): tools and the rest.

The key comes from ``--api-key`` or ``RUNPOD_API_KEY`` and is only ever sent in
the Authorization header. ``/health`` is probed first; a tiny warm-up job absorbs a
cold worker start (``warmup_timeout_s``, default 900) before timing starts. A job
abandoned by the runner's timeout is cancelled, so it stops costing money.
Pods (``https://<pod>-<port>.proxy.runpod.net``) are plain servers: use the
backend of what runs on the pod (ollama, vllm, openai).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from typing import Any, ClassVar

import attrs

from benchlab.backends import BackendOptions, HttpBackend
from benchlab.errors import BenchlabError, TransportError
from benchlab.model import ChatRequest, ChatResponse, FailureMode

WARMUP_PROMPT = "Reply with the single word: ready"
ROUTES = ("native", "openai")
MODES = ("sync", "async")
_SERVERLESS = re.compile(r"^https?://[^/]*runpod\.ai/v2/[A-Za-z0-9_-]+")


def _workers_openai_route(options: BackendOptions) -> HttpBackend:
    """The OpenAI route of worker-vLLM: vLLM's server, so vLLM's sampling names."""
    from benchlab.plugins.backends.openai_backend import OpenAIBackend

    class WorkerOpenAI(OpenAIBackend):
        def build_body(self, request: ChatRequest) -> dict[str, Any]:
            body = super().build_body(request)
            # vLLM ignores unknown fields: repeat_penalty would be dropped without a word.
            if "repeat_penalty" in body:
                body["repetition_penalty"] = body.pop("repeat_penalty")
            return body

    return WorkerOpenAI(options)


class RunPodBackend(HttpBackend):
    """A RunPod serverless endpoint."""

    name = "runpod"
    # Recognised by its URL alone, before any server is asked.
    detect_order: ClassVar[int] = 5
    setting_keys: ClassVar[tuple[str, ...] | None] = ("route", "mode", "poll_interval_s", "warmup", "warmup_timeout_s")

    @classmethod
    def explain_offline_page(cls, url: str, status: int) -> str | None:
        """A pod's proxy answering with an HTML page means the pod is down (whatever backend asked)."""
        from benchlab.plugins.backends.runpod_wire import pod_offline

        return pod_offline(url, status)

    def __init__(self, options: BackendOptions) -> None:
        super().__init__(options)
        from benchlab.backends import setting
        from benchlab.plugins.backends.runpod_wire import is_pod_proxy, split_endpoint

        if not options.endpoint:
            raise BenchlabError("backend runpod needs --endpoint https://api.runpod.ai/v2/<endpoint-id>")
        if is_pod_proxy(options.endpoint):
            raise BenchlabError(
                "that is a RunPod pod URL, not a serverless endpoint: use the backend of the server on the pod "
                "(--backend ollama, vllm or openai), or omit --backend to detect it"
            )
        self.root, openai_url = split_endpoint(options.endpoint)
        self.route = setting(options, "route", "openai" if openai_url else "native", str)
        self.mode = setting(options, "mode", "sync", str)
        if self.route not in ROUTES:
            raise BenchlabError(f"backend setting route={self.route!r}: use native or openai")
        if self.mode not in MODES:
            raise BenchlabError(f"backend setting mode={self.mode!r}: use sync or async")
        self.poll_s = setting(options, "poll_interval_s", 0.5, float)
        self.warmup = setting(options, "warmup", True, bool)
        self.warmup_timeout_s = setting(options, "warmup_timeout_s", 900.0, float)
        self.api_key = options.api_key or os.environ.get("RUNPOD_API_KEY")
        self.inner: HttpBackend | None = None
        if self.route == "openai":
            self.inner = _workers_openai_route(attrs.evolve(options, endpoint=self.root + "/openai/v1", api_key=self.api_key))

    @classmethod
    async def detect(cls, base_url: str, client: Any) -> dict[str, Any] | None:
        """A serverless endpoint is known by its URL (``.../v2/<id>`` on runpod.ai); nothing is sent."""
        return {"server_kind": "runpod"} if _SERVERLESS.match(base_url) else None

    @property
    def endpoint_label(self) -> str | None:
        from benchlab.redact import redact_url

        return redact_url(self.root + ("/openai/v1" if self.route == "openai" else ""))

    @property
    def default_concurrency(self) -> int:
        return self.options.concurrency or 4

    async def start(self) -> dict[str, Any]:
        from benchlab.http import json_or_none, probe

        if not self.api_key:
            raise BenchlabError("backend runpod needs a key: set RUNPOD_API_KEY or pass --api-key")
        reply = await probe(self.client, "GET", f"{self.root}/health", endpoint=self.root, explain=self.options.explain_offline)
        if reply.status_code in (401, 403):
            raise BenchlabError(f"RunPod refused the key for {self.endpoint_label} (HTTP {reply.status_code}): check RUNPOD_API_KEY")
        health = json_or_none(reply)
        if not isinstance(health, dict):
            raise BenchlabError(f"{self.endpoint_label}: GET /health answered HTTP {reply.status_code}: is the endpoint id right?")
        workers = health.get("workers") or {}
        found: dict[str, Any] = {"server_kind": "runpod", "route": self.route, "mode": self.mode, "workers": workers, "jobs": health.get("jobs")}
        if not any(isinstance(v, int) and v > 0 for v in workers.values()):
            self.warnings.append("no RunPod worker was up at the start: the first job waited for a cold start (not counted in latency)")
        if self.inner is not None:
            found.update(await self.inner.start())
            self.model = self.inner.model
        elif self.model is None:
            self.model = await self._served_model()
        if self.warmup:
            found["warmup_s"] = await self._warm_up()
        return found

    async def _served_model(self) -> str | None:
        """The native route names no model; worker-vLLM's OpenAI route lists it (best effort)."""
        from benchlab.http import probe_timeout
        from benchlab.http import json_or_none

        try:
            listing = json_or_none(await self.client.get(f"{self.root}/openai/v1/models", timeout=probe_timeout()))
            return str(listing["data"][0]["id"]) if listing and listing.get("data") else None
        except Exception:  # an older worker without that route: the model stays unnamed
            return None

    async def _warm_up(self) -> float:
        request = ChatRequest(scenario="benchlab/warmup", messages=[{"role": "user", "content": WARMUP_PROMPT}], model=self.model, max_tokens=1)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.warmup_timeout_s):
                await self.chat(request)
        except TimeoutError:
            raise BenchlabError(
                f"{self.endpoint_label}: no worker answered a warm-up job within {self.warmup_timeout_s:g}s; "
                "raise the warmup_timeout_s backend setting, or check the endpoint's workers"
            ) from None
        except TransportError as exc:
            raise BenchlabError(f"{self.endpoint_label}: the warm-up job failed: {exc.detail}") from None
        return round(time.perf_counter() - started, 3)

    async def chat(self, request: ChatRequest) -> ChatResponse:
        if self.inner is not None:
            return await self.inner.chat(request)
        return await self._native(request)

    def job_body(self, request: ChatRequest) -> dict[str, Any]:
        from benchlab.plugins.backends.openai_wire import merge_extra_body
        from benchlab.plugins.backends.runpod_wire import job_input

        asks = (("tools", request.tools), ("response_format", request.response_format), ("thinking", request.thinking is True),
                ("reasoning_effort", request.reasoning_effort))
        for what, asked in asks:
            if asked:
                self.warn_once(what, f"worker-vLLM's native job input has no {what}: it was not sent (use the route=openai backend setting)")
        return {"input": merge_extra_body(job_input(request), request.extra_body)}

    async def _native(self, request: ChatRequest) -> ChatResponse:
        import httpx

        from benchlab.http import error_from_exception
        from benchlab.plugins.backends.runpod_wire import PENDING, TERMINAL, job_failure, job_response

        url = f"{self.root}/{'runsync' if self.mode == 'sync' else 'run'}"
        started = time.perf_counter()
        job_id: str | None = None
        try:
            job = await self._post_json(url, self.job_body(request))
            job_id = job.get("id")
            delay = self.poll_s
            while job.get("status") in PENDING:
                if not job_id:
                    raise TransportError(FailureMode.SERVER_ERROR, f"RunPod answered {job.get('status')} without a job id", retryable=True, raw=job)
                await asyncio.sleep(delay)
                delay = min(delay * 1.5, 2.0)
                job = await self._get_json(f"{self.root}/status/{job_id}")
        except asyncio.CancelledError:
            # The runner gave up on this attempt: stop the job so it stops costing.
            if job_id:
                await asyncio.shield(self._cancel(job_id))
            raise
        except httpx.HTTPError as exc:
            raise error_from_exception(exc, url) from None
        state = job.get("status")
        if state == "COMPLETED":
            return job_response(job, request, status=200, total_s=time.perf_counter() - started)
        if state in TERMINAL:
            raise job_failure(job, 200)
        raise TransportError(FailureMode.SERVER_ERROR, f"RunPod answered an unknown job status {state!r}", retryable=True, raw=job)

    async def _post_json(self, url: str, body: dict[str, Any]) -> dict[str, Any]:
        reply = await self.client.post(url, json=body)
        return self._job(reply, url)

    async def _get_json(self, url: str) -> dict[str, Any]:
        import httpx

        from benchlab.http import error_from_exception

        try:
            reply = await self.client.get(url)
        except httpx.HTTPError as exc:
            raise error_from_exception(exc, url) from None
        return self._job(reply, url)

    def _job(self, reply: Any, url: str) -> dict[str, Any]:
        from benchlab.http import error_from_status, parse_json_body

        if reply.status_code != 200:
            raise error_from_status(reply.status_code, reply.text, reply.headers, url, explain=self.options.explain_offline)
        try:
            job = json.loads(reply.text)
        except (ValueError, RecursionError):
            job = None
        if not (isinstance(job, dict) and "status" in job):
            # Not a job: garbage or an error object, classified as for any 200.
            job = parse_json_body(reply.text, reply.status_code)
        if not isinstance(job, dict) or "status" not in job:
            raise TransportError(FailureMode.SERVER_ERROR, f"RunPod answered something that is not a job: {reply.text[:120]!r}", retryable=True, raw=job)
        return job

    async def _cancel(self, job_id: str) -> None:
        try:
            await self.client.post(f"{self.root}/cancel/{job_id}", timeout=3.0)
        except Exception:  # best effort: the job expires on its own anyway
            self.warn_once("cancel", f"could not cancel abandoned RunPod job {job_id}")

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    async def aclose(self) -> None:
        if self.inner is not None:
            self.warnings.extend(w for w in self.inner.warnings if w not in self.warnings)
            await self.inner.aclose()
        await super().aclose()
