"""Registers benchlab's built-in backends, verifiers, drivers, reporters and commands.

Everything is named by a ``"module:attr"`` string, so registering imports nothing:
a backend's HTTP code, a verifier's YAML or JSON Schema library and its compiled
patterns load only when a run uses them (``benchlab --help`` stays fast). The
built-in packs register from ``benchlab.packs`` (BFCL's from ``benchlab.packs.bfcl.plugin``)
and the sandbox providers from ``benchlab.sandboxes.plugin``, through the same
entry-point group.
"""

from __future__ import annotations

from typing import Any

from benchlab import hookimpl

P = "benchlab.plugins."

BACKENDS = (
    ("openai", P + "backends.openai_backend:OpenAIBackend", "any OpenAI-compatible /v1/chat/completions server", ("fallback",)),
    ("ollama", P + "backends.ollama_backend:OllamaBackend", "Ollama's native API (/api/chat): think, options, keep_alive, cold-load aware"),
    ("llamacpp", P + "backends.llamacpp_backend:LlamaCppBackend", "llama.cpp llama-server: /props, /health loading wait, slots as concurrency"),
    ("vllm", P + "backends.vllm_backend:VLLMBackend", "vLLM's OpenAI server: max_model_len, chat_template_kwargs thinking, guided/structured output"),
    ("runpod", P + "backends.runpod_backend:RunPodBackend", "RunPod serverless (worker-vLLM): /runsync, /run + /status, or its /openai/v1 route"),
    ("local", P + "backends.llama.local_backend:LocalBackend", "the embedded default: a private llama.cpp server with SmolLM2-135M (built on first use)", ("no_endpoint",)),
    ("replay", P + "backends.replay_backend:ReplayBackend", "answers from recorded responses (--replay FILE)", ("recorded_answers",)),
)

VERIFIERS = (
    ("exact", P + "verifiers.extraction.simple_verifiers:ExactVerifier", "the stripped answer equals an expected string"),
    ("regex", P + "verifiers.extraction.simple_verifiers:RegexVerifier", "a regular expression matches the answer"),
    ("numeric", P + "verifiers.extraction.simple_verifiers:NumericVerifier", "the answer's last number equals an expected value"),
    ("tool_call", P + "verifiers.tool_calls.tool_call:ToolCallVerifier", "tool calls: right functions, right arguments, or restraint"),
    ("instructions", P + "verifiers.instructions.instructions:InstructionsVerifier", "hard constraints on the answer text (counts, case, phrases, structure, language)"),
    ("json", P + "verifiers.structured.json_verifier:JsonVerifier", "JSON: parses, fits a JSON Schema, exact value, per-path matchers"),
    ("yaml", P + "verifiers.structured.yaml_verifier:YamlVerifier", "YAML: safe-parsed, one document, portable scalars, schema/exact/paths"),
    ("csv", P + "verifiers.structured.csv_verifier:CsvVerifier", "CSV: delimiter, header columns, row count, cells, order"),
    ("markdown_table", P + "verifiers.structured.markdown_table:MarkdownTableVerifier", "markdown table: separator row, header, row widths, cells, order"),
    ("extraction", P + "verifiers.extraction.extraction:ExtractionVerifier", "a JSON object of extracted fields, scored field by field"),
    ("numeric_answer", P + "verifiers.extraction.numeric_answer:NumericAnswerVerifier", "the number on the answer's final line, within a tolerance"),
    ("choice_letter", P + "verifiers.extraction.choice_letter:ChoiceLetterVerifier", "a multiple-choice letter: the last stated choice, hedges fail"),
    ("rubric", P + "verifiers.instructions.rubric:RubricVerifier", "named declarative rules (contains, regex, word counts, JSON paths...)"),
    ("agent_trace", P + "verifiers.tool_calls.agent_trace:AgentTraceVerifier", "a whole agent transcript: required, ordered and forbidden calls, final state, answer"),
    ("code_exec", P + "verifiers.code.code_exec:CodeExecVerifier", "runs the answer's program with hidden tests in the sandbox"),
    ("shell_task", P + "verifiers.shell.shell_task:ShellTaskVerifier", "runs the answer's shell command in a prepared workspace in the sandbox"),
    ("bfcl", P + "verifiers.tool_calls.bfcl_verifier:BfclVerifier", "function calls judged by BFCL's checking rules (tool calls or Python call syntax)"),
    ("all", P + "verifiers.combined:AllVerifier", "several verifiers on one answer, every check of each reported"),
    ("program_checks", P + "verifiers.code.program_checks:ProgramChecksVerifier", "a harness in the sandbox measures the answer's program and reports named checks"),
)

DRIVERS = (
    ("chat", P + "drivers.chat_driver:DRIVER", "one request, one answer", ("default",)),
    ("tool_loop", P + "drivers.tool_loop:DRIVER", "multi-turn tool use with the pack's deterministic tools"),
)

REPORTERS = (
    ("md", P + "reporters.reporters:MARKDOWN", "markdown table, failure breakdown and Quality: line (report.md)", ("stdout",)),
    ("json", P + "reporters.reporters:JSON", "the run record as JSON"),
    ("quality-line", P + "reporters.reporters:QUALITY_LINE", "the Quality: line alone (quality.txt)"),
    ("junit", P + "reporters.junit:JUNIT", "JUnit XML for CI: a testsuite per pack, a testcase per result (junit.xml)"),
    ("html", P + "reporters.html:REPORTER", "a self-contained page: charts, filters, every transcript (report.html)"),
)


def _register_all(register: Any, entries: tuple[tuple[Any, ...], ...]) -> None:
    # (name, "module:attr", summary[, roles]): roles tell core what it needs without naming us.
    for name, target, summary, *roles in entries:
        register(name, target, summary=summary, roles=roles[0] if roles else ())


@hookimpl
def register_backends(register: Any) -> None:
    _register_all(register, BACKENDS)


@hookimpl
def register_verifiers(register: Any) -> None:
    _register_all(register, VERIFIERS)


@hookimpl
def register_drivers(register: Any) -> None:
    _register_all(register, DRIVERS)


@hookimpl
def register_reporters(register: Any) -> None:
    _register_all(register, REPORTERS)


@hookimpl
def register_commands(app: Any) -> None:
    from benchlab.plugins.backends.llama.local_commands import local_app
    from benchlab.plugins.reporters.html.command import register_report

    app.add_typer(local_app(), name="local")
    register_report(app)
