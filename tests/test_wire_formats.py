"""Parsing what servers send: OpenAI completions and streams, <think> blocks, redaction."""

from __future__ import annotations

import json

import pytest

from benchlab.errors import TransportError
from benchlab.model import FailureMode
from benchlab.plugins.backends.openai_wire import StreamAccumulator, merge_extra_body, parse_completion
from benchlab.reasoning import split_think
from benchlab.redact import redact_url, scrub, was_redacted


def test_split_think_variants():
    assert split_think("<think>a</think> answer") == ("answer", "a")
    assert split_think("<think>cut off mid-thought") == ("", "cut off mid-thought")
    assert split_think("reasoning first</think>\nanswer") == ("answer", "reasoning first")
    assert split_think("plain") == ("plain", None)
    # A closing tag alone is found case-blind, as Unicode case folding reads it (KELVIN SIGN is a k);
    # text without "</" skips that scan.
    assert split_think("first</THINK> answer") == ("answer", "first")
    assert split_think("first</thin\u212a> answer") == ("answer", "first")
    assert split_think("a < b / c, html </p> here") == ("a < b / c, html </p> here", None)
    assert split_think("no tag at all " * 500) == ("no tag at all " * 500, None)
    assert split_think("") == ("", None)


def test_parse_completion_with_tool_calls_and_reasoning_content():
    body = {
        "choices": [{"message": {"content": "<think>inline</think>done", "reasoning_content": "field",
                                 "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{\"x\": 1}"}},
                                                {"id": "c2", "type": "function", "function": {"name": "g", "arguments": "{not json"}}]},
                     "finish_reason": "tool_calls"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7},
    }
    response = parse_completion(body, status=200, total_s=0.5)
    assert response.content == "done" and response.reasoning == "field\n\ninline"
    assert [(c.name, c.arguments) for c in response.tool_calls] == [("f", {"x": 1}), ("g", "{not json")]
    assert response.usage.total_tokens == 7 and response.tokens_per_s == 8.0


def test_a_body_without_choices_is_a_server_error():
    with pytest.raises(TransportError) as caught:
        parse_completion({"object": "list"}, status=200, total_s=0.1)
    assert caught.value.failure_mode == FailureMode.SERVER_ERROR


def sse(chunks):
    return [f"data: {json.dumps(c)}" for c in chunks] + ["data: [DONE]"]


def test_stream_accumulates_content_reasoning_and_split_tool_call_arguments():
    acc = StreamAccumulator(started=0.0)
    lines = sse([
        {"choices": [{"delta": {"reasoning_content": "think "}}]},
        {"choices": [{"delta": {"content": "Hel"}}]},
        {"choices": [{"delta": {"content": "lo", "tool_calls": [{"index": 0, "id": "t", "function": {"name": "get", "arguments": "{\"a\""}}]}}]},
        {"choices": [{"delta": {"tool_calls": [{"index": 0, "function": {"arguments": ": 2}"}}]}, "finish_reason": "tool_calls"}]},
        {"choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 10, "total_tokens": 11}},
    ])
    for n, line in enumerate(lines):
        acc.feed_line(line, now=0.1 * (n + 1))
    response = acc.response(status=200, now=1.1)
    assert response.content == "Hello" and response.reasoning == "think"
    assert response.tool_calls[0].arguments == {"a": 2}
    assert response.ttft_s == pytest.approx(0.1) and response.finish_reason == "tool_calls"
    assert response.usage.completion_tokens == 10


def test_stream_cut_before_the_end_is_retryable_http_error():
    acc = StreamAccumulator(started=0.0)
    acc.feed_line('data: {"choices": [{"delta": {"content": "par"}}]}', now=0.1)
    with pytest.raises(TransportError) as caught:
        acc.response(status=200, now=0.2)
    assert caught.value.failure_mode == FailureMode.HTTP_ERROR and caught.value.retryable


def test_stream_error_event_is_server_error():
    acc = StreamAccumulator(started=0.0)
    with pytest.raises(TransportError) as caught:
        acc.feed_line('data: {"error": {"message": "boom"}}', now=0.1)
    assert caught.value.failure_mode == FailureMode.SERVER_ERROR


def test_extra_body_wins_and_merges_objects():
    body = {"temperature": 0, "chat_template_kwargs": {"enable_thinking": True}}
    merged = merge_extra_body(body, {"temperature": 0.5, "chat_template_kwargs": {"x": 1}})
    assert merged == {"temperature": 0.5, "chat_template_kwargs": {"enable_thinking": True, "x": 1}}


def test_redaction():
    assert redact_url("https://user:pw@host:8443/v1?api_key=abc&x=1") == "https://***@host:8443/v1?api_key=%2A%2A%2A&x=1"
    assert scrub("Bearer sk-secret-123 failed", ["sk-secret-123"]) == "Bearer *** failed"
    # What redact_url took credentials out of no longer reaches its server (resume asks for the URL again).
    assert was_redacted(redact_url("https://user:pw@host/v1")) and was_redacted(redact_url("https://host/v1?api_key=abc"))
    assert not was_redacted(redact_url("https://host:8443/v1?model=a")) and not was_redacted(None)
