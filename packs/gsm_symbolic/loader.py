"""Pack ``gsm-symbolic-30``: one instance of each of the 30 templates, chosen by ``--instance-seed``.

The templates (``templates.py``) are benchlab's own; ``--instance-seed N`` (default
``DEFAULT_SEED``, so canonical runs compare) picks the instance set, and is recorded with the
run (``Selection.pack_settings``) and in the pack's ``dataset`` line. A scenario id carries the
template and the instance: ``GS07-s2026`` is template GS07 drawn with seed 2026, so results of
different instance sets never pair in ``diff`` or a baseline. Answers are judged by
``numeric_answer`` (the number on the final line, exactly).

Proofs are generated per instance into a cache folder (``cached_proofs_folder``): the answer
line (gold), the working and the answer written another way (alternative: "$1,234" or
"1234 stickers", after the marker ``####``), and the answer off by one (near-miss, failing
``value``). Scenarios whose answers are equal are declared ``equivalent``, so the negative
control does not count one's gold passing the other as a defect.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchlab.errors import BenchlabError
from benchlab.model import LoadOptions, Pack, PackManifest, PackSource, Scenario

PACK_ID = "gsm-symbolic-30"
VERSION = "1.0.0"
DEFAULT_SEED = 2026
SEED_SETTING = "instance_seed"

PROMPT = """{question}

Work it out step by step, then give the final answer on the last line in the form `Answer: N`, where N is a number."""


def seed_value(text: str) -> str:
    """``--instance-seed``'s value, checked as the command line is read: a non-negative integer."""
    try:
        seed = int(text)
    except ValueError:
        raise BenchlabError(f"--instance-seed {text!r}: expected a non-negative integer, e.g. {DEFAULT_SEED}") from None
    if seed < 0:
        raise BenchlabError(f"--instance-seed {text!r}: expected a non-negative integer, e.g. {DEFAULT_SEED}")
    return str(seed)


def chosen_seed(options: LoadOptions) -> int:
    value = options.settings.get(SEED_SETTING)
    return DEFAULT_SEED if value is None else int(seed_value(str(value)))


def manifest(seed: int, equivalent: list[list[str]]) -> PackManifest:
    return PackManifest(
        id=PACK_ID,
        version=VERSION,
        title="GSM-Symbolic-30",
        dimension="grade-school math word problems, names and numbers varied",
        default_thinking=False,
        default_max_seconds=120.0,
        description=(
            "30 grade-school word problem templates written for benchlab, after the GSM-Symbolic method: the same "
            "problem with other names and numbers, so a score cannot come from a memorised answer. --instance-seed "
            f"picks the instances (default {DEFAULT_SEED}); each template computes its own answer and refuses "
            "ambiguous instances. The answer is the number on the final line."
        ),
        dataset=f"30 benchlab templates, instance seed {seed}",
        equivalent=equivalent,
    )


def instances(seed: int) -> list[Any]:
    from benchlab.packs.gsm_symbolic.draws import instantiate
    from benchlab.packs.gsm_symbolic.templates import TEMPLATES

    return [instantiate(template_id, template, seed) for template_id, template in TEMPLATES.items()]


def scenario_id(instance: Any, seed: int) -> str:
    return f"{instance.template}-s{seed}"


def scenario_data(instance: Any, seed: int) -> dict[str, Any]:
    return {
        "id": scenario_id(instance, seed),
        "messages": [{"role": "user", "content": PROMPT.format(question=instance.question)}],
        "verifier": {"kind": "numeric_answer", "expected": instance.answer},
        "tags": ["gsm-symbolic", instance.template],
    }


def _written(value: int, unit: str) -> str:
    from benchlab.packs.gsm_symbolic.templates import DOLLARS

    number = f"{value:,}"
    return f"${number}" if unit == DOLLARS else f"{number} {unit}"


def proof_cases(instance: Any, seed: int) -> list[dict[str, Any]]:
    sid = scenario_id(instance, seed)
    answer = instance.answer
    return [
        {"scenario": sid, "kind": "gold", "content": f"Answer: {answer}"},
        {"scenario": sid, "kind": "alternative",
         "content": f"Working through the problem step by step gives the result.\n\n#### {_written(answer, instance.unit)}"},
        {"scenario": sid, "kind": "near_miss", "content": f"Answer: {answer + 1}", "fails_check": "value",
         "why": "the answer off by one"},
    ]


def load(source: PackSource, verifiers: Any, drivers: Any, options: LoadOptions) -> Pack:
    """The pack (``register_packs`` loader): the instances of ``--instance-seed``."""
    from benchlab.pack_loader import parse_scenario
    from benchlab.proofs import cached_proofs_folder

    seed = chosen_seed(options)
    drawn = instances(seed)
    origin = Path(__file__).with_name("templates.py")  # where a scenario's problem was written
    scenarios: list[Scenario] = [parse_scenario(origin, n, scenario_data(i, seed), verifiers, drivers)
                                 for n, i in enumerate(drawn, start=1)]
    ids = [scenario_id(i, seed) for i in drawn]
    equivalent = [[ids[a], ids[b]] for a in range(len(drawn)) for b in range(a + 1, len(drawn))
                  if drawn[a].answer == drawn[b].answer]
    folder = cached_proofs_folder("gsm-symbolic-proofs", [case for i in drawn for case in proof_cases(i, seed)])
    return Pack(manifest(seed, equivalent), scenarios, folder)
