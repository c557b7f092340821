"""RunPod serverless wire format: endpoint URLs, worker-vLLM job input and output.

Pure functions, no I/O. Job operations follow
https://docs.runpod.io/serverless/endpoints/operation-reference (``/runsync``,
``/run``, ``/status/{id}``, ``/cancel/{id}``, ``/health``); the job input and
output follow worker-vLLM (https://github.com/runpod-workers/worker-vllm,
https://docs.runpod.io/serverless/vllm/vllm-requests): ``{"input": {"messages",
"sampling_params"}}`` in, ``[{"choices": [{"tokens": [...]}], "usage": {"input",
"output"}}]`` out (one batch when not streaming).
"""

from __future__ import annotations

import re
from typing import Any

from benchlab.errors import TransportError
from benchlab.model import ChatRequest, ChatResponse, FailureMode, Usage
from benchlab.reasoning import split_think

TERMINAL = ("COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT")
PENDING = ("IN_QUEUE", "IN_PROGRESS")
_OPERATIONS = re.compile(r"/(runsync|run|health|status/[^/]+|cancel/[^/]+|stream/[^/]+|purge-queue)$")
_OPENAI = re.compile(r"/openai(/v1)?(/chat/completions|/models)?$")
# Canonical sampling names -> vLLM SamplingParams names (it rejects unknown keys).
SAMPLING_PARAMS = {"temperature": "temperature", "top_p": "top_p", "top_k": "top_k", "min_p": "min_p", "seed": "seed", "repeat_penalty": "repetition_penalty"}


def is_pod_proxy(url: str | None) -> bool:
    """A RunPod pod proxy URL: ``https://<pod-id>-<port>.proxy.runpod.net``."""
    if not url:
        return False
    host = (url.split("://", 1)[1] if "://" in url else url).split("/", 1)[0].split(":", 1)[0].lower()
    return host.endswith(".proxy.runpod.net")


def pod_offline(url: str, status: int) -> str | None:
    """What an HTML 404/502 from a pod's proxy means (None for any other URL)."""
    if not is_pod_proxy(url):
        return None
    host = (url.split("://", 1)[1] if "://" in url else url).split("/", 1)[0]
    pod, _, port = host.split(".", 1)[0].rpartition("-")
    return (
        f"the RunPod pod {pod or host} is offline or not serving port {port or '?'} "
        f"(its proxy answered HTTP {status} with an HTML page): start the pod, or check the port"
    )


def split_endpoint(endpoint: str) -> tuple[str, bool]:
    """``(root, openai_route)``: ``root`` is ``BASE/v2/<endpoint-id>`` without a pasted operation."""
    url = endpoint.strip().rstrip("/")
    if "://" not in url:
        url = "https://" + url
    url = _OPERATIONS.sub("", url)
    openai = bool(_OPENAI.search(url))
    return _OPENAI.sub("", url), openai


def endpoint_id(root: str) -> str:
    return root.rstrip("/").rsplit("/", 1)[-1]


def job_input(request: ChatRequest) -> dict[str, Any]:
    """The ``input`` object worker-vLLM takes for a chat request."""
    params = {SAMPLING_PARAMS[k]: v for k, v in request.sampling.items() if k in SAMPLING_PARAMS}
    if request.max_tokens is not None:
        # worker-vLLM's own default is 16 tokens: never leave it to the worker.
        params["max_tokens"] = request.max_tokens
    return {"messages": request.messages, "sampling_params": params}


def _error_text(error: Any) -> str:
    if isinstance(error, dict):
        error = error.get("message") or error.get("error") or error
    return str(error)[:300]


def job_response(job: dict[str, Any], request: ChatRequest, *, status: int, total_s: float) -> ChatResponse:
    """A COMPLETED job's output as a ChatResponse (native or OpenAI-shaped output)."""
    from benchlab.plugins.backends.openai_wire import parse_completion

    output = job.get("output")
    batches = output if isinstance(output, list) else [output]
    for batch in batches:
        if isinstance(batch, dict) and batch.get("error"):
            raise TransportError(FailureMode.SERVER_ERROR, f"the worker returned an error: {_error_text(batch['error'])}", retryable=True, raw=job, status_code=status)
    first = batches[0] if batches else None
    if isinstance(first, dict) and first.get("choices") and isinstance(first["choices"][0], dict) and "message" in first["choices"][0]:
        return parse_completion(first, status=status, total_s=total_s)
    texts: list[str] = []
    usage: dict[str, Any] = {}
    for batch in batches:
        if not isinstance(batch, dict) or not isinstance(batch.get("choices"), list) or not batch["choices"]:
            raise TransportError(FailureMode.SERVER_ERROR, f"the job output is not worker-vLLM's format: {str(output)[:200]!r}", retryable=True, raw=job, status_code=status)
        tokens = batch["choices"][0].get("tokens") or []
        texts.extend(str(t) for t in tokens)
        usage = batch.get("usage") or usage
    answer, reasoning = split_think("".join(texts))
    produced = usage.get("output") if isinstance(usage.get("output"), int) else None
    # worker-vLLM reports no finish reason: having used the whole budget means cut.
    cut = produced is not None and request.max_tokens is not None and produced >= request.max_tokens
    prompt = usage.get("input") if isinstance(usage.get("input"), int) else None
    return ChatResponse(
        content=answer,
        reasoning=reasoning,
        finish_reason="length" if cut else "stop",
        usage=Usage(prompt, produced, (prompt or 0) + (produced or 0) if produced is not None else None),
        total_s=total_s,
        tokens_per_s=produced / (job["executionTime"] / 1000) if produced and job.get("executionTime") else None,
        status_code=status,
        raw=job,
    )


def job_failure(job: dict[str, Any], status: int) -> TransportError:
    """The TransportError for a job that ended FAILED, CANCELLED or TIMED_OUT."""
    state = job.get("status")
    error = _error_text(job.get("error") or job.get("output") or "no detail")
    if state == "TIMED_OUT":
        return TransportError(FailureMode.TIMEOUT, f"the RunPod job hit the endpoint's execution timeout: {error}", raw=job, status_code=status)
    if state == "CANCELLED":
        return TransportError(FailureMode.HTTP_ERROR, "the RunPod job was cancelled", raw=job, status_code=status)
    return TransportError(FailureMode.SERVER_ERROR, f"the RunPod job failed: {error}", retryable=True, raw=job, status_code=status)
