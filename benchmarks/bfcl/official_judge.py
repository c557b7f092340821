"""BFCL's own verdicts on candidate answers. Runs ONLY in the official checker's venv.

Reads candidates as JSON lines on stdin (``category``, ``id``, ``mode``, ``spelling``,
``answer``) and writes one verdict per line on stdout (``valid``, ``error_type``), in
the same order. Each candidate goes through the package's own per-entry evaluation,
exactly as its ``bfcl evaluate`` runner does it: the prompt and possible-answer entries
loaded with ``load_dataset_entry(..., include_prereq=False,
include_language_specific_hint=False)`` and ``load_ground_truth_entry``, then
``_evaluate_single_ast_entry`` (the handler's ``decode_ast`` plus ``ast_checker``) or,
for irrelevance and relevance, ``_evaluate_single_relevance_entry``.

The model result is what BFCL's OpenAI handlers record: in ``fc`` mode the list of
``{name: arguments text}`` of the tool calls, or the answer text when there are none;
in ``prompt`` mode the answer text. Handlers: gpt-4o-2024-11-20-FC (fc) and
gpt-4o-2024-11-20 (prompt). The checker's model name only sets ``underscore_to_dot``:
the FC model (true) for names spelled as benchlab sends them (dots as underscores), the
prompting model (false) for names spelled as BFCL's docs spell them.
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("OPENAI_API_KEY", "not-used")  # the handler builds a client it never calls

from bfcl_eval.constants.enums import Language, ReturnFormat  # noqa: E402
from bfcl_eval.eval_checker.eval_runner import (  # noqa: E402
    _evaluate_single_ast_entry,
    _evaluate_single_relevance_entry,
    get_handler,
)
from bfcl_eval.utils import load_dataset_entry, load_ground_truth_entry  # noqa: E402

FC_MODEL = "gpt-4o-2024-11-20-FC"
PROMPT_MODEL = "gpt-4o-2024-11-20"


def model_result(candidate: dict) -> object:
    answer = candidate["answer"]
    calls = answer.get("tool_calls") or []
    if candidate["mode"] == "fc" and calls:
        return [{c["function"]["name"]: c["function"]["arguments"]} for c in calls]
    return answer.get("content") or ""


def main() -> None:
    handlers = {"fc": get_handler(FC_MODEL), "prompt": get_handler(PROMPT_MODEL)}
    prompts: dict[str, dict[str, dict]] = {}
    truths: dict[str, dict[str, list]] = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        candidate = json.loads(line)
        category, entry_id, mode = candidate["category"], candidate["id"], candidate["mode"]
        if category not in prompts:
            entries = load_dataset_entry(category, include_prereq=False, include_language_specific_hint=False)
            prompts[category] = {e["id"]: e for e in entries}
            if "relevance" not in category:
                truths[category] = {e["id"]: e["ground_truth"] for e in load_ground_truth_entry(category)}
        result = model_result(candidate)
        handler = handlers[mode]
        try:
            if "relevance" in category:  # irrelevance and relevance, as is_relevance_or_irrelevance routes them
                verdict = _evaluate_single_relevance_entry(handler, entry_id, result, prompts[category][entry_id], FC_MODEL if mode == "fc" else PROMPT_MODEL, category)
            else:
                checker_model = FC_MODEL if mode == "fc" and candidate.get("spelling", "sent") == "sent" else PROMPT_MODEL
                verdict = _evaluate_single_ast_entry(
                    handler, entry_id, result, truths[category][entry_id], prompts[category][entry_id], checker_model,
                    category, language=Language.PYTHON, return_format=ReturnFormat.PYTHON, has_tool_call_tag=False,
                )
            out = {"valid": bool(verdict["valid"]), "error_type": verdict.get("error_type", "")}
        except Exception as exc:  # the official checker itself failed on this answer: reported, never hidden
            out = {"valid": None, "error_type": f"checker_crashed:{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
