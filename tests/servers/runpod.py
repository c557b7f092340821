"""Protocol-faithful RunPod servers: a serverless endpoint running worker-vLLM, and a pod proxy.

RunPod cannot be reached from here, so these reproduce the documented behaviour:
job operations per https://docs.runpod.io/serverless/endpoints/operation-reference,
worker-vLLM's job input/output per https://docs.runpod.io/serverless/vllm/vllm-requests
and https://github.com/runpod-workers/worker-vllm (src/engine.py, src/utils.py),
its OpenAI route per https://docs.runpod.io/serverless/vllm/openai-compatibility,
and a pod proxy (https://<pod>-<port>.proxy.runpod.net) whose pod is stopped,
which answers every path with an HTML error page.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

from servers.base import Request, Script, TestServer, cut
from servers.openai_compat import OpenAIChat

# vLLM SamplingParams keyword arguments worker-vLLM passes through; any other key is a TypeError.
SAMPLING_PARAMS = {
    "n", "best_of", "presence_penalty", "frequency_penalty", "repetition_penalty", "temperature", "top_p",
    "top_k", "min_p", "seed", "stop", "stop_token_ids", "ignore_eos", "max_tokens", "min_tokens",
    "logprobs", "skip_special_tokens", "spaces_between_special_tokens", "truncate_prompt_tokens",
}
EID = r"/v2/(?P<eid>[A-Za-z0-9_-]+)"


class RunPodServerless(TestServer):
    """A queue-based endpoint: ``/runsync``, ``/run``, ``/status``, ``/cancel``, ``/health``, ``/openai/v1``.

    ``queue_s`` is how long a job waits for a worker (a cold start), ``exec_s``
    how long the worker takes; ``runsync_wait_s`` is how long /runsync holds the
    request before answering with the job still pending (90 s on RunPod).
    ``fail_jobs`` makes that many jobs end FAILED (a worker error).
    """

    def __init__(
        self,
        script: Script,
        *,
        endpoint_id: str = "abc123xyz",
        api_key: str = "rp_test_key",
        model: str = "Qwen/Qwen3-0.6B",
        queue_s: float = 0.0,
        exec_s: float = 0.0,
        runsync_wait_s: float = 90.0,
        workers: dict[str, int] | None = None,
        fail_jobs: int = 0,
        worker_thinks: bool = False,
    ) -> None:
        super().__init__()
        self.script = script
        self.endpoint_id = endpoint_id
        self.api_key = api_key
        self.queue_s = queue_s
        self.exec_s = exec_s
        self.runsync_wait_s = runsync_wait_s
        self.workers = workers if workers is not None else {"idle": 1, "running": 0}
        self.fail_jobs = fail_jobs
        self.worker_thinks = worker_thinks
        self.jobs: dict[str, dict[str, Any]] = {}
        self.cancelled: list[str] = []
        self.route("GET", EID + "/health", self.health)
        self.route("POST", EID + "/runsync", self.runsync)
        self.route("POST", EID + "/run", self.run)
        self.route("GET", EID + "/status/(?P<job>[^/]+)", self.status)
        self.route("POST", EID + "/cancel/(?P<job>[^/]+)", self.cancel)
        self.openai = OpenAIChat(script, model=model, owned_by="runpod", api_key=api_key)
        self.openai.install(self, prefix=EID + "/openai")

    @property
    def endpoint(self) -> str:
        return f"{self.url}/v2/{self.endpoint_id}"

    def _authorized(self, request: Request) -> bool:
        # RunPod takes the key bare or as a Bearer token.
        if request.headers.get("authorization") in (self.api_key, f"Bearer {self.api_key}") and request.match.group("eid") == self.endpoint_id:
            return True
        if request.match.group("eid") != self.endpoint_id:
            request.send_json(404, {"error": "endpoint not found"})
        else:
            request.send_json(401, {"error": "Unauthorized"})
        return False

    def health(self, request: Request) -> None:
        """GET /health -> {"jobs": {completed, failed, inProgress, inQueue, retried}, "workers": {idle, running}}."""
        if not self._authorized(request):
            return
        with self.lock:
            states = [j["status"] for j in self.jobs.values()]
        jobs = {
            "completed": states.count("COMPLETED"), "failed": states.count("FAILED"),
            "inProgress": states.count("IN_PROGRESS"), "inQueue": states.count("IN_QUEUE"), "retried": 0,
        }
        request.send_json(200, {"jobs": jobs, "workers": dict(self.workers)})

    def _new_job(self, request: Request, prefix: str) -> dict[str, Any] | None:
        body = request.json
        if not isinstance(body, dict) or not isinstance(body.get("input"), dict):
            request.send_json(400, {"error": "the request needs an 'input' object"})
            return None
        job = {"id": prefix + str(uuid.uuid4()), "status": "IN_QUEUE", "input": body["input"], "created": time.monotonic()}
        with self.lock:
            self.jobs[job["id"]] = job
        threading.Thread(target=self._work, args=(job,), daemon=True).start()
        return job

    def _work(self, job: dict[str, Any]) -> None:
        time.sleep(self.queue_s)
        with self.lock:
            if job["status"] == "CANCELLED":
                return
            job["status"] = "IN_PROGRESS"
            job["delayTime"] = int(self.queue_s * 1000)
        time.sleep(self.exec_s)
        outcome = self._handle(job["input"])
        with self.lock:
            if job["status"] == "CANCELLED":
                return
            job["executionTime"] = int(self.exec_s * 1000) + 1
            job.update(outcome)

    def _handle(self, job_input: dict[str, Any]) -> dict[str, Any]:
        """worker-vLLM's handler: SamplingParams(**sampling_params), chat template, one output batch."""
        with self.lock:
            if self.fail_jobs > 0:
                self.fail_jobs -= 1
                return {"status": "FAILED", "error": "CUDA error: an illegal memory access was encountered"}
        params = job_input.get("sampling_params") or {}
        unknown = sorted(set(params) - SAMPLING_PARAMS)
        if unknown:
            return {"status": "FAILED", "error": f"SamplingParams.__init__() got an unexpected keyword argument '{unknown[0]}'"}
        messages = job_input.get("messages") or [{"role": "user", "content": job_input.get("prompt", "")}]
        answer = self.script.answer(messages)
        text = answer.content
        if self.worker_thinks and answer.reasoning:
            text = f"<think>{answer.reasoning}</think>\n\n{text}"
        text, _ = cut(text, params.get("max_tokens", 16))  # worker-vLLM's default max_tokens is 16
        usage = {"input": sum(len(str(m.get("content") or "").split()) for m in messages), "output": len(text.split())}
        return {"status": "COMPLETED", "output": [{"choices": [{"tokens": [text]}], "usage": usage}]}

    def _public(self, job: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            return {k: v for k, v in job.items() if k not in ("input", "created")}

    def runsync(self, request: Request) -> None:
        """POST /runsync: waits up to ``runsync_wait_s`` for the job, else answers it pending (poll /status)."""
        if not self._authorized(request):
            return
        job = self._new_job(request, "sync-")
        if job is None:
            return
        deadline = time.monotonic() + self.runsync_wait_s
        while time.monotonic() < deadline and self._public(job)["status"] in ("IN_QUEUE", "IN_PROGRESS"):
            time.sleep(0.01)
        request.send_json(200, self._public(job))

    def run(self, request: Request) -> None:
        """POST /run -> {"id", "status": "IN_QUEUE"} at once."""
        if not self._authorized(request):
            return
        job = self._new_job(request, "")
        if job is not None:
            request.send_json(200, {"id": job["id"], "status": "IN_QUEUE"})

    def status(self, request: Request) -> None:
        """GET /status/{job}: status plus delayTime, executionTime and output (or error) once finished."""
        if not self._authorized(request):
            return
        job = self.jobs.get(request.match.group("job"))
        if job is None:
            request.send_json(404, {"error": "request does not exist"})
            return
        request.send_json(200, self._public(job))

    def cancel(self, request: Request) -> None:
        """POST /cancel/{job} -> {"id", "status": "CANCELLED"}."""
        if not self._authorized(request):
            return
        job = self.jobs.get(request.match.group("job"))
        if job is None:
            request.send_json(404, {"error": "request does not exist"})
            return
        with self.lock:
            job["status"] = "CANCELLED"
            self.cancelled.append(job["id"])
        request.send_json(200, {"id": job["id"], "status": "CANCELLED"})


OFFLINE_PAGE = """<!DOCTYPE html>
<html><head><title>{status}</title></head>
<body><h1>{status}</h1><p>The pod you are trying to reach is not running, or nothing listens on this port.</p></body></html>
"""


class PodProxyOffline(TestServer):
    """What a pod proxy URL answers while its pod is stopped: an HTML error page on every path."""

    def __init__(self, status: int = 404) -> None:
        super().__init__()
        self.status = status

    def not_found(self, request: Request) -> None:
        request.send_html(self.status, OFFLINE_PAGE.format(status=self.status))
