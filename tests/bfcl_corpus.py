"""benchlab's verdicts on the BFCL agreement corpus (shared by the test and benchmarks/bfcl).

Each candidate is judged the way a run judges it: the entry becomes a scenario through
the pack loader's own ``scenario_data`` and ``parse_scenario`` (tools and renamed
functions in fc mode, the system prompt in prompt mode), the candidate becomes the
response a server would have given (``response_from_record``, as ``--replay`` does), and
the registered ``bfcl`` verifier judges it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).parent / "data" / "bfcl"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The rows of a (gzipped, when the name ends in .gz) JSON-lines file."""
    import gzip

    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def judge_all(entries: list[dict[str, Any]], lines: list[dict[str, Any]]) -> list[bool]:
    from benchlab.model import Scenario
    from benchlab.pack_loader import parse_scenario, verifier_instance
    from benchlab.plugin_manager import load_plugins
    from benchlab.packs.bfcl.loader import scenario_data
    from benchlab.recorded import response_from_record
    from benchlab.verifiers import VerifyContext

    plugins = load_plugins()
    verifier = verifier_instance(plugins.verifiers, "bfcl")
    by_key = {(e["category"], e["id"]): e for e in entries}
    scenarios: dict[tuple[str, str, str], Scenario] = {}
    verdicts = []
    for line in lines:
        key = (line["category"], line["id"], line["mode"])
        if key not in scenarios:
            entry = by_key[key[:2]]
            data = scenario_data(entry, line["category"], line["mode"], entry.get("ground_truth"))
            scenarios[key] = parse_scenario(CORPUS / "entries.jsonl.gz", 1, data, plugins.verifiers, plugins.drivers)
        scenario = scenarios[key]
        response = response_from_record(line["answer"])
        verdicts.append(verifier.verify(scenario.verifier.parsed, response, VerifyContext(scenario)).passed)
    return verdicts
